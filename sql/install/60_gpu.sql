
-- ---------------------------------------------------------------------------------------------------
-- GPU library status and exact (brute-force) k-NN through the compute backends (docs/gpu.md)
-- ---------------------------------------------------------------------------------------------------

CREATE FUNCTION piramid_gpu_info(
		OUT setting text, OUT library text, OUT loaded boolean, OUT status text,
		OUT device text, OUT compute_capability text,
		OUT memory_total_mb bigint, OUT memory_used_mb bigint, OUT memory_free_mb bigint,
		OUT temperature_c integer, OUT multiprocessors integer, OUT cuda_version text,
		OUT gpu_jobs bigint, OUT cpu_jobs bigint, OUT fallbacks bigint, OUT last_fallback text,
		OUT open_searches integer)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'pmd_piramid_gpu_info' LANGUAGE C VOLATILE PARALLEL RESTRICTED ROWS 1;
COMMENT ON FUNCTION piramid_gpu_info() IS
	'whether the GPU library loaded and why not, the device, its memory and temperature, this session''s counts of GPU jobs, CPU jobs and fallbacks, and its k-NN searches still open (0 between statements)';

-- Restricted to the leader: each parallel worker would open its own GPU context.
CREATE FUNCTION piramid_exact_knn_batch(tbl regclass, col name, queries vector[], k integer, metric text DEFAULT 'l2',
		OUT query integer, OUT rank integer, OUT tid tid, OUT distance double precision)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'pmd_piramid_exact_knn' LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION piramid_exact_knn_batch(regclass, name, vector[], integer, text) IS
	'the k nearest rows (by ctid) of each query among a vector or halfvec column, by brute force on the GPU or the CPU; metric l2, ip or cosine';

CREATE FUNCTION piramid_exact_knn(tbl regclass, col name, query vector, k integer, metric text DEFAULT 'l2',
		OUT rank integer, OUT tid tid, OUT distance double precision)
	RETURNS SETOF record
	AS $$ SELECT rank, tid, distance FROM piramid_exact_knn_batch(tbl, col, ARRAY[query], k, metric) $$
	LANGUAGE sql STABLE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION piramid_exact_knn(regclass, name, vector, integer, text) IS
	'the k nearest rows (by ctid) of one query among a vector or halfvec column, by brute force on the GPU or the CPU';
