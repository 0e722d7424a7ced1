-- avg and sum over vector and halfvec
CREATE TABLE agg (v vector(3), h halfvec(3));
SELECT avg(v), sum(v), avg(h), sum(h) FROM agg;
INSERT INTO agg VALUES ('[1,2,3]', '[1,2,3]'), ('[3,4,5]', '[3,4,5]'), (NULL, NULL), ('[2,0,-2]', '[2,0,-2]');
SELECT avg(v), sum(v), avg(h), sum(h) FROM agg;
SELECT avg(v) FROM agg GROUP BY v IS NULL ORDER BY 1;
SELECT avg(v) FROM (VALUES ('[1,2]'::vector), ('[1,2,3]')) t(v);
SELECT sum(v) FROM (VALUES ('[1,2]'::vector), ('[1,2,3]')) t(v);
SELECT sum(v) FROM (VALUES ('[3e38]'::vector), ('[3e38]')) t(v);
SELECT avg(v) AS avg_does_not_overflow FROM (VALUES ('[3e38]'::vector), ('[3e38]')) t(v);
SELECT avg(h) FROM (VALUES ('[65504]'::halfvec), ('[65504]')) t(h);
-- parallel aggregation gives the same result as serial
CREATE TABLE agg_big AS SELECT ARRAY[i % 7, i % 11, 1]::vector(3) AS v FROM generate_series(1, 100000) i;
ANALYZE agg_big;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT avg(v), sum(v) FROM agg_big;
SELECT avg(v), sum(v) FROM agg_big;
RESET max_parallel_workers_per_gather;
SELECT avg(v), sum(v) FROM agg_big;
SELECT proname, proparallel FROM pg_proc WHERE proname IN ('vector_accum', 'vector_combine', 'vector_avg', 'halfvec_accum', 'halfvec_avg') ORDER BY 1;
DROP TABLE agg, agg_big;
