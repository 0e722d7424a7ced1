# hnsw and VACUUM: after deleting half the rows and vacuuming, recall stays at the level of a fresh build on the
# remaining rows, dead rows are never returned, the checker passes, and new rows reuse the freed space.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use HnswTestData;

my $node = PostgreSQL::Test::Cluster->new('vacuum');
$node->init;
$node->append_conf('postgresql.conf', "shared_buffers = 128MB\nfsync = off\nautovacuum = off\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION piramid');

make_clustered($node, 'items', rows => 4000, dims => 32, clusters => 25, seed => 0.31, queries => 100);
$node->safe_psql('postgres', q{SET max_parallel_maintenance_workers = 0;
	CREATE INDEX items_l2 ON items USING hnsw (v vector_l2_ops)});
my $before = recall($node, 'items', 'v', '<->');
cmp_ok($before, '>=', 0.99, "recall\@10 before deleting: $before");
my $size_full = $node->safe_psql('postgres', "SELECT pg_relation_size('items_l2')");

# delete half (every other row of every cluster), vacuum
$node->safe_psql('postgres', 'DELETE FROM items WHERE id % 2 = 0');
$node->safe_psql('postgres', 'VACUUM items');
index_check_ok($node, 'items_l2', 'index check passes after deleting half and vacuuming');
my $after = recall($node, 'items', 'v', '<->');
is($node->safe_psql('postgres', q{SET enable_seqscan = off; SET hnsw.ef_search = 100;
	SELECT count(*) FROM items_q q CROSS JOIN LATERAL (SELECT t.id FROM items t ORDER BY t.v <-> q.v LIMIT 10) x
	WHERE x.id % 2 = 0}), '0', 'no deleted row is returned');
is(rows_unreturned($node, 'items', 'v', '<->'), '0', 'every remaining row is still reachable');

# a fresh build on the same remaining rows, for comparison
$node->safe_psql('postgres', q{SET max_parallel_maintenance_workers = 0;
	CREATE TABLE fresh AS SELECT * FROM items; CREATE TABLE fresh_q AS SELECT * FROM items_q;
	CREATE INDEX fresh_l2 ON fresh USING hnsw (v vector_l2_ops); ANALYZE fresh});
my $fresh = recall($node, 'fresh', 'v', '<->');
note("recall\@10: before $before, after delete+vacuum $after, fresh build $fresh");
cmp_ok($after, '>=', 0.9, "recall\@10 after delete + vacuum: $after");
cmp_ok($after, '>=', $fresh - 0.01, "within 0.01 of a fresh build ($fresh)");

# a second vacuum finishes removing the deleted nodes; new rows then reuse their space
$node->safe_psql('postgres', 'VACUUM items');
index_check_ok($node, 'items_l2', 'index check passes after a second vacuum');
$node->safe_psql('postgres', q{
	INSERT INTO items (id, v, h, s, b)
	SELECT i, v, v::halfvec(32), v::sparsevec(32), binary_quantize(v)::bit(32)
	FROM (SELECT i, ARRAY(SELECT x + 0.5 * (random() - 0.5) FROM unnest(c.a) x)::real[]::vector(32) AS v
	      FROM generate_series(2, 4000, 2) i JOIN items_c c ON c.c = i % 25) s});
my $size_refilled = $node->safe_psql('postgres', "SELECT pg_relation_size('items_l2')");
note("index size: built $size_full, after delete + vacuum + refill to the same row count $size_refilled");
cmp_ok($size_refilled, '<', $size_full * 1.4, 'refilling after vacuum reuses space (growth < 40%)');
cmp_ok($size_refilled, '<', $size_full * 1.1, 'refilling after vacuum reuses nearly all space (growth < 10%)');
index_check_ok($node, 'items_l2', 'index check passes after refilling');
my $refilled = recall($node, 'items', 'v', '<->');
cmp_ok($refilled, '>=', 0.9, "recall\@10 after refilling: $refilled");
is(rows_unreturned($node, 'items', 'v', '<->'), '0', 'every row is reachable after refilling');
cmp_ok(rows_not_found($node, 'items', 'v', '<->'), '<=', 20, 'at most 0.5% of rows miss their own value after refilling');

# Tight clusters that the build joins with few links: deleting half the rows removes the nodes those
# links went through, and the repaired lists (filled from each node's own neighbourhood) no longer enter
# most clusters. Vacuum then links every group that a walk from the entry point does not reach.
$node->safe_psql('postgres', q{
	SELECT setseed(0.5);
	CREATE TABLE tight (id int PRIMARY KEY, v vector(32));
	INSERT INTO tight SELECT i, (SELECT array_agg(((i % 20) * 0.37 + d * 0.11)::int % 7 + random() * 0.5)
		FROM generate_series(1, 32) d WHERE i > 0)::vector FROM generate_series(1, 4000) i;
	SET max_parallel_maintenance_workers = 0;
	CREATE INDEX tight_l2 ON tight USING hnsw (v vector_l2_ops);
	DELETE FROM tight WHERE id % 2 = 0;
	VACUUM tight;
});
like(index_check_ok($node, 'tight_l2', 'index check passes on the tight clusters after vacuum'),
	qr/2000 of 2000 live nodes reachable/, 'every live node is reachable from the entry point after vacuum');
is(rows_unreturned($node, 'tight', 'v', '<->'), '0', 'an iterative scan returns every remaining row');
$node->safe_psql('postgres', 'CREATE TABLE tight_fresh AS SELECT * FROM tight; CREATE INDEX ON tight_fresh USING hnsw (v vector_l2_ops)');
my $tight_recall = $node->safe_psql('postgres', q{SET enable_seqscan = off; SET hnsw.ef_search = 40;
	SELECT avg(hit) FROM (SELECT q.id, (SELECT count(*) FROM (SELECT id FROM tight ORDER BY v <-> q.v LIMIT 10) a
		JOIN (SELECT id FROM tight_fresh ORDER BY v <-> q.v LIMIT 10) b USING (id)) / 10.0 AS hit
		FROM tight q WHERE q.id % 40 = 1) s});
cmp_ok($tight_recall, '>=', 0.9, "after vacuum, answers agree with a fresh build's ($tight_recall)");

# Rows inserted one by one, cluster after cluster, into an index with small lists: a new node whose
# neighbours all prefer their current links is taken in place of the nearest one's farthest link, but
# later inserts can still leave groups no link enters. A VACUUM with nothing to delete checks again
# once the table has grown by a fifth since the last check, and links them back in.
$node->safe_psql('postgres', q{
	SELECT setseed(0.25);
	CREATE TABLE blocks (id int PRIMARY KEY, v vector(32));
	CREATE INDEX blocks_l2 ON blocks USING hnsw (v vector_l2_ops) WITH (m = 4, ef_construction = 16);
	INSERT INTO blocks SELECT i, (SELECT array_agg(((i / 200) * 0.37 + d * 0.11)::int % 7 + random() * 0.5)
		FROM generate_series(1, 32) d WHERE i > 0)::vector FROM generate_series(1, 4000) i;
});
my ($reached_before) = index_check_ok($node, 'blocks_l2', 'index check passes after single-row inserts')
	=~ /(\d+) of 4000 live nodes reachable/;
note("live nodes reachable after 4000 single-row inserts: $reached_before of 4000");
$node->safe_psql('postgres', 'VACUUM blocks');
like(index_check_ok($node, 'blocks_l2', 'index check passes after a VACUUM with nothing to delete'),
	qr/4000 of 4000 live nodes reachable/, 'after VACUUM every inserted row is reachable');
is(rows_unreturned($node, 'blocks', 'v', '<->'), '0', 'an iterative scan returns every inserted row');

# vacuum with every row deleted, then inserts into the emptied index
$node->safe_psql('postgres', 'DELETE FROM items; VACUUM items');
index_check_ok($node, 'items_l2', 'index check passes on an emptied index');
is($node->safe_psql('postgres', q{SET enable_seqscan = off;
	SELECT count(*) FROM (SELECT id FROM items ORDER BY v <-> (SELECT v FROM items_q WHERE id = 1) LIMIT 10) s}),
	'0', 'an emptied index returns nothing');
$node->safe_psql('postgres', 'INSERT INTO items SELECT * FROM fresh');
is(rows_unreturned($node, 'items', 'v', '<->'), '0', 'every row inserted into the emptied index is reachable');
index_check_ok($node, 'items_l2', 'index check passes after refilling the emptied index');

$node->stop;
done_testing();
