-- btree comparison: element by element, then the shorter value first (like real[])
SELECT '[1,2,3]'::vector < '[1,2,4]', '[1,2,3]'::vector < '[1,2]', '[1,2]'::vector < '[2]', '[1,2]'::vector = '[1,2]',
       '[0]'::vector = '[-0]', '[1,2]'::vector <> '[1,2,0]', vector_cmp('[2]', '[1,9]');
CREATE TABLE ordered (id int, v vector, h halfvec, s sparsevec);
INSERT INTO ordered VALUES (1, '[3,1]', '[3,1]', '{1:3,2:1}/2'), (2, '[1,2,3]', '[1,2,3]', '{1:1,2:2,3:3}/3'),
  (3, '[1,2]', '[1,2]', '{1:1,2:2}/2'), (4, '[-1]', '[-1]', '{1:-1}/1'), (5, '[1,2]', '[1,2]', '{1:1,2:2}/2');
SELECT id, v FROM ordered ORDER BY v, id;
SELECT id, h FROM ordered ORDER BY h DESC, id;
SELECT id, s FROM ordered ORDER BY s, id;
SELECT v, count(*) FROM ordered GROUP BY v ORDER BY v;
CREATE INDEX ON ordered (v);
CREATE INDEX ON ordered (h);
CREATE INDEX ON ordered (s);
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM ordered WHERE v = '[1,2]';
SELECT id FROM ordered WHERE v = '[1,2]' ORDER BY id;
SELECT id FROM ordered WHERE h > '[1,2]' ORDER BY id;
SELECT id FROM ordered WHERE s <= '{1:1,2:2}/2' ORDER BY id;
RESET enable_seqscan;
DROP TABLE ordered;
