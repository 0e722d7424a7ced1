-- hnsw access method: DDL, options and settings with their limits, errors, every operator class against exact
-- results, large dimensions, NULL and zero vectors, planner choices, REINDEX and unlogged tables.
-- Graph builds are randomised, so results are compared with a sequential scan's instead of printed.
-- Builds use one thread (bug notes/hnsw-bugs/01: threaded builds can leave nodes unreachable).
SET max_parallel_maintenance_workers = 0;

-- hnsw_exact(col, op, k): for every query in hnsw_queries, the top k distances of an index scan equal those of
-- an exact (sequential) scan, in order. Compares distances, not ids, so ties cannot make it flaky.
CREATE FUNCTION hnsw_exact(tbl text, col text, op text, k int) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  q record;
  sql text;
  plan text;
  line text;
  got float8[];
  want float8[];
BEGIN
  FOR q IN EXECUTE format('SELECT id, %I::text AS val FROM hnsw_queries ORDER BY id', col) LOOP
    sql := format('SELECT %1$I %2$s %3$L AS d FROM %4$I ORDER BY %1$I %2$s %3$L LIMIT %5$s', col, op, q.val, tbl, k);
    PERFORM set_config('enable_seqscan', 'off', true);
    PERFORM set_config('enable_indexscan', 'on', true);
    plan := '';
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || sql LOOP plan := plan || line; END LOOP;
    IF plan NOT LIKE '%Index Scan using%' THEN RETURN 'no index scan: ' || plan; END IF;
    EXECUTE format('SELECT array_agg(d) FROM (%s) s', sql) INTO got;
    PERFORM set_config('enable_seqscan', 'on', true);
    PERFORM set_config('enable_indexscan', 'off', true);
    EXECUTE format('SELECT array_agg(d) FROM (%s) s', sql) INTO want;
    IF got IS DISTINCT FROM want THEN
      RETURN format('query %s: index %s, exact %s', q.id, got, want);
    END IF;
  END LOOP;
  RETURN 'ok';
END $$;

-- ---- seeded data: every indexable type, and queries of the same shape
SELECT setseed(0.17);
CREATE TABLE hnsw_items (id int PRIMARY KEY, v vector(8), h halfvec(8), s sparsevec(8), b bit(64));
INSERT INTO hnsw_items (id, v)
SELECT i, (SELECT array_agg(CASE WHEN random() < 0.3 THEN 0 ELSE round(random()::numeric, 3) END)
           FROM generate_series(1, 8) WHERE i > 0)::real[]::vector(8)
FROM generate_series(1, 300) i;
UPDATE hnsw_items SET h = v::halfvec(8), s = v::sparsevec(8),
  b = (SELECT string_agg(CASE WHEN random() < 0.5 THEN '1' ELSE '0' END, '') FROM generate_series(1, 64) WHERE id > 0)::bit(64);
CREATE TABLE hnsw_queries AS SELECT * FROM hnsw_items WHERE false;
INSERT INTO hnsw_queries (id, v)
SELECT i, (SELECT array_agg(round(random()::numeric, 3)) FROM generate_series(1, 8) WHERE i > 0)::real[]::vector(8)
FROM generate_series(1, 5) i;
UPDATE hnsw_queries SET h = v::halfvec(8), s = v::sparsevec(8),
  b = (SELECT string_agg(CASE WHEN random() < 0.5 THEN '1' ELSE '0' END, '') FROM generate_series(1, 64) WHERE id > 0)::bit(64);

-- ---- every operator class builds and returns the exact top 10 on small data
CREATE INDEX hnsw_v_l2 ON hnsw_items USING hnsw (v vector_l2_ops);
CREATE INDEX hnsw_v_ip ON hnsw_items USING hnsw (v vector_ip_ops);
CREATE INDEX hnsw_v_cos ON hnsw_items USING hnsw (v vector_cosine_ops);
CREATE INDEX hnsw_v_l1 ON hnsw_items USING hnsw (v vector_l1_ops);
CREATE INDEX hnsw_h_l2 ON hnsw_items USING hnsw (h halfvec_l2_ops);
CREATE INDEX hnsw_h_ip ON hnsw_items USING hnsw (h halfvec_ip_ops);
CREATE INDEX hnsw_h_cos ON hnsw_items USING hnsw (h halfvec_cosine_ops);
CREATE INDEX hnsw_h_l1 ON hnsw_items USING hnsw (h halfvec_l1_ops);
CREATE INDEX hnsw_s_l2 ON hnsw_items USING hnsw (s sparsevec_l2_ops);
CREATE INDEX hnsw_s_ip ON hnsw_items USING hnsw (s sparsevec_ip_ops);
CREATE INDEX hnsw_s_cos ON hnsw_items USING hnsw (s sparsevec_cosine_ops);
CREATE INDEX hnsw_s_l1 ON hnsw_items USING hnsw (s sparsevec_l1_ops);
CREATE INDEX hnsw_b_ham ON hnsw_items USING hnsw (b bit_hamming_ops);
CREATE INDEX hnsw_b_jac ON hnsw_items USING hnsw (b bit_jaccard_ops);

SELECT col, op, hnsw_exact('hnsw_items', col, op, 10) AS result
FROM (VALUES ('v', '<->'), ('v', '<#>'), ('v', '<=>'), ('v', '<+>'),
             ('h', '<->'), ('h', '<#>'), ('h', '<=>'), ('h', '<+>'),
             ('s', '<->'), ('s', '<#>'), ('s', '<=>'), ('s', '<+>'),
             ('b', '<~>'), ('b', '<%>')) AS t(col, op);

-- the checker accepts every one of them (its report is for people; here it just must not error)
SELECT c.relname, piramid_index_check(c.oid) IS NOT NULL AS checked
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
WHERE i.indrelid = 'hnsw_items'::regclass AND a.amname = 'hnsw' ORDER BY c.relname;

-- ids too, not only distances, for L2 (no ties in this data)
SET enable_seqscan = off;
CREATE TEMP TABLE hnsw_by_index AS
SELECT q.id AS qid, ARRAY(SELECT i.id FROM hnsw_items i ORDER BY i.v <-> q.v LIMIT 10) AS ids FROM hnsw_queries q;
RESET enable_seqscan;
SET enable_indexscan = off;
SELECT q.id AS qid, ARRAY(SELECT i.id FROM hnsw_items i ORDER BY i.v <-> q.v LIMIT 10) = b.ids AS same_ids
FROM hnsw_queries q JOIN hnsw_by_index b ON b.qid = q.id ORDER BY q.id;
RESET enable_indexscan;

-- LIMIT larger than ef_search still returns ef_search rows at least; with ef_search raised, all of them
SET enable_seqscan = off;
SELECT count(*) FROM (SELECT id FROM hnsw_items ORDER BY v <-> '[0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]' LIMIT 40) s;
SET hnsw.ef_search = 300;
SELECT count(*) FROM (SELECT id FROM hnsw_items ORDER BY v <-> '[0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]' LIMIT 300) s;
RESET hnsw.ef_search;
RESET enable_seqscan;

-- ---- options: defaults, limits and their messages
CREATE TABLE hnsw_opt (id int, v vector(3));
INSERT INTO hnsw_opt SELECT i, ARRAY[i, i % 7, i % 3] FROM generate_series(1, 50) i;
CREATE INDEX hnsw_opt_idx ON hnsw_opt USING hnsw (v vector_l2_ops) WITH (m = 2, ef_construction = 4);
CREATE INDEX hnsw_opt_idx2 ON hnsw_opt USING hnsw (v vector_l2_ops) WITH (m = 100, ef_construction = 1000);
CREATE INDEX hnsw_opt_idx3 ON hnsw_opt USING hnsw (v vector_l2_ops) WITH (m = 16, ef_construction = 32);
SELECT relname, reloptions FROM pg_class WHERE relname LIKE 'hnsw_opt_idx%' ORDER BY relname;
SELECT piramid_index_check('hnsw_opt_idx') IS NOT NULL AS checked, piramid_index_check('hnsw_opt_idx2') IS NOT NULL AS checked2;
CREATE INDEX ON hnsw_opt USING hnsw (v vector_l2_ops) WITH (m = 1);
CREATE INDEX ON hnsw_opt USING hnsw (v vector_l2_ops) WITH (m = 101);
CREATE INDEX ON hnsw_opt USING hnsw (v vector_l2_ops) WITH (ef_construction = 3);
CREATE INDEX ON hnsw_opt USING hnsw (v vector_l2_ops) WITH (ef_construction = 1001);
CREATE INDEX ON hnsw_opt USING hnsw (v vector_l2_ops) WITH (m = 16, ef_construction = 31);
CREATE INDEX ON hnsw_opt USING hnsw (v vector_l2_ops) WITH (m = 40);
CREATE INDEX ON hnsw_opt USING hnsw (v vector_l2_ops) WITH (m = 'many');
CREATE INDEX ON hnsw_opt USING hnsw (v vector_l2_ops) WITH (lists = 10);
ALTER INDEX hnsw_opt_idx3 SET (m = 1);
ALTER INDEX hnsw_opt_idx3 SET (ef_construction = 64);
SELECT reloptions FROM pg_class WHERE relname = 'hnsw_opt_idx3';

-- ---- settings: defaults and ranges
SHOW hnsw.ef_search;
SHOW hnsw.iterative_scan;
SHOW hnsw.max_scan_tuples;
SHOW hnsw.scan_mem_multiplier;
SET hnsw.ef_search = 1;
SET hnsw.ef_search = 1000;
SET hnsw.ef_search = 0;
SET hnsw.ef_search = 1001;
SET hnsw.iterative_scan = strict_order;
SET hnsw.iterative_scan = relaxed_order;
SET hnsw.iterative_scan = off;
SET hnsw.iterative_scan = on;
SET hnsw.max_scan_tuples = 1;
SET hnsw.max_scan_tuples = 0;
SET hnsw.scan_mem_multiplier = 1000;
SET hnsw.scan_mem_multiplier = 0.5;
SET hnsw.scan_mem_multiplier = 1001;
SET hnsw.no_such_setting = 1;
RESET hnsw.ef_search;
RESET hnsw.iterative_scan;
RESET hnsw.max_scan_tuples;
RESET hnsw.scan_mem_multiplier;

-- ---- wrong operator class, type or index shape
CREATE INDEX ON hnsw_opt USING hnsw (v);
CREATE INDEX ON hnsw_opt USING hnsw (v halfvec_l2_ops);
CREATE INDEX ON hnsw_opt USING hnsw (v bit_hamming_ops);
CREATE INDEX ON hnsw_opt USING hnsw (v sparsevec_cosine_ops);
CREATE INDEX ON hnsw_opt USING hnsw (id);
CREATE INDEX ON hnsw_opt USING hnsw (id int4_ops);
CREATE INDEX ON hnsw_opt USING hnsw (v vector_l2_ops, v vector_ip_ops);
CREATE UNIQUE INDEX ON hnsw_opt USING hnsw (v vector_l2_ops);
CREATE INDEX ON hnsw_opt USING hnsw (v vector_l2_ops) INCLUDE (id);
CREATE TABLE hnsw_nodims (v vector, h halfvec, b varbit);
CREATE INDEX ON hnsw_nodims USING hnsw (v vector_l2_ops);
CREATE INDEX ON hnsw_nodims USING hnsw (h halfvec_l2_ops);
CREATE INDEX ON hnsw_nodims USING hnsw (b bit_hamming_ops);
DROP TABLE hnsw_nodims;
-- a query of other dimensions than the column
SET enable_seqscan = off;
SELECT id FROM hnsw_opt ORDER BY v <-> '[1,2]' LIMIT 1;
RESET enable_seqscan;

-- ---- expression indexes (pgvector idioms: half precision and binary quantization of a vector column)
CREATE INDEX hnsw_opt_half ON hnsw_opt USING hnsw ((v::halfvec(3)) halfvec_l2_ops);
CREATE INDEX hnsw_opt_bq ON hnsw_opt USING hnsw ((binary_quantize(v)::bit(3)) bit_hamming_ops);
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM hnsw_opt ORDER BY v::halfvec(3) <-> '[10.2,2.9,1.1]' LIMIT 3;
SELECT id FROM hnsw_opt ORDER BY v::halfvec(3) <-> '[10.2,2.9,1.1]' LIMIT 3;
EXPLAIN (COSTS OFF) SELECT id FROM hnsw_opt ORDER BY binary_quantize(v)::bit(3) <~> B'111' LIMIT 3;
SELECT count(*) FROM (SELECT id FROM hnsw_opt ORDER BY binary_quantize(v)::bit(3) <~> B'111' LIMIT 5) s;
RESET enable_seqscan;

-- ---- more than 2,000 dimensions (pgvector's limit): vector(3000), vector(16000), halfvec(16000)
CREATE TABLE hnsw_wide (id int, v3 vector(3000), v16 vector(16000), h16 halfvec(16000));
INSERT INTO hnsw_wide (id, v3) SELECT i, (SELECT array_agg(sin(i * 0.37 + j * 0.011)) FROM generate_series(1, 3000) j)::real[]
FROM generate_series(1, 60) i;
INSERT INTO hnsw_wide (id, v16, h16) SELECT i, a::vector(16000), a::halfvec(16000)
FROM (SELECT i, (SELECT array_agg(cos(i * 0.53 + j * 0.007)) FROM generate_series(1, 16000) j)::real[] AS a
      FROM generate_series(61, 80) i) s;
CREATE INDEX hnsw_wide_v3 ON hnsw_wide USING hnsw (v3 vector_l2_ops);
CREATE INDEX hnsw_wide_v16 ON hnsw_wide USING hnsw (v16 vector_cosine_ops);
CREATE INDEX hnsw_wide_h16 ON hnsw_wide USING hnsw (h16 halfvec_l2_ops);
CREATE TABLE hnsw_wide_q AS SELECT 1 AS id, v3, v16, h16 FROM hnsw_wide WHERE false;
INSERT INTO hnsw_wide_q SELECT 1, (SELECT array_agg(sin(7.7 + j * 0.011)) FROM generate_series(1, 3000) j)::real[],
  a::vector(16000), a::halfvec(16000)
FROM (SELECT (SELECT array_agg(cos(70.1 + j * 0.007)) FROM generate_series(1, 16000) j)::real[] AS a) s;
ALTER TABLE hnsw_queries RENAME TO hnsw_queries_small;
ALTER TABLE hnsw_wide_q RENAME TO hnsw_queries;
SELECT col, op, hnsw_exact('hnsw_wide', col, op, 5) AS result
FROM (VALUES ('v3', '<->'), ('v16', '<=>'), ('h16', '<->')) AS t(col, op);
-- inserts of wide rows after the build
INSERT INTO hnsw_wide (id, v3) SELECT i, (SELECT array_agg(sin(i * 0.37 + j * 0.011)) FROM generate_series(1, 3000) j)::real[]
FROM generate_series(81, 90) i;
INSERT INTO hnsw_wide (id, v16, h16) SELECT i, a::vector(16000), a::halfvec(16000)
FROM (SELECT i, (SELECT array_agg(cos(i * 0.53 + j * 0.007)) FROM generate_series(1, 16000) j)::real[] AS a
      FROM generate_series(91, 95) i) s;
SELECT col, op, hnsw_exact('hnsw_wide', col, op, 5) AS result
FROM (VALUES ('v3', '<->'), ('v16', '<=>'), ('h16', '<->')) AS t(col, op);
SELECT piramid_index_check('hnsw_wide_v3') IS NOT NULL AS v3, piramid_index_check('hnsw_wide_v16') IS NOT NULL AS v16,
  piramid_index_check('hnsw_wide_h16') IS NOT NULL AS h16;
DROP TABLE hnsw_wide;
DROP TABLE hnsw_queries;
ALTER TABLE hnsw_queries_small RENAME TO hnsw_queries;

-- ---- an index on an empty table, then inserts (one by one and in bulk)
CREATE TABLE hnsw_empty (LIKE hnsw_items);
CREATE INDEX hnsw_empty_l2 ON hnsw_empty USING hnsw (v vector_l2_ops);
CREATE INDEX hnsw_empty_ham ON hnsw_empty USING hnsw (b bit_hamming_ops);
SET enable_seqscan = off;
SELECT count(*) FROM (SELECT id FROM hnsw_empty ORDER BY v <-> '[1,1,1,1,1,1,1,1]' LIMIT 5) s;
INSERT INTO hnsw_empty SELECT * FROM hnsw_items WHERE id = 1;
SELECT id FROM hnsw_empty ORDER BY v <-> '[1,1,1,1,1,1,1,1]' LIMIT 5;
INSERT INTO hnsw_empty SELECT * FROM hnsw_items WHERE id > 1;
RESET enable_seqscan;
SELECT col, op, hnsw_exact('hnsw_empty', col, op, 10) AS result FROM (VALUES ('v', '<->'), ('b', '<~>')) AS t(col, op);
SELECT piramid_index_check('hnsw_empty_l2') IS NOT NULL AS checked;
-- every row is reachable: each row's own vector finds it first
SET enable_seqscan = off;
SELECT count(*) AS not_found FROM hnsw_empty e
WHERE (SELECT x.id FROM hnsw_empty x ORDER BY x.v <-> e.v LIMIT 1) <> e.id;
RESET enable_seqscan;

-- ---- NULLs are not indexed; zero vectors are not indexed for cosine distance (it is undefined for them)
CREATE TABLE hnsw_nulls (id int, v vector(3));
INSERT INTO hnsw_nulls VALUES (1, '[1,0,0]'), (2, '[0,0,0]'), (3, NULL), (4, '[0,1,0]'), (5, '[1,1,0]');
CREATE INDEX hnsw_nulls_cos ON hnsw_nulls USING hnsw (v vector_cosine_ops);
CREATE INDEX hnsw_nulls_l2 ON hnsw_nulls USING hnsw (v vector_l2_ops);
INSERT INTO hnsw_nulls VALUES (6, NULL), (7, '[0,0,0]'), (8, '[0,0,1]');
SET enable_seqscan = off;
SELECT id, v <=> '[1,0.1,0]' AS d FROM hnsw_nulls ORDER BY v <=> '[1,0.1,0]' LIMIT 10;
SELECT array_agg(d) AS l2_distances FROM (SELECT v <-> '[0,0,0]' AS d FROM hnsw_nulls ORDER BY v <-> '[0,0,0]' LIMIT 10) s;
-- a zero or NULL query vector: no error, at most the indexed rows (generic plans keep the parameter unknown)
SET plan_cache_mode = force_generic_plan;
PREPARE hnsw_cos(vector) AS SELECT count(*) FROM (SELECT id FROM hnsw_nulls ORDER BY v <=> $1 LIMIT 10) s;
PREPARE hnsw_l2(vector) AS SELECT count(*) FROM (SELECT id FROM hnsw_nulls ORDER BY v <-> $1 LIMIT 10) s;
EXPLAIN (COSTS OFF) EXECUTE hnsw_l2(NULL);
EXECUTE hnsw_cos('[0,0,0]');
EXECUTE hnsw_cos(NULL);
EXECUTE hnsw_l2(NULL);
DEALLOCATE hnsw_cos;
DEALLOCATE hnsw_l2;
RESET plan_cache_mode;
RESET enable_seqscan;
SELECT piramid_index_check('hnsw_nulls_cos') IS NOT NULL AS cos, piramid_index_check('hnsw_nulls_l2') IS NOT NULL AS l2;

-- ---- the planner: the index serves ORDER BY col <op> constant LIMIT n, nothing else
SELECT setseed(0.5);
CREATE TABLE hnsw_plan (id int, v vector(16), c int);
INSERT INTO hnsw_plan SELECT i, (SELECT array_agg(random()) FROM generate_series(1, 16) WHERE i > 0)::real[], i % 10
FROM generate_series(1, 5000) i;
CREATE INDEX hnsw_plan_l2 ON hnsw_plan USING hnsw (v vector_l2_ops);
ANALYZE hnsw_plan;
EXPLAIN (COSTS OFF) SELECT id FROM hnsw_plan ORDER BY v <-> '[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]' LIMIT 10;
EXPLAIN (COSTS OFF) SELECT id FROM hnsw_plan ORDER BY v <-> (SELECT v FROM hnsw_plan WHERE id = 1) LIMIT 10;
PREPARE hnsw_knn(vector) AS SELECT id FROM hnsw_plan ORDER BY v <-> $1 LIMIT 10;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (COSTS OFF) EXECUTE hnsw_knn('[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]');
RESET plan_cache_mode;
DEALLOCATE hnsw_knn;
-- not without LIMIT, not for a filter on the distance, not for another operator or descending order
EXPLAIN (COSTS OFF) SELECT id FROM hnsw_plan ORDER BY v <-> '[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]';
EXPLAIN (COSTS OFF) SELECT id FROM hnsw_plan WHERE v <-> '[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]' < 1;
EXPLAIN (COSTS OFF) SELECT id FROM hnsw_plan ORDER BY v <=> '[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]' LIMIT 10;
EXPLAIN (COSTS OFF) SELECT id FROM hnsw_plan ORDER BY v <-> '[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]' DESC LIMIT 10;
EXPLAIN (COSTS OFF) SELECT id FROM hnsw_plan WHERE id = 5;

-- ---- deletes and VACUUM: dead rows disappear from results, the checker still passes
DELETE FROM hnsw_empty WHERE id % 2 = 0;
VACUUM hnsw_empty;
SELECT piramid_index_check('hnsw_empty_l2') IS NOT NULL AS l2, piramid_index_check('hnsw_empty_ham') IS NOT NULL AS ham;
SELECT col, op, hnsw_exact('hnsw_empty', col, op, 10) AS result FROM (VALUES ('v', '<->'), ('b', '<~>')) AS t(col, op);
INSERT INTO hnsw_empty SELECT * FROM hnsw_items WHERE id % 2 = 0;
SELECT col, op, hnsw_exact('hnsw_empty', col, op, 10) AS result FROM (VALUES ('v', '<->'), ('b', '<~>')) AS t(col, op);
TRUNCATE hnsw_empty;
SET enable_seqscan = off;
SELECT count(*) FROM (SELECT id FROM hnsw_empty ORDER BY v <-> '[1,1,1,1,1,1,1,1]' LIMIT 5) s;
RESET enable_seqscan;
INSERT INTO hnsw_empty SELECT * FROM hnsw_items;
SELECT col, op, hnsw_exact('hnsw_empty', col, op, 10) AS result FROM (VALUES ('v', '<->'), ('b', '<~>')) AS t(col, op);

-- ---- REINDEX, REINDEX CONCURRENTLY, CREATE INDEX CONCURRENTLY
REINDEX INDEX hnsw_empty_l2;
SELECT hnsw_exact('hnsw_empty', 'v', '<->', 10) AS reindex;
REINDEX INDEX CONCURRENTLY hnsw_empty_l2;
SELECT hnsw_exact('hnsw_empty', 'v', '<->', 10) AS reindex_concurrently;
REINDEX TABLE hnsw_empty;
SELECT hnsw_exact('hnsw_empty', 'b', '<~>', 10) AS reindex_table;
DROP INDEX hnsw_empty_l2;
CREATE INDEX CONCURRENTLY hnsw_empty_l2 ON hnsw_empty USING hnsw (v vector_l2_ops);
SELECT hnsw_exact('hnsw_empty', 'v', '<->', 10) AS create_concurrently;
SELECT piramid_index_check('hnsw_empty_l2') IS NOT NULL AS checked;

-- ---- unlogged tables and partitioned tables
CREATE UNLOGGED TABLE hnsw_unlogged (LIKE hnsw_items);
CREATE INDEX hnsw_unlogged_l2 ON hnsw_unlogged USING hnsw (v vector_l2_ops);
INSERT INTO hnsw_unlogged SELECT * FROM hnsw_items;
SELECT hnsw_exact('hnsw_unlogged', 'v', '<->', 10) AS unlogged;
SELECT relpersistence FROM pg_class WHERE relname = 'hnsw_unlogged_l2';
CREATE TABLE hnsw_parted (id int, v vector(8)) PARTITION BY RANGE (id);
CREATE TABLE hnsw_parted_1 PARTITION OF hnsw_parted FOR VALUES FROM (0) TO (150);
CREATE TABLE hnsw_parted_2 PARTITION OF hnsw_parted FOR VALUES FROM (150) TO (1000);
INSERT INTO hnsw_parted SELECT id, v FROM hnsw_items;
CREATE INDEX hnsw_parted_l2 ON hnsw_parted USING hnsw (v vector_l2_ops);
SELECT hnsw_exact('hnsw_parted', 'v', '<->', 10) AS partitioned;

-- ---- every hnsw operator class passes amvalidate
SELECT opcname, amvalidate(oid) AS valid FROM pg_opclass
WHERE opcmethod = (SELECT oid FROM pg_am WHERE amname = 'hnsw') ORDER BY opcname;

-- ---- rolled-back inserts are never returned; the checker passes with their dead entries
CREATE TABLE hnsw_rb (id int, v vector(3));
INSERT INTO hnsw_rb SELECT i, ARRAY[i, i % 7, i % 3] FROM generate_series(1, 100) i;
CREATE INDEX hnsw_rb_l2 ON hnsw_rb USING hnsw (v vector_l2_ops);
BEGIN;
INSERT INTO hnsw_rb SELECT i, ARRAY[i - 1000, 2.5, 1.5] FROM generate_series(1001, 1050) i;
ROLLBACK;
SET enable_seqscan = off;
SELECT count(*) FILTER (WHERE id > 1000) AS rolled_back, count(*) AS rows
FROM (SELECT id FROM hnsw_rb ORDER BY v <-> '[20,2.5,1.5]' LIMIT 10) s;
SET hnsw.iterative_scan = relaxed_order;
SELECT count(*) FILTER (WHERE id > 1000) AS rolled_back, count(*) AS rows
FROM (SELECT id FROM hnsw_rb ORDER BY v <-> '[20,2.5,1.5]' LIMIT 1000) s;
RESET hnsw.iterative_scan;
RESET enable_seqscan;
SELECT piramid_index_check('hnsw_rb_l2') IS NOT NULL AS checked;
DROP TABLE hnsw_rb;

-- ---- sparse vectors with many non-zero elements (pgvector's hnsw stops at 1,000)
CREATE TABLE hnsw_sparse (id int, s sparsevec(100000));
INSERT INTO hnsw_sparse SELECT i, ('{' || (SELECT string_agg((j * 7 + i) % 100000 + 1 || ':' || (j % 5 + 1), ',' ORDER BY (j * 7 + i) % 100000 + 1)
  FROM generate_series(1, 3000) j) || '}/100000')::sparsevec FROM generate_series(1, 20) i;
CREATE INDEX hnsw_sparse_l2 ON hnsw_sparse USING hnsw (s sparsevec_l2_ops);
SET enable_seqscan = off;
SELECT id FROM hnsw_sparse ORDER BY s <-> (SELECT s FROM hnsw_sparse WHERE id = 7) LIMIT 1;
RESET enable_seqscan;
SELECT piramid_index_check('hnsw_sparse_l2') IS NOT NULL AS checked;
DROP TABLE hnsw_sparse;

DROP TABLE hnsw_items, hnsw_queries, hnsw_opt, hnsw_empty, hnsw_nulls, hnsw_plan, hnsw_unlogged, hnsw_parted;
DROP FUNCTION hnsw_exact;
RESET max_parallel_maintenance_workers;
