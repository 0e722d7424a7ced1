
-- ---------------------------------------------------------------------------------------------------
-- support shared by the index access methods
-- ---------------------------------------------------------------------------------------------------

-- Support function 1 of every index operator class: describes the value type, the distance and the
-- coding of vectors (an internal struct), so the access methods never switch over types.
CREATE FUNCTION piramid_opclass_vector_l2(internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'pmd_opclass_vector_l2' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION piramid_opclass_vector_ip(internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'pmd_opclass_vector_ip' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION piramid_opclass_vector_cosine(internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'pmd_opclass_vector_cosine' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION piramid_opclass_vector_l1(internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'pmd_opclass_vector_l1' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION piramid_opclass_halfvec_l2(internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'pmd_opclass_halfvec_l2' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION piramid_opclass_halfvec_ip(internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'pmd_opclass_halfvec_ip' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION piramid_opclass_halfvec_cosine(internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'pmd_opclass_halfvec_cosine' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION piramid_opclass_halfvec_l1(internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'pmd_opclass_halfvec_l1' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION piramid_opclass_sparsevec_l2(internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'pmd_opclass_sparsevec_l2' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION piramid_opclass_sparsevec_ip(internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'pmd_opclass_sparsevec_ip' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION piramid_opclass_sparsevec_cosine(internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'pmd_opclass_sparsevec_cosine' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION piramid_opclass_sparsevec_l1(internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'pmd_opclass_sparsevec_l1' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION piramid_opclass_bit_hamming(internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'pmd_opclass_bit_hamming' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION piramid_opclass_bit_jaccard(internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'pmd_opclass_bit_jaccard' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION piramid_opclass_vector_l2_sq8(internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'pmd_opclass_vector_l2_sq8' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION piramid_opclass_vector_ip_sq8(internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'pmd_opclass_vector_ip_sq8' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION piramid_opclass_vector_cosine_sq8(internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'pmd_opclass_vector_cosine_sq8' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION piramid_opclass_vector_l2_pq(internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'pmd_opclass_vector_l2_pq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION piramid_opclass_vector_ip_pq(internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'pmd_opclass_vector_ip_pq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION piramid_opclass_vector_cosine_pq(internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'pmd_opclass_vector_cosine_pq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION piramid_index_check(index regclass) RETURNS text
	AS 'MODULE_PATHNAME', 'pmd_piramid_index_check' LANGUAGE C STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION piramid_index_check(regclass) IS
	'verifies a piramid index (hnsw, ivf, ivfflat) against its invariants and its table; errors on corruption';
