-- GPU contracts on whatever this machine has: no GPU library, the library without a device, or a GPU.
-- The SQL objects have the documented shape; piramid.gpu = auto always answers, with the CPU's
-- neighbours; piramid_gpu_info() explains the state; on runs on the GPU or fails with a clear error;
-- the counters record what happened. (sql/gpu.sql covers the same paths deterministically.)
BEGIN;
SELECT plan(14);
LOAD 'piramid';

SELECT has_function('piramid_gpu_info', '{}'::name[]);
SELECT has_function('piramid_exact_knn', ARRAY['regclass', 'name', 'vector', 'integer', 'text']);
SELECT has_function('piramid_exact_knn_batch', ARRAY['regclass', 'name', 'vector[]', 'integer', 'text']);
SELECT volatility_is('piramid_exact_knn_batch', ARRAY['regclass', 'name', 'vector[]', 'integer', 'text'], 'stable');
SELECT is((SELECT array_agg(DISTINCT proparallel) FROM pg_proc WHERE proname LIKE 'piramid\_exact\_knn%'
             OR proname = 'piramid_gpu_info'), ARRAY['r']::"char"[],
          'GPU functions run only in the leader (a GPU context per parallel worker would be wasteful)');
SELECT is(current_setting('piramid.gpu'), 'auto', 'piramid.gpu defaults to auto');

CREATE TEMP TABLE tap_gpu AS
  SELECT i AS id, ARRAY[(i * 7919) % 1009, (i * 104729) % 997, (i * 1299709) % 991, i % 13]::real[]::vector(4) AS v
  FROM generate_series(1::bigint, 3000) i;
CREATE TEMP TABLE tap_queries AS SELECT ARRAY['[1,2,3,4]', '[500,500,500,6]', '[1000,0,1000,12]']::vector[] AS q;
SET LOCAL piramid.gpu_min_rows = 0;
SET LOCAL piramid.gpu = off;
CREATE TEMP TABLE tap_cpu AS
  SELECT * FROM piramid_exact_knn_batch('tap_gpu', 'v', (SELECT q FROM tap_queries), 10, 'cosine');
SET LOCAL piramid.gpu = auto;
SELECT lives_ok($$ CREATE TEMP TABLE tap_auto AS
                   SELECT * FROM piramid_exact_knn_batch('tap_gpu', 'v', (SELECT q FROM tap_queries), 10, 'cosine') $$,
                'piramid.gpu = auto answers on any machine');
SELECT results_eq('SELECT query, rank, tid FROM tap_auto ORDER BY 1, 2', 'SELECT query, rank, tid FROM tap_cpu ORDER BY 1, 2',
                  'auto finds the CPU''s neighbours');
SELECT ok((SELECT max(abs(a.distance - c.distance)) FROM tap_auto a JOIN tap_cpu c USING (query, rank)) < 1e-5,
          'auto gives the CPU''s distances');

SELECT ok(CASE WHEN NOT loaded THEN status LIKE 'the GPU library is not installed%' OR status LIKE 'could not load%'
               WHEN device IS NULL THEN status <> 'ready' AND status <> ''
               ELSE status = 'ready' AND memory_total_mb > 0 AND memory_free_mb <= memory_total_mb END,
          'piramid_gpu_info() explains the state: ' || status)
  FROM piramid_gpu_info();

SET LOCAL piramid.gpu = on;
SELECT CASE WHEN device IS NULL
  THEN throws_like($$ SELECT * FROM piramid_exact_knn('tap_gpu', 'v', '[1,2,3,4]', 3) $$,
                   'piramid.gpu is on, but the GPU cannot be used for exact k-NN: %', 'on without a GPU is a clear error')
  ELSE lives_ok($$ CREATE TEMP TABLE tap_on AS
                   SELECT * FROM piramid_exact_knn_batch('tap_gpu', 'v', (SELECT q FROM tap_queries), 10, 'cosine') $$,
                'on with a GPU runs on it') END
  FROM piramid_gpu_info();
SELECT CASE WHEN device IS NULL THEN pass('no GPU: nothing ran on one')
  ELSE results_eq('SELECT query, rank, tid FROM tap_on ORDER BY 1, 2', 'SELECT query, rank, tid FROM tap_cpu ORDER BY 1, 2',
                  'the GPU finds the CPU''s neighbours') END
  FROM piramid_gpu_info();
SELECT ok(CASE WHEN device IS NULL THEN fallbacks >= 1 AND last_fallback LIKE 'exact k-NN: %' ELSE gpu_jobs >= 2 END,
          'the counters record where the jobs ran')
  FROM piramid_gpu_info();
SELECT is(open_searches, 0, 'no search is left open') FROM piramid_gpu_info();

SELECT * FROM finish();
ROLLBACK;
