-- The GPU library's settings and fallback, on every machine: with the library missing, with a library
-- that loads but finds no device (the no-device stub), piramid.gpu = on failing clearly, and the exact
-- k-NN function returning what ORDER BY ... LIMIT returns. (Real-GPU checks: test/pgtap/gpu.sql.)
LOAD 'piramid';
SHOW piramid.gpu;
SHOW piramid.gpu_min_rows;

CREATE TABLE gpu_items (id int PRIMARY KEY, v vector(4), h halfvec(4));
INSERT INTO gpu_items
  SELECT i, x, x::halfvec(4)
  FROM generate_series(1, 600) i,
       LATERAL (SELECT ARRAY[((i * 7919) % 1009) / 100.0, ((i * 104729) % 997) / 100.0,
                             ((i * 1299709) % 991) / 100.0, (i % 13) / 10.0]::vector(4) AS x) s;
INSERT INTO gpu_items VALUES (0, NULL, NULL);

-- A library that does not exist: loaded is false and the status says why.
SET piramid.gpu_library = '/nonexistent/piramid_gpu';
SELECT setting, library, loaded, status, device, gpu_jobs, cpu_jobs, fallbacks, open_searches
  FROM piramid_gpu_info();

-- Exact k-NN on the CPU equals ORDER BY distance, ctid, distances included (the same kernels), for
-- every metric and for vector and halfvec columns.
CREATE FUNCTION gpu_same_as_order_by(col text, op text, metric text, q text, k int) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE got tid[]; want tid[]; got_d float8[]; want_d float8[];
BEGIN
  SELECT array_agg(tid ORDER BY rank), array_agg(distance ORDER BY rank) INTO got, got_d
    FROM piramid_exact_knn_batch('gpu_items', col::name, ARRAY[q::vector], k, metric);
  EXECUTE format('SELECT array_agg(ctid), array_agg(d) FROM
                    (SELECT ctid, %1$I %2$s %3$L AS d FROM gpu_items WHERE %1$I IS NOT NULL
                     ORDER BY %1$I %2$s %3$L, ctid LIMIT %4$s) s', col, op,
                 CASE WHEN col = 'h' THEN q::halfvec::text ELSE q END, k) INTO want, want_d;
  RETURN got = want AND got_d = want_d;
END $$;
SELECT col, metric, gpu_same_as_order_by(col, op, metric, '[1,2,3,0.5]', 7) AS same
  FROM (VALUES ('v'), ('h')) c(col), (VALUES ('<->', 'l2'), ('<#>', 'ip'), ('<=>', 'cosine')) m(op, metric)
  ORDER BY 1, 2;
SELECT rank, distance::numeric(10, 4) FROM piramid_exact_knn('gpu_items', 'v', '[1,2,3,0.5]', 3, '<->');
SELECT query, count(*), min(rank), max(rank)
  FROM piramid_exact_knn_batch('gpu_items', 'v', ARRAY['[1,2,3,0.5]', '[9,9,9,1]', '[0,0,0,0]']::vector[], 5, 'cosine')
  GROUP BY query ORDER BY query;
-- More neighbours asked for than rows: every non-NULL row once.
SELECT count(*), count(DISTINCT tid) FROM piramid_exact_knn('gpu_items', 'v', '[1,1,1,1]', 1000);
-- A zero query has no cosine distance: NaN, as the operator says.
SELECT distance FROM piramid_exact_knn('gpu_items', 'v', '[0,0,0,0]', 1, 'cosine');
SELECT count(*) FROM piramid_exact_knn_batch('gpu_items', 'v', ARRAY[]::vector[], 5);

-- auto: a small job stays on the CPU without trying the GPU; a large one tries, falls back and counts it.
SET piramid.gpu = auto;
SELECT cpu_jobs, fallbacks FROM piramid_gpu_info();
SET piramid.gpu_min_rows = 0;
SELECT count(*) FROM piramid_exact_knn('gpu_items', 'v', '[1,2,3,0.5]', 10);
SELECT fallbacks, last_fallback FROM piramid_gpu_info();

-- on: a clear error instead of a silent CPU run.
SET piramid.gpu = on;
SELECT count(*) FROM piramid_exact_knn('gpu_items', 'v', '[1,2,3,0.5]', 10);

-- A library that loads but finds no device: loaded is true and the status is the library's reason.
SET piramid.gpu_library = '$libdir/piramid_gpu_stub';
SELECT library LIKE '%/piramid_gpu_stub.so' AS stub, loaded, status, device IS NULL AS no_device
  FROM piramid_gpu_info();
SELECT count(*) FROM piramid_exact_knn('gpu_items', 'v', '[1,2,3,0.5]', 10);
SET piramid.gpu = auto;
SELECT gpu_same_as_order_by('v', '<->', 'l2', '[5,5,5,5]', 20) AS same_after_fallback;
SELECT fallbacks, last_fallback FROM piramid_gpu_info();
SET piramid.gpu = off;
SELECT loaded, status FROM piramid_gpu_info();
RESET piramid.gpu;
RESET piramid.gpu_min_rows;

-- Errors name the problem.
SELECT * FROM piramid_exact_knn('gpu_items', 'nope', '[1,2,3,4]', 3);
SELECT * FROM piramid_exact_knn('gpu_items', 'id', '[1,2,3,4]', 3);
SELECT * FROM piramid_exact_knn('gpu_items', 'v', '[1,2,3,4]', 0);
SELECT * FROM piramid_exact_knn('gpu_items', 'v', '[1,2,3,4]', 3, 'hamming');
SELECT * FROM piramid_exact_knn_batch('gpu_items', 'v', ARRAY['[1,2,3,4]', '[1,2]']::vector[], 3);
SELECT * FROM piramid_exact_knn_batch('gpu_items', 'v', ARRAY['[1,2,3,4]', NULL]::vector[], 3);
SELECT * FROM piramid_exact_knn('gpu_items', 'h', '[1,2,3,100000]', 3);
SELECT * FROM piramid_exact_knn('gpu_items_pkey', 'id', '[1,2,3,4]', 3);

-- An error in the middle of the scan (a row of other dimensions) frees the search it had open.
CREATE TABLE gpu_mixed (v vector);
INSERT INTO gpu_mixed SELECT ARRAY[i, i, i]::vector FROM generate_series(1, 100) i;
INSERT INTO gpu_mixed VALUES ('[1,2]');
SELECT * FROM piramid_exact_knn('gpu_mixed', 'v', '[1,1,1]', 3);
SELECT open_searches FROM piramid_gpu_info();
DELETE FROM gpu_mixed WHERE vector_dims(v) = 2;
SELECT rank, tid, distance FROM piramid_exact_knn('gpu_mixed', 'v', '[1,1,1]', 2);

-- Privileges and row-level security are honoured; the library path is for superusers only.
CREATE ROLE regress_gpu_reader;
SET ROLE regress_gpu_reader;
SELECT * FROM piramid_exact_knn('gpu_items', 'v', '[1,2,3,4]', 3);
SET piramid.gpu_library = '/tmp/evil';
RESET ROLE;
GRANT SELECT (v) ON gpu_items TO regress_gpu_reader;
SET ROLE regress_gpu_reader;
SELECT count(*) FROM piramid_exact_knn('gpu_items', 'v', '[1,2,3,4]', 3);
RESET ROLE;
ALTER TABLE gpu_items ENABLE ROW LEVEL SECURITY;
SET ROLE regress_gpu_reader;
SELECT * FROM piramid_exact_knn('gpu_items', 'v', '[1,2,3,4]', 3);
RESET ROLE;
DROP TABLE gpu_items, gpu_mixed;
DROP FUNCTION gpu_same_as_order_by;
DROP ROLE regress_gpu_reader;
RESET piramid.gpu_library;
