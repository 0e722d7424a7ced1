-- casts between the vector types and SQL arrays, with pgvector's cast contexts
SELECT ARRAY[1,2,3]::vector, ARRAY[1.5,2.5]::real[]::vector, ARRAY[1e-46,-1e-46]::float8[]::vector,
       ARRAY[1.25,2]::numeric[]::vector;
SELECT '[1,2,3]'::vector::real[], '[1.5,2]'::halfvec::real[];
SELECT ARRAY[1,2]::halfvec, ARRAY[0,1,0,2]::sparsevec, ARRAY[0,0]::float8[]::sparsevec;
SELECT '[1,2,3]'::vector::halfvec, '[1.1]'::halfvec::vector, '[0,1.5,0,-2]'::vector::sparsevec,
       '{2:1.5,4:-2}/4'::sparsevec::vector, '[0,1,0]'::halfvec::sparsevec, '{1:65504}/2'::sparsevec::halfvec;
SELECT ARRAY[1,2,3]::vector(3);
SELECT ARRAY[1,2,3]::vector(2);
SELECT ARRAY[[1,2],[3,4]]::vector;
SELECT ARRAY[1,NULL,3]::vector;
SELECT '{}'::int[]::vector;
SELECT ARRAY[1e39]::float8[]::vector;
SELECT ARRAY['NaN']::float8[]::vector;
SELECT ARRAY[70000]::halfvec;
SELECT '[70000]'::vector::halfvec;
SELECT '{1:70000}/1'::sparsevec::halfvec;
SELECT '{1:1}/16001'::sparsevec::vector;
SELECT array_fill(1, ARRAY[16001])::vector;
-- assignment and implicit casts at work
CREATE TABLE cast_targets (v vector(2), h halfvec(2), s sparsevec(2));
INSERT INTO cast_targets VALUES (ARRAY[1,2], ARRAY[3,4], ARRAY[0,5]);
INSERT INTO cast_targets (h, s) SELECT v, v FROM cast_targets;
SELECT * FROM cast_targets;
SELECT v <-> h::vector FROM cast_targets WHERE v IS NOT NULL;
DROP TABLE cast_targets;
-- cast contexts in the catalog
SELECT castsource::regtype, casttarget::regtype, castcontext FROM pg_cast
 WHERE castsource IN ('vector'::regtype, 'halfvec'::regtype, 'sparsevec'::regtype)
    OR casttarget IN ('vector'::regtype, 'halfvec'::regtype, 'sparsevec'::regtype)
 ORDER BY castsource::regtype::text, casttarget::regtype::text;
