-- Hamming and Jaccard distances on the built-in bit type
SELECT '1010'::bit(4) <~> '0110' AS hamming, hamming_distance('111', '000'), hamming_distance('', '');
SELECT '1111'::bit(4) <%> '1110' AS jaccard, jaccard_distance('1100', '1000'), jaccard_distance('0000', '0000'),
       jaccard_distance('', '');
-- long strings exercise the wide kernels and their tails
SELECT hamming_distance(repeat('1', 1000)::bit(1000), repeat('01', 500)::bit(1000)),
       jaccard_distance(repeat('1', 1000)::bit(1000), repeat('01', 500)::bit(1000));
SELECT hamming_distance('101', '1010');
SELECT jaccard_distance('1', '10');
SELECT hamming_distance(binary_quantize('[1,-1,1]'::vector), binary_quantize('[1,1,1]'::vector));
