# hnsw recall against exact results on seeded clustered data, for every operator class; a build that exceeds
# maintenance_work_mem says so and still finds the same neighbours; progress is reported while building.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use HnswTestData;

my $node = PostgreSQL::Test::Cluster->new('recall');
$node->init;
$node->append_conf('postgresql.conf', "shared_buffers = 128MB\nfsync = off\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION piramid');

make_clustered($node, 'items', rows => 3000, dims => 32, clusters => 20, seed => 0.11, queries => 100);

# operator class => [column, operator, minimum recall@10 at ef_search 100]
my @opclasses = (
	[ 'vector_l2_ops', 'v', '<->', 0.99 ],
	[ 'vector_cosine_ops', 'v', '<=>', 0.99 ],
	[ 'vector_ip_ops', 'v', '<#>', 0.95 ],
	[ 'vector_l1_ops', 'v', '<+>', 0.97 ],
	[ 'halfvec_l2_ops', 'h', '<->', 0.99 ],
	[ 'halfvec_cosine_ops', 'h', '<=>', 0.99 ],
	[ 'halfvec_ip_ops', 'h', '<#>', 0.95 ],
	[ 'halfvec_l1_ops', 'h', '<+>', 0.97 ],
	[ 'sparsevec_l2_ops', 's', '<->', 0.99 ],
	[ 'sparsevec_cosine_ops', 's', '<=>', 0.99 ],
	[ 'sparsevec_ip_ops', 's', '<#>', 0.95 ],
	[ 'sparsevec_l1_ops', 's', '<+>', 0.97 ],
	[ 'bit_hamming_ops', 'b', '<~>', 0.85 ],
	[ 'bit_jaccard_ops', 'b', '<%>', 0.85 ],);

# One index at a time, so the planner has one choice. Builds use one thread, so results repeat; a threaded build
# is measured after the loop.
for my $o (@opclasses)
{
	my ($opclass, $col, $op, $min) = @$o;
	$node->safe_psql('postgres', qq{SET max_parallel_maintenance_workers = 0;
		CREATE INDEX items_idx ON items USING hnsw ($col $opclass)});
	my $r = recall($node, 'items', $col, $op);
	cmp_ok($r, '>=', $min, "$opclass: recall\@10 $r at ef_search 100 (>= $min)");
	index_check_ok($node, 'items_idx', "$opclass: index check passes");
	$node->safe_psql('postgres', 'DROP INDEX items_idx');
}

# recall grows with ef_search; ef_search 40 (the default) is already useful
$node->safe_psql('postgres', q{SET max_parallel_maintenance_workers = 0;
	CREATE INDEX items_idx ON items USING hnsw (v vector_l2_ops) WITH (m = 16, ef_construction = 64)});
my $r10 = recall($node, 'items', 'v', '<->', settings => 'SET hnsw.ef_search = 10;');
my $r40 = recall($node, 'items', 'v', '<->', settings => '');
my $r200 = recall($node, 'items', 'v', '<->', settings => 'SET hnsw.ef_search = 200;');
note("vector_l2_ops recall\@10: ef_search 10 => $r10, 40 => $r40, 200 => $r200");
cmp_ok($r40, '>=', 0.92, "recall at the default ef_search: $r40");
cmp_ok($r200, '>=', $r10, 'more ef_search, no less recall');
is(rows_unreturned($node, 'items', 'v', '<->'), '0', 'a serial build: scans reach every row');
cmp_ok(rows_not_found($node, 'items', 'v', '<->'), '<=', 15, 'a serial build: at most 0.5% of rows miss their own value');
$node->safe_psql('postgres', 'DROP INDEX items_idx');

# the default build uses worker threads: same recall, every row reachable
$node->safe_psql('postgres', 'CREATE INDEX items_idx ON items USING hnsw (v vector_l2_ops)');
my $rt = recall($node, 'items', 'v', '<->');
cmp_ok($rt, '>=', 0.95, "threaded build: recall\@10 $rt");
cmp_ok($rt, '>=', 0.99, "threaded build: recall\@10 $rt at a serial build's level");
is(rows_unreturned($node, 'items', 'v', '<->'), '0', 'a threaded build: scans reach every row');
$node->safe_psql('postgres', 'DROP INDEX items_idx');

# many copies of a few values (binary quantization makes this the normal case for bit columns)
$node->safe_psql('postgres', q{SET max_parallel_maintenance_workers = 0;
	CREATE TABLE dup (id int, v vector(8), b bit(64));
	INSERT INTO dup SELECT (k - 1) * 40 + i, v, b FROM (SELECT k,
		ARRAY(SELECT random() FROM generate_series(1, 8) WHERE k > 0)::real[]::vector(8) AS v,
		(SELECT string_agg(CASE WHEN random() < 0.5 THEN '1' ELSE '0' END, '') FROM generate_series(1, 64) WHERE k > 0)::bit(64) AS b
		FROM generate_series(1, 50) k) vals, generate_series(1, 40) i;
	CREATE INDEX dup_v ON dup USING hnsw (v vector_l2_ops);
	CREATE INDEX dup_b ON dup USING hnsw (b bit_hamming_ops);});
index_check_ok($node, 'dup_v', 'index check passes with duplicate groups (vector)');
index_check_ok($node, 'dup_b', 'index check passes with duplicate groups (bit)');
for my $c ([ 'v', '<->', '[0,0,0,0,0,0,0,0]' ], [ 'b', '<~>', '0' x 64 ])
{
	my ($col, $op, $q) = @$c;
	is($node->safe_psql('postgres', qq{SET enable_seqscan = off; SET hnsw.iterative_scan = relaxed_order;
		SELECT count(*) FROM (SELECT id FROM dup ORDER BY $col $op '$q' LIMIT 10000) s}),
		'2000', "an iterative scan over duplicate groups returns every row ($col $op)");
	TODO:
	{
		local $TODO = 'docs/hnsw.md, known limitations: the copies of a value compete for the ef_search places';
		is($node->safe_psql('postgres', qq{SET enable_seqscan = off;
			SELECT count(*) FROM dup t WHERE NOT EXISTS
			(SELECT 1 FROM (SELECT x.id FROM dup x ORDER BY x.$col $op t.$col LIMIT 40) s WHERE s.id = t.id)}),
			'0', "each row is among the first 40 for its own value ($col $op)");
	}
}

# past maintenance_work_mem the build says so, finishes, and finds the same neighbours
# 4,500 rows of 128 dimensions do not fit 1MB (about 3,300 do)
make_clustered($node, 'wide', rows => 4500, dims => 128, clusters => 20, seed => 0.23, queries => 100);
my ($ret, $out, $err) = $node->psql('postgres', q{SET maintenance_work_mem = '1MB';
	SET max_parallel_maintenance_workers = 0;
	CREATE INDEX wide_idx ON wide USING hnsw (v vector_cosine_ops)});
is($ret, 0, 'a build larger than maintenance_work_mem succeeds');
like($err, qr/maintenance_work_mem/, 'and says it exceeded maintenance_work_mem');
my $rm = recall($node, 'wide', 'v', '<=>');
cmp_ok($rm, '>=', 0.98, "recall\@10 after a build past maintenance_work_mem: $rm");
my $wide_report = index_check_ok($node, 'wide_idx', 'index check passes after a build past maintenance_work_mem');
like($wide_report, qr/navigation codes of \d+ subspaces, not rotated/,
	'rows scattered evenly around centres: the build measures a rotation worse and keeps plain codes');
is(rows_unreturned($node, 'wide', 'v', '<=>'), '0', 'every row is reachable after a build past maintenance_work_mem');
cmp_ok(rows_not_found($node, 'wide', 'v', '<=>'), '<=', 22, 'at most 0.5% of rows miss their own value');

# rows like images (neighbouring dimensions move together, the middle ones most): the build keeps the
# rotation of the navigation codes; scans in other sessions read it back from the pages, rows inserted
# later are coded with it, and recall stays at the level of the other tests
$node->safe_psql('postgres', q{SELECT setseed(0.61);
	CREATE TABLE smooth_e AS SELECT i, d, random() - 0.5 AS e FROM generate_series(1, 3400) i, generate_series(1, 96) d;
	CREATE TABLE smooth_all AS SELECT i AS id, array_agg(x ORDER BY d)::real[]::vector(96) AS v FROM (
		SELECT a.i, a.d, exp(-8 * ((a.d - 48) / 96.0) ^ 2) * sum(b.e * 0.9 ^ (a.d - b.d)) AS x
		FROM smooth_e a JOIN smooth_e b ON b.i = a.i AND b.d BETWEEN a.d - 12 AND a.d GROUP BY a.i, a.d) s
		GROUP BY i;
	CREATE TABLE smooth (id int PRIMARY KEY, v vector(96));
	INSERT INTO smooth SELECT id, v FROM smooth_all WHERE id <= 3000;
	CREATE TABLE smooth_q AS SELECT id, v FROM smooth_all WHERE id > 3300;
	SET max_parallel_maintenance_workers = 0;
	CREATE INDEX smooth_idx ON smooth USING hnsw (v vector_l2_ops);});
like(index_check_ok($node, 'smooth_idx', 'index check passes with rotated navigation codes'),
	qr/navigation codes of 16 subspaces, rotated in blocks of 96 dimensions/, 'image-like rows: the build keeps the rotation');
my $rs = recall($node, 'smooth', 'v', '<->');
cmp_ok($rs, '>=', 0.99, "rotated navigation codes: recall\@10 $rs at ef_search 100");
$node->safe_psql('postgres', 'INSERT INTO smooth SELECT id, v FROM smooth_all WHERE id > 3000 AND id <= 3300');
index_check_ok($node, 'smooth_idx', 'index check passes after inserts coded with the rotation');
is(rows_unreturned($node, 'smooth', 'v', '<->'), '0', 'rotated navigation codes: scans reach every row, inserted ones too');
cmp_ok(rows_not_found($node, 'smooth', 'v', '<->'), '<=', 16, 'rotated navigation codes: at most 0.5% of rows miss their own value');
my $rs2 = recall($node, 'smooth', 'v', '<->');
cmp_ok($rs2, '>=', 0.99, "rotated navigation codes after inserts: recall\@10 $rs2");
$node->safe_psql('postgres', 'DROP INDEX smooth_idx');
# inner-product tables over rotated codes (a rotation keeps inner products as it keeps distances)
for my $o ([ 'vector_cosine_ops', '<=>', 0.99 ], [ 'vector_ip_ops', '<#>', 0.95 ])
{
	my ($opclass, $op, $min) = @$o;
	$node->safe_psql('postgres', qq{SET max_parallel_maintenance_workers = 0;
		CREATE INDEX smooth_idx ON smooth USING hnsw (v $opclass)});
	like(index_check_ok($node, 'smooth_idx', "$opclass on image-like rows: index check passes"),
		qr/rotated in blocks/, "$opclass on image-like rows: rotated");
	my $r = recall($node, 'smooth', 'v', $op);
	cmp_ok($r, '>=', $min, "$opclass with rotated navigation codes: recall\@10 $r");
	$node->safe_psql('postgres', 'DROP INDEX smooth_idx');
}

# progress: a concurrent session sees the build in pg_stat_progress_create_index
$node->safe_psql('postgres', 'DROP INDEX wide_idx');
my $builder = $node->background_psql('postgres');
$builder->query_until(qr/started/, q{\echo started
SET max_parallel_maintenance_workers = 0;
CREATE INDEX wide_idx ON wide USING hnsw (v vector_l2_ops) WITH (m = 16, ef_construction = 200);
\echo built
});
my (%phases, $max_done, $total);
$max_done = 0;
for (my $i = 0; $i < 3000; $i++)
{
	# stop once the build is over (on a fast machine it may finish before the first look)
	$builder->{run}->pump_nb;
	last if $builder->{stdout} =~ /built/ && !%phases;
	my $row = $node->safe_psql('postgres', q{SELECT phase || '|' || tuples_total || '|' || tuples_done
		FROM pg_stat_progress_create_index WHERE command = 'CREATE INDEX'});
	if ($row eq '')
	{
		last if %phases;
		next;
	}
	my ($phase, $t, $d) = split /\|/, $row;
	$phases{$phase} = 1;
	$total = $t;
	$max_done = $d if $d > $max_done;
}
$builder->quit;
note('phases seen: ' . join(', ', sort keys %phases) . '; tuples_total ' . ($total // '-') . ", max tuples_done $max_done");
SKIP:
{
	skip 'the build finished before a concurrent session could look', 3 unless %phases;
	ok(%phases, 'the build shows in pg_stat_progress_create_index');
	ok((grep { /building index/ } keys %phases), 'with a "building index" phase');
	cmp_ok($max_done, '>', 0, 'and tuples_done advances');
}
index_check_ok($node, 'wide_idx', 'index check passes after the observed build');

# a build is cancellable: statement_timeout stops a long build, which leaves nothing behind
{
	my $start = time();
	my ($ret, $out, $err) = $node->psql('postgres', q{SET max_parallel_maintenance_workers = 0;
		SET statement_timeout = '300ms';
		CREATE INDEX wide_slow ON wide USING hnsw (v vector_l2_ops) WITH (m = 48, ef_construction = 1000)});
	note('cancelled build returned after about ' . (time() - $start) . " s: $err");
	like($err, qr/canceling statement/, 'statement_timeout cancels a long build');
	is($node->safe_psql('postgres', "SELECT count(*) FROM pg_class WHERE relname = 'wide_slow'"), '0',
		'the cancelled build leaves no index');
	is($node->safe_psql('postgres', 'SELECT count(*) FROM wide'), '4500', 'and the table is intact');
}

# pg_dump and pg_restore carry the index definition (operator class, options) and rebuild it
$node->safe_psql('postgres', q{CREATE INDEX items_dump ON items USING hnsw (h halfvec_cosine_ops) WITH (m = 12, ef_construction = 48)});
my $dump = $node->basedir . '/hnsw.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-t', 'items', '-t', 'items_q', '-f', $dump, $node->connstr('postgres') ],
	'pg_dump of a table with an hnsw index');
$node->safe_psql('postgres', 'CREATE DATABASE restored');
$node->safe_psql('restored', 'CREATE EXTENSION piramid');
$node->command_ok([ 'pg_restore', '-d', $node->connstr('restored'), $dump ], 'pg_restore');
is($node->safe_psql('restored', "SELECT pg_get_indexdef('items_dump'::regclass)"),
	$node->safe_psql('postgres', "SELECT pg_get_indexdef('items_dump'::regclass)"), 'the restored index has the same definition');
my $rr = recall($node, 'items', 'h', '<=>', db => 'restored');
cmp_ok($rr, '>=', 0.98, "the restored index answers queries: recall\@10 $rr");
index_check_ok($node, 'items_dump', 'index check passes on the restored index', db => 'restored');

$node->stop;
done_testing();
