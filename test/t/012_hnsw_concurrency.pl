# hnsw under concurrent inserts, searches, deletes and vacuum (pgbench): no errors, the checker passes
# afterwards, and every row is found by the index.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use HnswTestData;

my $node = PostgreSQL::Test::Cluster->new('concurrency');
$node->init;
$node->append_conf('postgresql.conf', "shared_buffers = 128MB\nfsync = off\nmax_connections = 40\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION piramid');

make_clustered($node, 'items', rows => 1000, dims => 16, clusters => 10, seed => 0.51, queries => 10);
$node->safe_psql('postgres', q{
	CREATE SEQUENCE items_id START 100001;
	SET max_parallel_maintenance_workers = 0;
	CREATE INDEX items_l2 ON items USING hnsw (v vector_l2_ops);
	CREATE INDEX items_cos ON items USING hnsw (h halfvec_cosine_ops);
});

# New rows near the existing clusters; the query vector is an InitPlan parameter, so the index serves it.
my $insert = q{
\set c random(0, 9)
INSERT INTO items (id, v, h)
SELECT nextval('items_id'), a::vector(16), a::halfvec(16)
FROM (SELECT ARRAY(SELECT x + 0.5 * (random() - 0.5) FROM unnest(c.a) x)::real[] AS a
      FROM items_c c WHERE c.c = :c) s;
};
my $search = q{
\set q random(1, 10)
SET enable_seqscan = off;
SELECT count(*) FROM (SELECT id FROM items ORDER BY v <-> (SELECT v FROM items_q WHERE id = :q) LIMIT 10) s;
SELECT count(*) FROM (SELECT id FROM items ORDER BY h <=> (SELECT h FROM items_q WHERE id = :q) LIMIT 10) s;
};
my $delete = q{
\set d random(1, 1000)
DELETE FROM items WHERE id = :d;
};

$node->pgbench(
	'--no-vacuum --client=6 --jobs=2 --transactions=60',
	0,
	[ qr{processed: 360/360} ],
	[ qr{^$} ],
	'concurrent inserts, searches and deletes',
	{
		'012_insert@6' => $insert,
		'012_search@3' => $search,
		'012_delete@1' => $delete,
	});

# a vacuum while inserts and searches go on
my $vacuum = $node->background_psql('postgres');
$vacuum->query_until(qr/started/, "\\echo started\nVACUUM items;\n\\echo vacuumed\n");
$node->pgbench(
	'--no-vacuum --client=4 --jobs=2 --transactions=40',
	0,
	[ qr{processed: 160/160} ],
	[ qr{^$} ],
	'inserts and searches during VACUUM',
	{
		'012_insert2@2' => $insert,
		'012_search2@1' => $search,
	});
$vacuum->quit;

my $rows = $node->safe_psql('postgres', 'SELECT count(*) FROM items');
note("rows after the runs: $rows");
cmp_ok($rows, '>', 1000, 'rows were inserted');
index_check_ok($node, 'items_l2', 'vector index check passes after concurrent work');
index_check_ok($node, 'items_cos', 'halfvec index check passes after concurrent work');
is(rows_unreturned($node, 'items', 'v', '<->'), '0', 'every row is reachable through the vector index');
is(rows_unreturned($node, 'items', 'h', '<=>'), '0', 'every row is reachable through the halfvec index');
cmp_ok(rows_not_found($node, 'items', 'v', '<->'), '<=', $rows / 200, 'at most 0.5% of rows miss their own value');

# and once more after vacuum has cleaned up the deleted rows
$node->safe_psql('postgres', 'VACUUM items');
index_check_ok($node, 'items_l2', 'index check passes after a final vacuum');
is(rows_unreturned($node, 'items', 'v', '<->'), '0', 'every row is reachable after a final vacuum');

# CREATE INDEX CONCURRENTLY while inserts run: afterwards every row is in it exactly once
my $script = $node->basedir . '/012_cic_insert.sql';
PostgreSQL::Test::Utils::append_to_file($script, $insert);
my ($bench_out, $bench_err) = ('', '');
my $bench = IPC::Run::start(
	[ 'pgbench', '--no-vacuum', '--client=3', '--jobs=1', '--transactions=100', '-f', $script,
		$node->connstr('postgres') ],
	'>', \$bench_out, '2>', \$bench_err);
$node->safe_psql('postgres', q{SET max_parallel_maintenance_workers = 0;
	CREATE INDEX CONCURRENTLY items_cic ON items USING hnsw (v vector_l1_ops)});
$bench->finish;
like($bench_out, qr{processed: 300/300}, 'inserts ran during CREATE INDEX CONCURRENTLY');
is($node->safe_psql('postgres', q{SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_cic'::regclass}), 't',
	'the concurrently built index is valid');
index_check_ok($node, 'items_cic', 'index check passes for the concurrently built index');
is(rows_unreturned($node, 'items', 'v', '<+>'), '0', 'every row is reachable through it');
is($node->safe_psql('postgres', q{SET enable_seqscan = off; SET hnsw.iterative_scan = relaxed_order;
	SET hnsw.max_scan_tuples = 2000000000; SET hnsw.scan_mem_multiplier = 1000;
	SELECT count(*) - count(DISTINCT id) FROM
	(SELECT id FROM items ORDER BY v <+> (SELECT v FROM items_q WHERE id = 1) LIMIT 100000000) s}),
	'0', 'and returned once');

$node->stop;
done_testing();
