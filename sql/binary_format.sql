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

-- recv rejects what the text input rejects, and short fields (binary COPY files written byte by byte)
CREATE TABLE bin_bad (v vector, h halfvec);
-- [1, NaN], then [1, -Infinity] as vector
COPY bin_bad (v) FROM PROGRAM $$printf 'PGCOPY\n\377\r\n\000\000\000\000\000\000\000\000\000\000\001\000\000\000\014\000\002\000\000\077\200\000\000\177\300\000\000\377\377'$$ WITH (FORMAT binary);
COPY bin_bad (v) FROM PROGRAM $$printf 'PGCOPY\n\377\r\n\000\000\000\000\000\000\000\000\000\000\001\000\000\000\014\000\002\000\000\077\200\000\000\377\200\000\000\377\377'$$ WITH (FORMAT binary);
-- [1, NaN] as halfvec
COPY bin_bad (h) FROM PROGRAM $$printf 'PGCOPY\n\377\r\n\000\000\000\000\000\000\000\000\000\000\001\000\000\000\010\000\002\000\000\074\000\176\000\377\377'$$ WITH (FORMAT binary);
-- three dimensions announced, two sent
COPY bin_bad (v) FROM PROGRAM $$printf 'PGCOPY\n\377\r\n\000\000\000\000\000\000\000\000\000\000\001\000\000\000\014\000\003\000\000\077\200\000\000\100\000\000\000\377\377'$$ WITH (FORMAT binary);
-- and a good row: [1, 2] and [1, 2] (halfvec 0x3c00, 0x4000)
COPY bin_bad FROM PROGRAM $$printf 'PGCOPY\n\377\r\n\000\000\000\000\000\000\000\000\000\000\002\000\000\000\014\000\002\000\000\077\200\000\000\100\000\000\000\000\000\000\010\000\002\000\000\074\000\100\000\377\377'$$ WITH (FORMAT binary);
SELECT * FROM bin_bad;
DROP TABLE bin_bad;
