
-- ---------------------------------------------------------------------------------------------------
-- diagnostics
-- ---------------------------------------------------------------------------------------------------

CREATE FUNCTION piramid_simd_level() RETURNS text
	AS 'MODULE_PATHNAME', 'pmd_piramid_simd_level' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION piramid_simd_level() IS 'distance kernels in use: scalar, avx2 or avx512';

CREATE FUNCTION piramid_check_error_boundary(kind text) RETURNS integer
	AS 'MODULE_PATHNAME', 'pmd_piramid_check_error_boundary' LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION piramid_check_error_boundary(text) IS
	'fails deep in the C++ core (kind: invalid, bad_alloc, runtime, integer, callback, none) to show the failure arrives as a clean SQL error; returns the number of core objects left alive (0)';
