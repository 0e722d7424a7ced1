-- vector: text input and output, typmods, and every way text input can be wrong
SELECT '[1,2,3]'::vector, '[-1.5, 0, 2e3]'::vector, '  [ 1 , 2 ]  '::vector;
SELECT '[0.1,1e-5,123456.7,1e7,3.4028235e38,-0]'::vector;
SELECT '[1e-46]'::vector AS underflow_to_zero, '[0x10]'::vector AS hex_float;
SELECT '[1,2,3]'::vector(3);
SELECT vector_dims(array_fill(1, ARRAY[16000])::vector);

-- malformed text
SELECT '[1,,2]'::vector;
SELECT '[1,2'::vector;
SELECT '1,2]'::vector;
SELECT '[a]'::vector;
SELECT '[1 2]'::vector;
SELECT '[1,2]x'::vector;
SELECT ''::vector;
SELECT '['::vector;
-- empty, too many dimensions, non-finite, out of range
SELECT '[]'::vector;
SELECT ('[' || array_to_string(array_fill(1, ARRAY[16001]), ',') || ']')::vector;
SELECT '[NaN]'::vector;
SELECT '[1,Infinity]'::vector;
SELECT '[-inf]'::vector;
SELECT '[4e38]'::vector;
-- typmods
SELECT '[1,2,3]'::vector(2);
SELECT '[1]'::vector(0);
SELECT '[1]'::vector(16001);
SELECT '[1]'::vector(1, 2);
CREATE TABLE typed (v vector(3));
INSERT INTO typed VALUES ('[1,2,3]');
INSERT INTO typed VALUES ('[1,2]');
SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'typed'::regclass AND attname = 'v';
DROP TABLE typed;
-- arrays of vectors
SELECT '{"[1,2]","[3,4]"}'::vector[];
SELECT '{"[1,2,3]"}'::vector(2)[];
