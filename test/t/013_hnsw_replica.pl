# hnsw on a streaming replica: the standby replays the build, inserts, deletes and vacuum with
# wal_consistency_checking = generic (every Generic WAL record carries page images that replay compares with
# what it produced), stays up, passes the index check and returns the same results as the primary.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use HnswTestData;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
# The images that replay checks are written by the primary, so the setting matters there; the standby has it
# too, for what it writes itself (nothing, being read-only) and to mirror the issue's wording.
$primary->append_conf('postgresql.conf', "wal_consistency_checking = 'generic'\nshared_buffers = 128MB\nwal_keep_size = 1GB\n");
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION piramid');
make_clustered($primary, 'items', rows => 1500, dims => 24, clusters => 12, seed => 0.61, queries => 20);
$primary->safe_psql('postgres', q{SET max_parallel_maintenance_workers = 0;
	CREATE INDEX items_l2 ON items USING hnsw (v vector_l2_ops)});

$primary->backup('base');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'base', has_streaming => 1);
$standby->append_conf('postgresql.conf', "wal_consistency_checking = 'generic'\n");
$standby->start;

# after the base backup: a second build (WAL-logged in bulk), inserts into both, deletes, vacuum, more inserts
$primary->safe_psql('postgres', q{
	CREATE INDEX items_cos ON items USING hnsw (h halfvec_cosine_ops);
	CREATE INDEX items_ham ON items USING hnsw (b bit_hamming_ops);
	INSERT INTO items (id, v, h, b)
	SELECT 10000 + id, v, h, b FROM (SELECT id, (v::real[])[2:] || (v::real[])[1:1] AS a FROM items WHERE id <= 500) s,
	  LATERAL (SELECT a::vector(24) AS v, a::halfvec(24) AS h, binary_quantize(a::vector(24))::bit(24) AS b) x;
	DELETE FROM items WHERE id % 3 = 0;
	VACUUM items;
	INSERT INTO items (id, v, h, b)
	SELECT 20000 + id, v, h, b FROM (SELECT id, (v::real[])[3:] || (v::real[])[1:2] AS a FROM items WHERE id <= 300) s,
	  LATERAL (SELECT a::vector(24) AS v, a::halfvec(24) AS h, binary_quantize(a::vector(24))::bit(24) AS b) x;
});
# one insert at a time too, each its own transaction
for my $i (1 .. 30)
{
	$primary->safe_psql('postgres', qq{INSERT INTO items (id, v, h, b)
		SELECT 30000 + $i, v, h, b FROM (SELECT ARRAY(SELECT sin($i * 0.1 + j) FROM generate_series(1, 24) j)::real[] AS a) s,
		LATERAL (SELECT a::vector(24) AS v, a::halfvec(24) AS h, binary_quantize(a::vector(24))::bit(24) AS b) x});
}
$primary->wait_for_catchup($standby);

ok($standby->safe_psql('postgres', 'SELECT pg_is_in_recovery()') eq 't', 'the standby is up and replaying');
is($standby->safe_psql('postgres', 'SELECT count(*) FROM items'),
	$primary->safe_psql('postgres', 'SELECT count(*) FROM items'), 'the standby has every row');
for my $index ('items_l2', 'items_cos', 'items_ham')
{
	index_check_ok($primary, $index, "index check passes for $index on the primary");
}
index_check_ok($standby, 'items_l2', 'index check passes on the standby');

# the same queries give the same ids in the same order on both (same pages, same search)
my $q = q{SET enable_seqscan = off; SET hnsw.ef_search = 60;
	SELECT string_agg(q.id || ':' || x.ids, E'\n' ORDER BY q.id) FROM items_q q CROSS JOIN LATERAL
	(SELECT string_agg(id::text, ',') AS ids FROM (SELECT t.id FROM items t ORDER BY t.%s %s q.%s LIMIT 10) r) x};
for my $c ([ 'v', '<->' ], [ 'h', '<=>' ], [ 'b', '<~>' ])
{
	my ($col, $op) = @$c;
	my $sql = sprintf($q, $col, $op, $col);
	my $on_primary = $primary->safe_psql('postgres', $sql);
	is($standby->safe_psql('postgres', $sql), $on_primary, "standby returns the primary's results for $col $op");
}
my $r = recall($standby, 'items', 'v', '<->');
cmp_ok($r, '>=', 0.8, "recall\@10 on the standby: $r");
cmp_ok($r, '>=', 0.95, "recall\@10 on the standby near a fresh build's level: $r");

ok(!$standby->log_contains('inconsistent page found'), 'replay found no inconsistent page');

$standby->stop;
$primary->stop;
done_testing();
