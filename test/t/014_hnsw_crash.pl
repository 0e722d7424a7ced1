# hnsw crash recovery: an immediate stop while several sessions insert, then restart. The index check passes,
# no committed row is missing from index results, and the index takes new rows. An unlogged table's index is
# empty and usable after the crash.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use Time::HiRes qw(usleep);
use HnswTestData;

my $node = PostgreSQL::Test::Cluster->new('crash');
$node->init;
# fsync stays on: recovery must work from what was really written; small checkpoints put the crash between
# checkpoints with plenty of WAL to replay. wal_consistency_checking makes crash recovery compare every replayed
# Generic WAL record's pages with the images the record carries (a mismatch stops recovery).
$node->append_conf('postgresql.conf',
	"shared_buffers = 16MB\ncheckpoint_timeout = 30s\nmax_wal_size = 64MB\nwal_consistency_checking = 'generic'\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION piramid');
make_clustered($node, 'items', rows => 1000, dims => 16, clusters => 10, seed => 0.71, queries => 10);
$node->safe_psql('postgres', q{
	CREATE SEQUENCE items_id START 100001;
	SET max_parallel_maintenance_workers = 0;
	CREATE INDEX items_l2 ON items USING hnsw (v vector_l2_ops);
	CREATE INDEX items_l1 ON items USING hnsw (v vector_l1_ops);
	CREATE UNLOGGED TABLE scratch (id int, v vector(16));
	CREATE INDEX scratch_l2 ON scratch USING hnsw (v vector_l2_ops);
	INSERT INTO scratch SELECT id, v FROM items WHERE id <= 200;
	CHECKPOINT;
});

# pgbench inserts (and some deletes) in the background until the server goes away
my $script = $node->basedir . '/014_insert.sql';
PostgreSQL::Test::Utils::append_to_file($script, q{
\set c random(0, 9)
INSERT INTO items (id, v)
SELECT nextval('items_id'), ARRAY(SELECT x + 0.5 * (random() - 0.5) FROM unnest(c.a) x)::real[]::vector(16)
FROM items_c c WHERE c.c = :c;
});
my $delete = $node->basedir . '/014_delete.sql';
PostgreSQL::Test::Utils::append_to_file($delete, "\\set d random(1, 1000)\nDELETE FROM items WHERE id = :d;\n");
my ($out, $err) = ('', '');
my $bench = IPC::Run::start(
	[ 'pgbench', '--no-vacuum', '--client=4', '--jobs=2', '--time=60', '-f', "$script\@9", '-f', "$delete\@1",
		$node->connstr('postgres') ],
	'>', \$out, '2>', \$err);

# wait until a few hundred rows are in, then crash
$node->poll_query_until('postgres', 'SELECT count(*) > 300 FROM items WHERE id > 100000')
  or do { $bench->kill_kill; die "inserts did not start: $err" };
$node->stop('immediate');
$bench->finish;    # pgbench fails once the server is gone; that is expected
note('pgbench stderr tail: ' . substr($err, -300));

$node->start;
ok(!$node->log_contains('inconsistent page found'), 'crash recovery replayed every record consistently');
my $rows = $node->safe_psql('postgres', 'SELECT count(*) FROM items WHERE id > 100000');
note("rows inserted before the crash and recovered: $rows");
cmp_ok($rows, '>', 300, 'committed rows survived the crash');
index_check_ok($node, 'items_l2', 'L2 index check passes after crash recovery');
index_check_ok($node, 'items_l1', 'L1 index check passes after crash recovery');
is(rows_unreturned($node, 'items', 'v', '<->'), '0', 'every committed row is returned by the L2 index');
cmp_ok(rows_not_found($node, 'items', 'v', '<->'), '<=', 15, 'at most 1% of rows miss their own value');
is(rows_unreturned($node, 'items', 'v', '<+>'), '0', 'every committed row is returned by the L1 index');

# the recovered index takes new rows and deletes
$node->safe_psql('postgres', q{
	INSERT INTO items (id, v) SELECT nextval('items_id'), ARRAY(SELECT x + 0.5 * (random() - 0.5) FROM unnest(c.a) x)::real[]
	FROM items_c c, generate_series(1, 20);
	DELETE FROM items WHERE id % 7 = 0;
	VACUUM items;});
index_check_ok($node, 'items_l2', 'index check passes after new work on the recovered index');
is(rows_unreturned($node, 'items', 'v', '<->'), '0', 'every row is returned after new work');

# the unlogged table comes back empty, with an empty and usable index
is($node->safe_psql('postgres', 'SELECT count(*) FROM scratch'), '0', 'the unlogged table is empty after the crash');
is($node->safe_psql('postgres', q{SET enable_seqscan = off;
	SELECT count(*) FROM (SELECT id FROM scratch ORDER BY v <-> (SELECT v FROM items_q WHERE id = 1) LIMIT 5) s}),
	'0', 'its index returns nothing');
$node->safe_psql('postgres', 'INSERT INTO scratch SELECT id, v FROM items WHERE id <= 300');
index_check_ok($node, 'scratch_l2', 'the unlogged index passes the check after new inserts');
is(rows_unreturned($node, 'scratch', 'v', '<->'), '0', 'every new row of the unlogged table is returned');

# a second crash right after a build and a burst of single-row transactions
$node->safe_psql('postgres', q{SET max_parallel_maintenance_workers = 0;
	CREATE INDEX items_cos ON items USING hnsw (v vector_cosine_ops)});
$node->safe_psql('postgres', qq{INSERT INTO items (id, v) SELECT nextval('items_id'), v FROM items_q WHERE id = $_})
  for 1 .. 10;
$node->stop('immediate');
$node->start;
index_check_ok($node, 'items_cos', 'an index built just before a crash passes the check');
is(rows_unreturned($node, 'items', 'v', '<=>'), '0', 'every row is returned by the index built just before the crash');

$node->stop;
done_testing();
