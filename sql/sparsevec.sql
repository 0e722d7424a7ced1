-- sparsevec: {index:value,...}/dimensions with 1-based indices
SELECT '{1:1.5,3:2}/5'::sparsevec, ' { 2 : -1 , 4 : 3e2 } / 4 '::sparsevec, '{}/3'::sparsevec;
SELECT '{1:0,2:1,3:0}/3'::sparsevec AS zeros_dropped;
SELECT '{1:1}/1000000000'::sparsevec;
SELECT '{1:1,2:2}/2'::sparsevec(2);

SELECT '{0:1}/3'::sparsevec;
SELECT '{4:1}/3'::sparsevec;
SELECT '{2:1,1:1}/2'::sparsevec;
SELECT '{1:1,1:2}/2'::sparsevec;
SELECT '{1:1}'::sparsevec;
SELECT '{1:1}/0'::sparsevec;
SELECT '{1:1}/1000000001'::sparsevec;
SELECT '{1:1}/2x'::sparsevec;
SELECT '{1:NaN}/2'::sparsevec;
SELECT '{1:1e-46}/2'::sparsevec;
SELECT '{1:}/2'::sparsevec;
SELECT '[1,2]'::sparsevec;
SELECT '{1:1}/2'::sparsevec(3);

SELECT '{1:1,3:3}/3'::sparsevec <-> '{2:2,3:1}/3' AS l2, '{1:1,3:3}/3'::sparsevec <#> '{2:2,3:1}/3' AS neg_ip,
       '{1:1,3:3}/3'::sparsevec <=> '{2:2,3:1}/3' AS cosine, '{1:1,3:3}/3'::sparsevec <+> '{2:2,3:1}/3' AS l1;
-- sparse distances equal dense ones
SELECT l2_distance('{1:1,3:3}/3'::sparsevec, '{2:2,3:1}/3') = l2_distance('[1,0,3]'::vector, '[0,2,1]') AS same_l2,
       inner_product('{1:1,3:3}/3'::sparsevec, '{2:2,3:1}/3') = inner_product('[1,0,3]'::vector, '[0,2,1]') AS same_ip;
SELECT cosine_distance('{}/2'::sparsevec, '{1:1}/2') AS zero_vector_is_nan;
SELECT l2_distance('{1:1}/2'::sparsevec, '{1:1}/3');
SELECT l2_norm('{1:3,2:4}/2'::sparsevec), l2_normalize('{1:3,2:4}/5'::sparsevec), l2_normalize('{}/2'::sparsevec);
SELECT l2_normalize('{1:3e38,2:1e-37}/2'::sparsevec) AS tiny_element_dropped;
SELECT '{1:1}/2'::sparsevec < '{1:2}/2', '{2:1}/2'::sparsevec > '{}/2', '{1:1}/2'::sparsevec = '{1:1}/2',
       sparsevec_cmp('{1:1}/2', '{1:1}/3'), sparsevec_cmp('{1:-1}/2', '{}/2');
