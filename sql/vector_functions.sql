-- vector: distances, norms and element-wise functions
SELECT '[1,2,3]'::vector <-> '[3,2,1]' AS l2, '[1,2,3]'::vector <#> '[3,2,1]' AS neg_ip,
       '[1,2,3]'::vector <=> '[3,2,1]' AS cosine, '[1,2,3]'::vector <+> '[3,2,1]' AS l1;
SELECT l2_distance('[0,0]'::vector, '[3,4]'), inner_product('[1,2]'::vector, '[3,4]'),
       cosine_distance('[1,0]'::vector, '[0,1]'), l1_distance('[1,-1]'::vector, '[-1,1]');
SELECT cosine_distance('[1,1]'::vector, '[2,2]') AS same_direction, cosine_distance('[1,1]'::vector, '[-1,-1]') AS opposite;
SELECT cosine_distance('[0,0]'::vector, '[1,1]') AS zero_vector_is_nan;
SELECT vector_l2_squared_distance('[0,0]'::vector, '[3,4]'), vector_negative_inner_product('[1,2]'::vector, '[3,4]');
SELECT round(vector_spherical_distance('[1,0]'::vector, '[0,1]')::numeric, 6) AS quarter_turn;
SELECT l2_distance('[3e38]'::vector, '[-3e38]') AS overflows_to_infinity;
SELECT l2_distance('[1,2]'::vector, '[1,2,3]');
SELECT '[1,2]'::vector <=> '[1]';
-- the distance kernels must agree on a long vector (every SIMD path and its tail)
SELECT l2_distance(array_fill(1, ARRAY[1001])::vector, array_fill(2, ARRAY[1001])::vector) = sqrt(1001) AS l2_1001,
       inner_product(array_fill(2, ARRAY[1001])::vector, array_fill(3, ARRAY[1001])::vector) AS ip_1001,
       l1_distance(array_fill(1, ARRAY[1001])::vector, array_fill(-1, ARRAY[1001])::vector) AS l1_1001;

SELECT vector_dims('[1,2,3]'::vector), vector_norm('[3,4]'::vector), vector_norm('[3e37,4e37]')::real;
SELECT l2_normalize('[3,4]'::vector), l2_normalize('[0,0]'::vector), l2_normalize('[3e38]'::vector);
SELECT binary_quantize('[1,0,-1,0.5,-0.5,2,0,0,3]'::vector);

SELECT subvector('[1,2,3,4,5]'::vector, 2, 3), subvector('[1,2,3,4,5]'::vector, -1, 3), subvector('[1,2,3,4,5]'::vector, 4, 100);
SELECT subvector('[1,2,3,4,5]'::vector, 1, 0);
SELECT subvector('[1,2,3,4,5]'::vector, 6, 1);
SELECT subvector('[1,2,3,4,5]'::vector, -5, 3);

SELECT '[1,2,3]'::vector + '[4,5,6]', '[1,2,3]'::vector - '[4,5,6]', '[1,2,3]'::vector * '[4,5,6]';
SELECT '[1,2]'::vector || '[3]';
SELECT '[3e38]'::vector + '[3e38]';
SELECT '[-3e38]'::vector - '[3e38]';
SELECT '[1e30]'::vector * '[1e30]';
SELECT '[1e-30]'::vector * '[1e-30]';
SELECT '[1,2]'::vector + '[1]';
SELECT array_fill(0, ARRAY[16000])::vector || '[1]';
