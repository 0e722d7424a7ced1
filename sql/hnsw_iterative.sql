-- hnsw iterative scans (hnsw.iterative_scan, pgvector 0.8 semantics): a WHERE clause that rejects most index
-- candidates still gets LIMIT rows; strict_order keeps distance order, relaxed_order may not.
-- Graph builds are randomised, so the output states facts (counts, order, overlap with exact results).
SET max_parallel_maintenance_workers = 0;
SELECT setseed(0.3);
CREATE TABLE hnsw_it (id int PRIMARY KEY, v vector(8), h halfvec(8), c int);
INSERT INTO hnsw_it (id, v, c)
SELECT i, (SELECT array_agg(random()) FROM generate_series(1, 8) WHERE i > 0)::real[], i % 50
FROM generate_series(1, 5000) i;
UPDATE hnsw_it SET h = v::halfvec(8);
CREATE INDEX hnsw_it_l2 ON hnsw_it USING hnsw (v vector_l2_ops);
CREATE INDEX hnsw_it_cos ON hnsw_it USING hnsw (h halfvec_cosine_ops);
ANALYZE hnsw_it;

-- exact answers to compare with
CREATE TEMP TABLE hnsw_it_exact AS
SELECT id FROM hnsw_it WHERE c = 7 ORDER BY v <-> '[0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]' LIMIT 10;
CREATE TEMP TABLE hnsw_it_exact_cos AS
SELECT id FROM hnsw_it WHERE c = 7 ORDER BY h <=> '[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]' LIMIT 10;

SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM hnsw_it WHERE c = 7 ORDER BY v <-> '[0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]' LIMIT 10;

-- off (the default): only the ef_search nearest are considered, so a 2% filter finds few of them
SHOW hnsw.iterative_scan;
SELECT count(*) < 10 AS fewer_than_limit
FROM (SELECT id FROM hnsw_it WHERE c = 7 ORDER BY v <-> '[0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]' LIMIT 10) s;

-- strict_order: LIMIT rows, all matching the filter, in distance order
SET hnsw.iterative_scan = strict_order;
SELECT count(*) AS rows, bool_and(c = 7) AS filtered, bool_and(d >= prev) AS ordered
FROM (SELECT c, d, lag(d, 1, 0::float8) OVER (ORDER BY n) AS prev
      FROM (SELECT c, v <-> '[0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]' AS d, row_number() OVER () AS n
            FROM (SELECT c, v FROM hnsw_it WHERE c = 7 ORDER BY v <-> '[0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]' LIMIT 10) r) s) t;
SELECT count(*) AS rows, bool_and(c = 7) AS filtered, bool_and(d >= prev) AS ordered
FROM (SELECT c, d, lag(d, 1, 0::float8) OVER (ORDER BY n) AS prev
      FROM (SELECT c, h <=> '[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]' AS d, row_number() OVER () AS n
            FROM (SELECT c, h FROM hnsw_it WHERE c = 7 ORDER BY h <=> '[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]' LIMIT 10) r) s) t;

-- relaxed_order: LIMIT rows, all matching, and (almost) the exact ones
SET hnsw.iterative_scan = relaxed_order;
SELECT count(*) AS rows, bool_and(c = 7) AS filtered, count(*) FILTER (WHERE id IN (SELECT id FROM hnsw_it_exact)) >= 9 AS recall_ok
FROM (SELECT id, c FROM hnsw_it WHERE c = 7 ORDER BY v <-> '[0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]' LIMIT 10) s;
SELECT count(*) AS rows, bool_and(c = 7) AS filtered, count(*) FILTER (WHERE id IN (SELECT id FROM hnsw_it_exact_cos)) >= 9 AS recall_ok
FROM (SELECT id, c FROM hnsw_it WHERE c = 7 ORDER BY h <=> '[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]' LIMIT 10) s;
-- a LIMIT above the number of matching rows returns every matching row (the table is within max_scan_tuples)
SELECT count(*) AS rows, count(DISTINCT id) AS distinct_rows
FROM (SELECT id FROM hnsw_it WHERE c = 7 ORDER BY v <-> '[0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]' LIMIT 500) s;
SELECT count(*) AS rows FROM (SELECT id FROM hnsw_it ORDER BY v <-> '[0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]' LIMIT 6000) s;

-- the limits stop the scan early without an error
SET hnsw.max_scan_tuples = 100;
SELECT count(*) <= 10 AS bounded FROM (SELECT id FROM hnsw_it WHERE c = 7 ORDER BY v <-> '[0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]' LIMIT 10) s;
RESET hnsw.max_scan_tuples;
-- the scan's memory is bounded by work_mem * hnsw.scan_mem_multiplier
SET work_mem = '64kB';
SELECT count(*) < 5000 AS stopped_early FROM (SELECT id FROM hnsw_it ORDER BY v <-> '[0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]' LIMIT 6000) s;
SET hnsw.scan_mem_multiplier = 100;
SELECT count(*) AS rows FROM (SELECT id FROM hnsw_it ORDER BY v <-> '[0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]' LIMIT 6000) s;
RESET work_mem;
RESET hnsw.scan_mem_multiplier;

-- dead rows (deleted, not yet vacuumed) are skipped like filtered ones: LIMIT rows still come back
DELETE FROM hnsw_it WHERE c <> 7;
SELECT count(*) AS rows FROM (SELECT id FROM hnsw_it ORDER BY v <-> '[0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]' LIMIT 10) s;
SET hnsw.iterative_scan = strict_order;
SELECT count(*) AS rows FROM (SELECT id FROM hnsw_it ORDER BY v <-> '[0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]' LIMIT 10) s;
RESET hnsw.iterative_scan;
RESET enable_seqscan;

DROP TABLE hnsw_it;
RESET max_parallel_maintenance_workers;
