-- Catalog contracts: the objects pgvector clients and ORMs rely on exist with the right signatures,
-- volatility, strictness, parallel safety and cast contexts.
BEGIN;
SELECT plan(89);

SELECT has_type(t) FROM unnest(ARRAY['vector', 'halfvec', 'sparsevec']) t;
SELECT is((SELECT typstorage::text FROM pg_type WHERE typname = t), 'e', t || ' uses external storage')
  FROM unnest(ARRAY['vector', 'halfvec', 'sparsevec']) t;
SELECT is((SELECT typmodin::text FROM pg_type WHERE typname = t), t || '_typmod_in', t || ' takes a typmod')
  FROM unnest(ARRAY['vector', 'halfvec', 'sparsevec']) t;

-- distance functions for each type, immutable, strict, parallel safe, returning float8
SELECT has_function(f, ARRAY[t, t]) FROM unnest(ARRAY['l2_distance', 'inner_product', 'cosine_distance', 'l1_distance']) f,
  unnest(ARRAY['vector', 'halfvec', 'sparsevec']) t;
SELECT function_returns(f, ARRAY[t, t], 'double precision')
  FROM unnest(ARRAY['l2_distance', 'inner_product', 'cosine_distance', 'l1_distance']) f, unnest(ARRAY['vector', 'halfvec', 'sparsevec']) t;
SELECT has_function(f, ARRAY['bit', 'bit']) FROM unnest(ARRAY['hamming_distance', 'jaccard_distance']) f;
SELECT has_function('vector_dims', ARRAY[t]) FROM unnest(ARRAY['vector', 'halfvec']) t;
SELECT has_function('vector_norm', ARRAY['vector']);
SELECT has_function('l2_norm', ARRAY[t]) FROM unnest(ARRAY['halfvec', 'sparsevec']) t;
SELECT has_function('l2_normalize', ARRAY[t]) FROM unnest(ARRAY['vector', 'halfvec', 'sparsevec']) t;
SELECT has_function('binary_quantize', ARRAY[t]) FROM unnest(ARRAY['vector', 'halfvec']) t;
SELECT has_function('subvector', ARRAY[t, 'integer', 'integer']) FROM unnest(ARRAY['vector', 'halfvec']) t;

SELECT is((SELECT count(*)::int FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
            JOIN pg_extension e ON e.oid = d.refobjid
           WHERE e.extname = 'piramid' AND p.prokind = 'f' AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'c')
             AND p.proname NOT LIKE 'piramid\_%' AND p.prorettype <> 'index_am_handler'::regtype AND NOT (p.provolatile = 'i' AND p.proisstrict AND p.proparallel = 's')),
          0, 'every type function (not diagnostics, not AM handlers) is immutable, strict and parallel safe');

-- operators
SELECT has_operator(t, op, t, 'double precision') FROM unnest(ARRAY['<->', '<#>', '<=>', '<+>']) op,
  unnest(ARRAY['vector', 'halfvec', 'sparsevec']) t;
SELECT has_operator('bit', op, 'bit', 'double precision') FROM unnest(ARRAY['<~>', '<%>']) op;
SELECT has_operator(t, op, t, t) FROM unnest(ARRAY['+', '-', '*', '||']) op, unnest(ARRAY['vector', 'halfvec']) t;

-- btree opclasses and aggregates
SELECT has_opclass(c) FROM unnest(ARRAY['vector_ops', 'halfvec_ops', 'sparsevec_ops']) c;
SELECT ok(EXISTS (SELECT 1 FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
                  WHERE p.proname = f AND p.proargtypes[0] = t::regtype AND a.aggcombinefn <> 0 AND p.proparallel = 's'),
          f || '(' || t || ') is parallel safe with a combine function')
  FROM unnest(ARRAY['avg', 'sum']) f, unnest(ARRAY['vector', 'halfvec']) t;

-- cast contexts, as pgvector
SELECT cast_context_is(s, t, c) FROM (VALUES
  ('integer[]', 'vector', 'assignment'), ('real[]', 'vector', 'assignment'),
  ('double precision[]', 'vector', 'assignment'), ('numeric[]', 'vector', 'assignment'),
  ('vector', 'real[]', 'implicit'), ('halfvec', 'real[]', 'assignment'),
  ('vector', 'halfvec', 'implicit'), ('halfvec', 'vector', 'assignment'),
  ('vector', 'sparsevec', 'implicit'), ('sparsevec', 'vector', 'assignment'),
  ('halfvec', 'sparsevec', 'implicit'), ('sparsevec', 'halfvec', 'assignment')) x(s, t, c);

SELECT * FROM finish();
ROLLBACK;
