-- halfvec: binary16 elements; output prints the float each half converts to
SELECT '[1,2,3]'::halfvec, '[1.1, -0.5, 65504]'::halfvec, '[65519]'::halfvec AS rounds_to_max;
SELECT '[1e-8]'::halfvec AS underflow_to_zero, '[0.333333]'::halfvec;
SELECT '[65520]'::halfvec;
SELECT '[-1e6]'::halfvec;
SELECT '[NaN]'::halfvec;
SELECT '[]'::halfvec;
SELECT '[1,2,3]'::halfvec(2);
SELECT '[1]'::halfvec(16001);

SELECT '[1,2,3]'::halfvec <-> '[3,2,1]' AS l2, '[1,2,3]'::halfvec <#> '[3,2,1]' AS neg_ip,
       '[1,2,3]'::halfvec <=> '[3,2,1]' AS cosine, '[1,2,3]'::halfvec <+> '[3,2,1]' AS l1;
SELECT inner_product('[65504]'::halfvec, '[65504]') AS exact_in_float;
SELECT l2_distance('[1,2]'::halfvec, '[1]');
SELECT vector_dims('[1,2,3]'::halfvec), l2_norm('[3,4]'::halfvec), l2_normalize('[3,4]'::halfvec);
SELECT binary_quantize('[1,-1,0,2]'::halfvec), subvector('[1,2,3,4]'::halfvec, 2, 2);
SELECT '[1,2]'::halfvec + '[3,4]', '[1,2]'::halfvec - '[3,4]', '[1,2]'::halfvec * '[3,4]', '[1]'::halfvec || '[2]';
SELECT '[65504]'::halfvec + '[65504]';
SELECT '[1e-4]'::halfvec * '[1e-4]';
SELECT '[1,2]'::halfvec < '[1,3]', '[1,2]'::halfvec = '[1,2]', halfvec_cmp('[2]', '[1,5]');
