-- The ivf and ivfflat access methods: DDL, options and settings with their errors, plans, the
-- untrained buffer of an index created on an empty table, and results equal to the exact order when
-- every list is probed, for every operator class.
LOAD 'piramid';
SET client_min_messages = notice;

CREATE TABLE ivf_items (id int PRIMARY KEY, v vector(8), h halfvec(8), b bit(40));
INSERT INTO ivf_items
  SELECT i, x, x::halfvec(8),
         (((i * 2654435761::bigint) % 1099511627776)::bit(40))
  FROM generate_series(1, 2000) i,
       LATERAL (SELECT ARRAY[(i * 7919) % 1009, (i * 104729) % 997, (i * 12997) % 991, (i * 31) % 101,
                             (i * 17) % 89, (i * 13) % 83, (i * 11) % 79, i % 73]::vector(8) AS x) s;
INSERT INTO ivf_items VALUES (0, NULL, NULL, NULL);

-- pgvector's DDL runs unchanged.
CREATE INDEX ivf_items_flat ON ivf_items USING ivfflat (v vector_l2_ops) WITH (lists = 20);
SELECT piramid_ivf_info('ivf_items_flat');
SELECT piramid_index_check('ivf_items_flat');
SHOW ivfflat.probes;
SHOW ivfflat.iterative_scan;
SHOW ivfflat.max_probes;
SHOW ivf.probes;
SHOW ivf.rerank;

-- The planner uses the index for ORDER BY ... LIMIT only.
EXPLAIN (COSTS OFF) SELECT id FROM ivf_items ORDER BY v <-> '[1,2,3,4,5,6,7,8]' LIMIT 5;
EXPLAIN (COSTS OFF) SELECT id FROM ivf_items WHERE v <-> '[1,2,3,4,5,6,7,8]' < 10;
EXPLAIN (COSTS OFF) SELECT id FROM ivf_items ORDER BY v <#> '[1,2,3,4,5,6,7,8]' LIMIT 5;
DROP INDEX ivf_items_flat;

-- Options and settings out of range, and other mistakes: clear errors.
CREATE INDEX ON ivf_items USING ivfflat (v vector_l2_ops) WITH (lists = 0);
CREATE INDEX ON ivf_items USING ivfflat (v vector_l2_ops) WITH (lists = 32769);
CREATE INDEX ON ivf_items USING ivf (v vector_l2_ops) WITH (probes = 3);
CREATE INDEX ON ivf_items USING ivf (v vector_l2_pq_ops (subvectors = 3));
CREATE INDEX ON ivf_items USING ivf (v vector_l2_pq_ops (bits = 9));
CREATE INDEX ON ivf_items USING ivfflat (v vector_l2_sq8_ops);
SET ivfflat.probes = 0;
SET ivfflat.probes = 32769;
SET ivf.max_probes = 0;
SET ivfflat.iterative_scan = strict_order;
SET ivf.rerank = 0;
SET ivf.no_such_setting = 1;
CREATE TABLE ivf_nodims (v vector);
CREATE INDEX ON ivf_nodims USING ivf (v vector_l2_ops);
CREATE TABLE ivf_sparse (v sparsevec(5));
CREATE INDEX ON ivf_sparse USING ivf (v sparsevec_l2_ops);
DROP TABLE ivf_nodims, ivf_sparse;

-- Every operator class: with probes = lists (and a re-rank depth covering every candidate) an index
-- scan returns the exact order, distances included (ties broken by id on both sides).
CREATE FUNCTION ivf_matches_exact(am text, opclass text, col text, op text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE got float8[]; want float8[]; got_ids int[]; want_ids int[]; bad int := 0; q int;
BEGIN
  EXECUTE format('CREATE INDEX ivf_items_idx ON ivf_items USING %s (%I %s) WITH (lists = 16)', am, col, opclass);
  EXECUTE format('SET %s.probes = 16', am);
  SET ivf.rerank = 5000;
  FOR q IN 1..12 LOOP
    SET enable_seqscan = off;
    EXECUTE format('SELECT array_agg(d), array_agg(id) FROM (SELECT id, %1$I %2$s (SELECT %1$I FROM ivf_items WHERE id = %3$s) AS d
                    FROM ivf_items ORDER BY %1$I %2$s (SELECT %1$I FROM ivf_items WHERE id = %3$s) LIMIT 10) s', col, op, q * 97)
      INTO got, got_ids;
    SET enable_seqscan = on;
    SET enable_indexscan = off;
    EXECUTE format('SELECT array_agg(d), array_agg(id) FROM (SELECT id, %1$I %2$s (SELECT %1$I FROM ivf_items WHERE id = %3$s) AS d
                    FROM ivf_items WHERE %1$I IS NOT NULL ORDER BY 2, 1 LIMIT 10) s', col, op, q * 97)
      INTO want, want_ids;
    RESET enable_indexscan;
    IF got IS DISTINCT FROM want THEN bad := bad + 1; END IF;
  END LOOP;
  PERFORM piramid_index_check('ivf_items_idx');
  DROP INDEX ivf_items_idx;
  EXECUTE format('RESET %s.probes', am);
  RESET ivf.rerank;
  RETURN format('%s %s: %s of 12 queries differ', am, opclass, bad);
END $$;
SELECT ivf_matches_exact('ivfflat', 'vector_l2_ops', 'v', '<->');
SELECT ivf_matches_exact('ivfflat', 'vector_ip_ops', 'v', '<#>');
SELECT ivf_matches_exact('ivfflat', 'vector_cosine_ops', 'v', '<=>');
SELECT ivf_matches_exact('ivfflat', 'halfvec_l2_ops', 'h', '<->');
SELECT ivf_matches_exact('ivfflat', 'halfvec_ip_ops', 'h', '<#>');
SELECT ivf_matches_exact('ivfflat', 'halfvec_cosine_ops', 'h', '<=>');
SELECT ivf_matches_exact('ivfflat', 'bit_hamming_ops', 'b', '<~>');
SELECT ivf_matches_exact('ivf', 'vector_l2_ops', 'v', '<->');
SELECT ivf_matches_exact('ivf', 'vector_l2_sq8_ops', 'v', '<->');
SELECT ivf_matches_exact('ivf', 'vector_ip_sq8_ops', 'v', '<#>');
SELECT ivf_matches_exact('ivf', 'vector_cosine_sq8_ops', 'v', '<=>');
SELECT ivf_matches_exact('ivf', 'vector_l2_pq_ops', 'v', '<->');
SELECT ivf_matches_exact('ivf', 'vector_ip_pq_ops', 'v', '<#>');
SELECT ivf_matches_exact('ivf', 'vector_cosine_pq_ops', 'v', '<=>');
SELECT ivf_matches_exact('ivf', 'vector_l2_pq_ops (subvectors = 2, bits = 4)', 'v', '<->');

-- Iterative scans: a filter that keeps few rows returns fewer than LIMIT from one probed list, and LIMIT
-- rows when the scan may probe more lists.
CREATE INDEX ivf_items_l2 ON ivf_items USING ivfflat (v vector_l2_ops) WITH (lists = 20);
SET enable_seqscan = off;
SELECT count(*) < 10 AS fewer FROM (SELECT id FROM ivf_items WHERE id % 50 = 0 ORDER BY v <-> '[0,0,0,0,0,0,0,0]' LIMIT 10) s;
SET ivfflat.iterative_scan = relaxed_order;
SELECT count(*) AS found FROM (SELECT id FROM ivf_items WHERE id % 50 = 0 ORDER BY v <-> '[0,0,0,0,0,0,0,0]' LIMIT 10) s;
SET ivfflat.max_probes = 1;
SELECT count(*) < 10 AS fewer FROM (SELECT id FROM ivf_items WHERE id % 50 = 0 ORDER BY v <-> '[0,0,0,0,0,0,0,0]' LIMIT 10) s;
RESET ivfflat.max_probes;
RESET ivfflat.iterative_scan;
-- A NULL query orders nothing: every row comes back once.
SELECT count(*), count(DISTINCT id) FROM (SELECT id FROM ivf_items ORDER BY v <-> NULL LIMIT 5000) s;
RESET enable_seqscan;
-- Inserts, deletes and vacuum keep the index whole.
INSERT INTO ivf_items SELECT i, ARRAY[i, 1, 2, 3, 4, 5, 6, 7]::vector(8) FROM generate_series(3001, 3400) i;
DELETE FROM ivf_items WHERE id BETWEEN 100 AND 900;
VACUUM ivf_items;
SELECT piramid_index_check('ivf_items_l2');
INSERT INTO ivf_items SELECT i, ARRAY[i, 1, 2, 3, 4, 5, 6, 7]::vector(8) FROM generate_series(3401, 3800) i;
SELECT piramid_index_check('ivf_items_l2');
REINDEX INDEX CONCURRENTLY ivf_items_l2;
SELECT piramid_index_check('ivf_items_l2');
DROP INDEX ivf_items_l2;

-- An index created on an empty table: rows go to the untrained buffer, which scans search exactly;
-- piramid_ivf_train (or VACUUM past the threshold) trains it and moves every row into its list.
CREATE TABLE ivf_grow (id int PRIMARY KEY, v vector(3));
CREATE INDEX ivf_grow_idx ON ivf_grow USING ivf (v vector_l2_ops) WITH (lists = 8);
INSERT INTO ivf_grow SELECT i, ARRAY[i % 10, i % 7, i % 3]::vector FROM generate_series(1, 5) i;
SELECT piramid_ivf_train('ivf_grow_idx');
INSERT INTO ivf_grow SELECT i, ARRAY[i % 10, i % 7, i % 3]::vector FROM generate_series(6, 60) i;
SET enable_seqscan = off;
SELECT array_agg(id) FROM (SELECT id FROM ivf_grow ORDER BY v <-> '[2,2,2]', id LIMIT 4) s;
VACUUM ivf_grow;
SELECT piramid_ivf_info('ivf_grow_idx');
INSERT INTO ivf_grow SELECT i, ARRAY[i % 10, i % 7, i % 3]::vector FROM generate_series(61, 100) i;
VACUUM ivf_grow;
SELECT piramid_ivf_info('ivf_grow_idx');
SELECT piramid_index_check('ivf_grow_idx');
SET ivf.probes = 8;
SELECT array_agg(id) FROM (SELECT id FROM ivf_grow ORDER BY v <-> '[2,2,2]', id LIMIT 4) s;
SELECT piramid_ivf_train('ivf_grow_idx');
RESET ivf.probes;
RESET enable_seqscan;
SELECT piramid_ivf_train('ivf_items');
SELECT piramid_ivf_train('ivf_items_pkey');

-- Values larger than a page (vector(3000) is 12,000 bytes) are stored in parts.
CREATE TABLE ivf_wide (id int, v vector(3000));
INSERT INTO ivf_wide SELECT i, array_fill((i % 9)::real, ARRAY[3000])::vector FROM generate_series(1, 40) i;
CREATE INDEX ivf_wide_idx ON ivf_wide USING ivf (v vector_l2_ops) WITH (lists = 3);
INSERT INTO ivf_wide SELECT i, array_fill((i % 9)::real, ARRAY[3000])::vector FROM generate_series(41, 60) i;
SET enable_seqscan = off;
SET ivf.probes = 3;
SELECT array_agg(id ORDER BY id) FROM (SELECT id FROM ivf_wide ORDER BY v <-> array_fill(4::real, ARRAY[3000])::vector LIMIT 6) s;
DELETE FROM ivf_wide WHERE id % 2 = 0;
VACUUM ivf_wide;
SELECT piramid_index_check('ivf_wide_idx');
RESET ivf.probes;
RESET enable_seqscan;

-- Unlogged tables get an init fork (ambuildempty).
CREATE UNLOGGED TABLE ivf_unlogged (v vector(2));
CREATE INDEX ON ivf_unlogged USING ivfflat (v vector_l2_ops) WITH (lists = 2);
INSERT INTO ivf_unlogged VALUES ('[1,1]'), ('[2,2]');
SELECT count(*) FROM ivf_unlogged;

DROP TABLE ivf_items, ivf_grow, ivf_wide, ivf_unlogged;
DROP FUNCTION ivf_matches_exact;
