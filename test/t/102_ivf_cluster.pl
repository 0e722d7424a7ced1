# ivf indexes in a cluster: an index created on an empty table takes concurrent inserts while it trains
# itself (no row is ever lost), vacuum removes dead rows and reuses their space, a streaming replica
# with wal_consistency_checking = generic replays every change, and crash recovery leaves an index
# that passes piramid_index_check.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

my $node = PostgreSQL::Test::Cluster->new('primary');
$node->init(allows_streaming => 1);
$node->append_conf('postgresql.conf', "wal_consistency_checking = 'generic'\nautovacuum = off");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION piramid');

$node->backup('base');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($node, 'base', has_streaming => 1);
$standby->append_conf('postgresql.conf', "wal_consistency_checking = 'generic'");
$standby->start;

# Every row the index can find when every list is probed (and the buffer always is).
sub indexed_count {
  my ($n, $table, $lists) = @_;
  return $n->safe_psql('postgres', qq{
    SET enable_seqscan = off; SET enable_bitmapscan = off; SET ivf.probes = $lists; SET ivfflat.probes = $lists; SET ivf.rerank = 100000;
    SELECT count(*) FROM (SELECT id FROM $table ORDER BY v <-> '[0,0,0,0]' LIMIT 1000000) s});
}

# 1. Empty table, then two clients insert while VACUUM and piramid_ivf_train run: the index trains
#    itself part way, rows move from the buffer into lists, and every committed row stays findable.
$node->safe_psql('postgres', q{
  CREATE TABLE grow (id serial PRIMARY KEY, v vector(4));
  CREATE INDEX grow_idx ON grow USING ivf (v vector_l2_ops) WITH (lists = 16);
});
my $script = $node->basedir . '/insert.sql';
PostgreSQL::Test::Utils::append_to_file($script,
  "INSERT INTO grow (v) SELECT ARRAY[random(), random() * 2, random() * 3, random()]::vector FROM generate_series(1, 5);\n");
my ($out, $err) = ('', '');
my $bench = IPC::Run::start([ 'pgbench', '-n', '-c', '2', '-j', '2', '-R', '100', '-t', '150', '-f', $script, $node->connstr('postgres') ],
  '>', \$out, '2>', \$err);
my ($trained, $rounds) = (0, 0);
while ($bench->pumpable && $rounds < 400) {
  $rounds++;
  $node->psql('postgres', 'VACUUM grow');
  $node->psql('postgres', "SELECT piramid_ivf_train('grow_idx')") if $rounds % 3 == 0;
  if ($rounds % 5 == 0) {
    # one statement, one snapshot: the rows the index finds and the rows the table has
    my ($found, $rows) = split /\|/, $node->safe_psql('postgres', q{
      SET enable_seqscan = off; SET ivf.probes = 16;
      SELECT (SELECT count(*) FROM (SELECT id FROM grow ORDER BY v <-> '[0,0,0,0]' LIMIT 1000000) s) || '|' ||
             (SELECT count(*) FROM grow)});
    is($found, $rows, "round $rounds: every committed row is found ($rows rows)");
  }
  $bench->pump_nb;
}
$bench->finish;
is($?, 0, 'pgbench inserted without errors') or diag($err);
$node->safe_psql('postgres', 'VACUUM grow');
like($node->safe_psql('postgres', "SELECT piramid_ivf_info('grow_idx')"), qr/trained_lists=16/, 'index trained itself');
is(indexed_count($node, 'grow', 16), '1500', 'all 1500 rows found after training');
like($node->safe_psql('postgres', "SELECT piramid_index_check('grow_idx')"), qr/0 in the untrained buffer, 1500 table rows all indexed/,
  'index check: every row in a list');

# 1b. A buffer of many pages: while VACUUM trains the index and moves the rows into lists, it frees the
#     buffer's pages behind it and the lists reuse them. Scans running meanwhile (their buffer walk may
#     reach a page that has just been freed or reused) still find every row; afterwards the free pages
#     are counted, checked, and filled by new rows before the index grows.
$node->safe_psql('postgres', q{
  CREATE TABLE move (id serial PRIMARY KEY, v vector(100));
  CREATE INDEX move_idx ON move USING ivfflat (v vector_l2_ops) WITH (lists = 8);
  INSERT INTO move (v) SELECT (SELECT array_agg(((i * 7 + d * 13) % 101)::real) FROM generate_series(1, 100) d)::vector
    FROM generate_series(1, 12000) i;
});
my $move_count = q{SET enable_seqscan = off; SET ivfflat.probes = 8;
  SELECT count(*) FROM (SELECT id FROM move ORDER BY v <-> array_fill(0::real, ARRAY[100])::vector LIMIT 1000000) s};
my ($vac_out, $vac_err) = ('', '');
my $vacuum = IPC::Run::start([ 'psql', '-X', '-d', $node->connstr('postgres'), '-c', 'VACUUM move' ],
  '>', \$vac_out, '2>', \$vac_err);
my @short;
my $scans = 0;
while ($vacuum->pumpable) {
  my $found = $node->safe_psql('postgres', $move_count);
  $scans++;
  push @short, "scan $scans: $found" if $found ne "12000";
  $vacuum->pump_nb;
}
$vacuum->finish;
like($vac_err, qr/trained 8 lists/, 'VACUUM trained the index');
is(join(',', @short), '', "each of $scans scans during the move found all 12000 rows");
is($node->safe_psql('postgres', $move_count), '12000', 'all rows found after the move');
my ($free) = $node->safe_psql('postgres', "SELECT piramid_ivf_info('move_idx')") =~ /free_pages=(\d+)/;
cmp_ok($free // 0, '>', 100, 'the moved buffer pages are on the free list (' . ($free // 0) . ')');
like($node->safe_psql('postgres', "SELECT piramid_index_check('move_idx')"), qr/12000 table rows all indexed, \d+ free pages/,
  'index check walks the free list');
my $move_size = $node->safe_psql('postgres', "SELECT pg_relation_size('move_idx')");
$node->safe_psql('postgres', q{INSERT INTO move (v) SELECT (SELECT array_agg(((i * 11 + d) % 97)::real) FROM generate_series(1, 100) d)::vector
  FROM generate_series(1, 1500) i});
is($node->safe_psql('postgres', "SELECT pg_relation_size('move_idx')"), $move_size, 'new rows fill free pages: the index did not grow');
my ($free_after) = $node->safe_psql('postgres', "SELECT piramid_ivf_info('move_idx')") =~ /free_pages=(\d+)/;
cmp_ok($free_after // 0, '<', $free, 'fewer free pages after the inserts');
like($node->safe_psql('postgres', "SELECT piramid_index_check('move_idx')"), qr/13500 table rows all indexed/, 'move index check');

# 2. Vacuum removes dead entries and new rows reuse their space.
$node->safe_psql('postgres', q{
  CREATE TABLE churn (id int PRIMARY KEY, v vector(4));
  INSERT INTO churn SELECT i, ARRAY[i % 13, i % 7, i % 5, i % 3]::vector FROM generate_series(1, 4000) i;
  CREATE INDEX churn_idx ON churn USING ivf (v vector_l2_sq8_ops) WITH (lists = 8);
});
my $size_before = $node->safe_psql('postgres', "SELECT pg_relation_size('churn_idx')");
$node->safe_psql('postgres', 'DELETE FROM churn WHERE id % 2 = 0; VACUUM churn');
is(indexed_count($node, 'churn', 8), '2000', 'deleted rows are gone from the index');
$node->safe_psql('postgres', 'INSERT INTO churn SELECT i, ARRAY[i % 13, i % 7, i % 5, i % 3]::vector FROM generate_series(4001, 6000) i');
my $size_after = $node->safe_psql('postgres', "SELECT pg_relation_size('churn_idx')");
cmp_ok($size_after, '<=', $size_before * 1.1, "space reused: index $size_before bytes before, $size_after after");
like($node->safe_psql('postgres', "SELECT piramid_index_check('churn_idx')"), qr/4000 table rows all indexed/, 'churn index check');

# The same for PQ lists with 4-bit codes, which hold blocks of 32 entries: vacuum frees the dead rows'
# slots and new rows take them.
$node->safe_psql('postgres', q{
  CREATE TABLE churn_pq (id int PRIMARY KEY, v vector(4));
  INSERT INTO churn_pq SELECT i, ARRAY[i % 13, i % 7, i % 5, i % 3]::vector FROM generate_series(1, 4000) i;
  CREATE INDEX churn_pq_idx ON churn_pq USING ivf (v vector_l2_pq_ops) WITH (lists = 8);
});
like($node->safe_psql('postgres', "SELECT piramid_ivf_info('churn_pq_idx')"), qr/pq_subvectors=2 pq_bits=4 layout=blocks/,
  '4-bit PQ lists hold blocks');
$size_before = $node->safe_psql('postgres', "SELECT pg_relation_size('churn_pq_idx')");
$node->safe_psql('postgres', 'DELETE FROM churn_pq WHERE id % 2 = 0; VACUUM churn_pq');
is(indexed_count($node, 'churn_pq', 8), '2000', 'deleted rows are gone from the block lists');
$node->safe_psql('postgres', 'INSERT INTO churn_pq SELECT i, ARRAY[i % 13, i % 7, i % 5, i % 3]::vector FROM generate_series(4001, 6000) i');
$size_after = $node->safe_psql('postgres', "SELECT pg_relation_size('churn_pq_idx')");
cmp_ok($size_after, '<=', $size_before * 1.1, "freed block slots reused: index $size_before bytes before, $size_after after");
like($node->safe_psql('postgres', "SELECT piramid_index_check('churn_pq_idx')"), qr/4000 table rows all indexed/, 'churn_pq index check');
is($node->safe_psql('postgres', q{SET enable_seqscan = off; SET ivf.probes = 8; SET ivf.rerank = 100000;
  SELECT string_agg(id::text, ',') FROM (SELECT id FROM churn_pq ORDER BY v <-> '[3,3,3,1]', id LIMIT 5) s}),
  $node->safe_psql('postgres', q{SET enable_indexscan = off;
  SELECT string_agg(id::text, ',') FROM (SELECT id FROM churn_pq ORDER BY v <-> '[3,3,3,1]', id LIMIT 5) s}),
  'block lists answer like an exact scan when every list is probed');

# 3. The standby replays everything (wal_consistency_checking compares every page it replays) and
#    answers the same as the primary.
$node->safe_psql('postgres', q{
  CREATE TABLE wide (id int PRIMARY KEY, v vector(2500));
  INSERT INTO wide SELECT i, array_fill((i % 7)::real, ARRAY[2500])::vector FROM generate_series(1, 30) i;
  CREATE INDEX wide_idx ON wide USING ivf (v vector_l2_pq_ops) WITH (lists = 2);
  INSERT INTO wide SELECT i, array_fill((i % 7)::real, ARRAY[2500])::vector FROM generate_series(31, 300) i;
  CREATE INDEX wide_flat ON wide USING ivfflat (v vector_l2_ops) WITH (lists = 3);
  INSERT INTO wide SELECT i, array_fill((i % 5)::real, ARRAY[2500])::vector FROM generate_series(301, 330) i;
  DELETE FROM wide WHERE id % 3 = 0;
  VACUUM wide;
});
$node->wait_for_catchup($standby);
for my $t ([ 'grow', 16 ], [ 'churn', 8 ], [ 'churn_pq', 8 ]) {
  is(indexed_count($standby, $t->[0], $t->[1]), indexed_count($node, $t->[0], $t->[1]), "standby finds the same $t->[0] rows");
}
is($standby->safe_psql('postgres', $move_count), '13500', 'standby finds every moved row (pages taken from the free list)');
my $query = q{SET enable_seqscan = off; SET ivf.probes = 3; SET ivfflat.probes = 3;
  SELECT string_agg(id::text, ',') FROM (SELECT id FROM wide ORDER BY v <-> array_fill(2::real, ARRAY[2500])::vector, id LIMIT 20) s};
is($standby->safe_psql('postgres', $query), $node->safe_psql('postgres', $query), 'standby answers like the primary');
ok(!$standby->log_contains('inconsistent page'), 'no inconsistent page found by wal_consistency_checking');

# 4. Crash recovery: inserts (into the buffer, during training, into lists) survive an immediate stop;
#    an unlogged table's index comes back empty and usable.
$node->safe_psql('postgres', q{
  CREATE TABLE crash (id int PRIMARY KEY, v vector(4));
  CREATE INDEX crash_idx ON crash USING ivf (v vector_l2_ops) WITH (lists = 4);
  INSERT INTO crash SELECT i, ARRAY[i % 11, i % 5, i, 1]::vector FROM generate_series(1, 30) i;
  CREATE UNLOGGED TABLE scratch (id int, v vector(4));
  CREATE INDEX ON scratch USING ivfflat (v vector_l2_ops) WITH (lists = 2);
  INSERT INTO scratch SELECT i, ARRAY[i, 1, 2, 3]::vector FROM generate_series(1, 50) i;
});
$node->safe_psql('postgres', "SELECT piramid_ivf_train('crash_idx')");
$node->safe_psql('postgres', 'INSERT INTO crash SELECT i, ARRAY[i % 11, i % 5, i, 1]::vector FROM generate_series(31, 500) i');
# block lists too: an index created empty, trained from its buffer, then filled one row at a time
$node->safe_psql('postgres', q{
  CREATE TABLE crash_pq (id int PRIMARY KEY, v vector(4));
  CREATE INDEX crash_pq_idx ON crash_pq USING ivf (v vector_l2_pq_ops) WITH (lists = 4);
  INSERT INTO crash_pq SELECT i, ARRAY[i % 11, i % 5, i, 1]::vector FROM generate_series(1, 60) i;
});
$node->safe_psql('postgres', "SELECT piramid_ivf_train('crash_pq_idx')");
$node->safe_psql('postgres', 'INSERT INTO crash_pq SELECT i, ARRAY[i % 11, i % 5, i, 1]::vector FROM generate_series(61, 500) i');
$node->stop('immediate');
$node->start;
like($node->safe_psql('postgres', "SELECT piramid_index_check('crash_idx')"), qr/500 table rows all indexed/,
  'index check after crash recovery');
is(indexed_count($node, 'crash', 4), '500', 'every row found after crash recovery');
like($node->safe_psql('postgres', "SELECT piramid_index_check('crash_pq_idx')"), qr/500 table rows all indexed/,
  'block lists: index check after crash recovery');
is(indexed_count($node, 'crash_pq', 4), '500', 'block lists: every row found after crash recovery');
is($node->safe_psql('postgres', 'SELECT count(*) FROM scratch'), '0', 'unlogged table is empty after the crash');
$node->safe_psql('postgres', "INSERT INTO scratch VALUES (1, '[1,1,1,1]')");
is($node->safe_psql('postgres', "SET enable_seqscan = off; SELECT id FROM scratch ORDER BY v <-> '[1,1,1,1]' LIMIT 1"), '1',
  'unlogged index works after the crash');

done_testing();
