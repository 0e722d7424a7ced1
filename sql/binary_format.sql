-- The binary send/recv layouts must be byte-for-byte pgvector's, so binary COPY and client libraries work:
-- vector: int16 dim, int16 0, float4[]; halfvec: int16 dim, int16 0, binary16[];
-- sparsevec: int32 dim, int32 nnz, int32 0, int32 indices[] (0-based), float4 values[]; all big-endian.
SELECT vector_send('[1,2,3]');
SELECT vector_send('[-0.5]');
SELECT halfvec_send('[1,2,3]');
SELECT sparsevec_send('{1:1.5,3:2}/5');
SELECT sparsevec_send('{}/7');

-- binary COPY round trip (send, then recv with the column's typmod)
CREATE TABLE bin_src (v vector(3), h halfvec(3), s sparsevec(5));
INSERT INTO bin_src VALUES ('[1,-2.5,3e-7]', '[1,-2.5,0.001]', '{1:1.5,5:-2}/5'), ('[0,0,0]', '[0,0,0]', '{}/5');
\copy bin_src TO 'results/vectors.bin' WITH (FORMAT binary)
CREATE TABLE bin_dst (LIKE bin_src);
\copy bin_dst FROM 'results/vectors.bin' WITH (FORMAT binary)
SELECT * FROM bin_dst;
SELECT (SELECT array_agg(t ORDER BY t::text) FROM bin_src t)::text = (SELECT array_agg(t ORDER BY t::text) FROM bin_dst t)::text AS identical;
-- recv enforces the destination's typmod
CREATE TABLE bin_narrow (v vector(2), h halfvec(3), s sparsevec(5));
\copy bin_narrow FROM 'results/vectors.bin' WITH (FORMAT binary)
DROP TABLE bin_src, bin_dst, bin_narrow;
