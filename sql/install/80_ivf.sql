-- ---------------------------------------------------------------------------------------------------
-- ivf access method (inverted lists; USING ivf with flat, sq8 and pq opclasses) and ivfflat, the same
-- implementation under pgvector's name, opclass names and settings: USING ivfflat (col vector_l2_ops)
-- WITH (lists = 100)
-- ---------------------------------------------------------------------------------------------------

CREATE FUNCTION ivf_handler(internal) RETURNS index_am_handler
	AS 'MODULE_PATHNAME', 'pmd_ivf_handler' LANGUAGE C;
CREATE ACCESS METHOD ivf TYPE INDEX HANDLER ivf_handler;
COMMENT ON ACCESS METHOD ivf IS 'ivf (inverted file) index access method';

CREATE FUNCTION ivfflat_handler(internal) RETURNS index_am_handler
	AS 'MODULE_PATHNAME', 'pmd_ivfflat_handler' LANGUAGE C;
CREATE ACCESS METHOD ivfflat TYPE INDEX HANDLER ivfflat_handler;
COMMENT ON ACCESS METHOD ivfflat IS 'ivfflat index access method (pgvector-compatible ivf)';

-- Support function 2 of the PQ operator classes: their options (subvectors, bits).
CREATE FUNCTION piramid_ivf_pq_options(internal) RETURNS void
	AS 'MODULE_PATHNAME', 'pmd_ivf_pq_options' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION piramid_ivf_train(index regclass) RETURNS bigint
	AS 'MODULE_PATHNAME', 'pmd_ivf_train' LANGUAGE C STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION piramid_ivf_train(regclass) IS
	'trains an ivf index created before its table had enough rows, moving buffered rows into lists; returns the rows moved';

CREATE FUNCTION piramid_ivf_info(index regclass) RETURNS text
	AS 'MODULE_PATHNAME', 'pmd_ivf_info' LANGUAGE C STRICT STABLE PARALLEL SAFE;
COMMENT ON FUNCTION piramid_ivf_info(regclass) IS 'lists, trained lists and code size of an ivf index';


CREATE OPERATOR CLASS vector_l2_ops FOR TYPE vector USING ivf AS
	OPERATOR 1 <-> (vector, vector) FOR ORDER BY float_ops,
	FUNCTION 1 piramid_opclass_vector_l2(internal);
CREATE OPERATOR CLASS vector_ip_ops FOR TYPE vector USING ivf AS
	OPERATOR 1 <#> (vector, vector) FOR ORDER BY float_ops,
	FUNCTION 1 piramid_opclass_vector_ip(internal);
CREATE OPERATOR CLASS vector_cosine_ops FOR TYPE vector USING ivf AS
	OPERATOR 1 <=> (vector, vector) FOR ORDER BY float_ops,
	FUNCTION 1 piramid_opclass_vector_cosine(internal);
CREATE OPERATOR CLASS halfvec_l2_ops FOR TYPE halfvec USING ivf AS
	OPERATOR 1 <-> (halfvec, halfvec) FOR ORDER BY float_ops,
	FUNCTION 1 piramid_opclass_halfvec_l2(internal);
CREATE OPERATOR CLASS halfvec_ip_ops FOR TYPE halfvec USING ivf AS
	OPERATOR 1 <#> (halfvec, halfvec) FOR ORDER BY float_ops,
	FUNCTION 1 piramid_opclass_halfvec_ip(internal);
CREATE OPERATOR CLASS halfvec_cosine_ops FOR TYPE halfvec USING ivf AS
	OPERATOR 1 <=> (halfvec, halfvec) FOR ORDER BY float_ops,
	FUNCTION 1 piramid_opclass_halfvec_cosine(internal);
CREATE OPERATOR CLASS bit_hamming_ops FOR TYPE bit USING ivf AS
	OPERATOR 1 <~> (bit, bit) FOR ORDER BY float_ops,
	FUNCTION 1 piramid_opclass_bit_hamming(internal);

CREATE OPERATOR CLASS vector_l2_ops FOR TYPE vector USING ivfflat AS
	OPERATOR 1 <-> (vector, vector) FOR ORDER BY float_ops,
	FUNCTION 1 piramid_opclass_vector_l2(internal);
CREATE OPERATOR CLASS vector_ip_ops FOR TYPE vector USING ivfflat AS
	OPERATOR 1 <#> (vector, vector) FOR ORDER BY float_ops,
	FUNCTION 1 piramid_opclass_vector_ip(internal);
CREATE OPERATOR CLASS vector_cosine_ops FOR TYPE vector USING ivfflat AS
	OPERATOR 1 <=> (vector, vector) FOR ORDER BY float_ops,
	FUNCTION 1 piramid_opclass_vector_cosine(internal);
CREATE OPERATOR CLASS halfvec_l2_ops FOR TYPE halfvec USING ivfflat AS
	OPERATOR 1 <-> (halfvec, halfvec) FOR ORDER BY float_ops,
	FUNCTION 1 piramid_opclass_halfvec_l2(internal);
CREATE OPERATOR CLASS halfvec_ip_ops FOR TYPE halfvec USING ivfflat AS
	OPERATOR 1 <#> (halfvec, halfvec) FOR ORDER BY float_ops,
	FUNCTION 1 piramid_opclass_halfvec_ip(internal);
CREATE OPERATOR CLASS halfvec_cosine_ops FOR TYPE halfvec USING ivfflat AS
	OPERATOR 1 <=> (halfvec, halfvec) FOR ORDER BY float_ops,
	FUNCTION 1 piramid_opclass_halfvec_cosine(internal);
CREATE OPERATOR CLASS bit_hamming_ops FOR TYPE bit USING ivfflat AS
	OPERATOR 1 <~> (bit, bit) FOR ORDER BY float_ops,
	FUNCTION 1 piramid_opclass_bit_hamming(internal);

CREATE OPERATOR CLASS vector_l2_sq8_ops FOR TYPE vector USING ivf AS
	OPERATOR 1 <-> (vector, vector) FOR ORDER BY float_ops,
	FUNCTION 1 piramid_opclass_vector_l2_sq8(internal);
CREATE OPERATOR CLASS vector_ip_sq8_ops FOR TYPE vector USING ivf AS
	OPERATOR 1 <#> (vector, vector) FOR ORDER BY float_ops,
	FUNCTION 1 piramid_opclass_vector_ip_sq8(internal);
CREATE OPERATOR CLASS vector_cosine_sq8_ops FOR TYPE vector USING ivf AS
	OPERATOR 1 <=> (vector, vector) FOR ORDER BY float_ops,
	FUNCTION 1 piramid_opclass_vector_cosine_sq8(internal);
CREATE OPERATOR CLASS vector_l2_pq_ops FOR TYPE vector USING ivf AS
	OPERATOR 1 <-> (vector, vector) FOR ORDER BY float_ops,
	FUNCTION 1 piramid_opclass_vector_l2_pq(internal),
	FUNCTION 2 piramid_ivf_pq_options(internal);
CREATE OPERATOR CLASS vector_ip_pq_ops FOR TYPE vector USING ivf AS
	OPERATOR 1 <#> (vector, vector) FOR ORDER BY float_ops,
	FUNCTION 1 piramid_opclass_vector_ip_pq(internal),
	FUNCTION 2 piramid_ivf_pq_options(internal);
CREATE OPERATOR CLASS vector_cosine_pq_ops FOR TYPE vector USING ivf AS
	OPERATOR 1 <=> (vector, vector) FOR ORDER BY float_ops,
	FUNCTION 1 piramid_opclass_vector_cosine_pq(internal),
	FUNCTION 2 piramid_ivf_pq_options(internal);
