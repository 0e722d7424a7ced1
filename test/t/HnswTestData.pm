# Helpers shared by the hnsw cluster tests (test/t/01x_hnsw_*.pl): seeded clustered data made in SQL, recall
# against exact results, "every row is found" checks and the index checker. No test here; only functions.
package HnswTestData;

use strict;
use warnings;
use Exporter 'import';
use Test::More;

our @EXPORT = qw(make_clustered recall rows_not_found rows_unreturned index_check_ok);

# make_clustered($node, $table, rows => 3000, dims => 32, clusters => 20, seed => 0.42, queries => 50)
# Creates $table (id, v vector, h halfvec, s sparsevec, b bit) with rows drawn around random centroids, and
# ${table}_q with query points drawn the same way. Deterministic for a given seed.
sub make_clustered
{
	my ($node, $table, %o) = @_;
	my $rows = $o{rows} // 3000;
	my $dims = $o{dims} // 32;
	my $clusters = $o{clusters} // 20;
	my $seed = $o{seed} // 0.42;
	my $queries = $o{queries} // 50;
	my $noise = $o{noise} // 0.5;
	my $db = $o{db} // 'postgres';
	$node->safe_psql($db, qq{
		SELECT setseed($seed);
		CREATE TABLE ${table}_c AS
		SELECT c, ARRAY(SELECT random() * 2 - 1 FROM generate_series(1, $dims) WHERE c >= 0) AS a
		FROM generate_series(0, $clusters - 1) c;
		CREATE TABLE $table (id int PRIMARY KEY, v vector($dims), h halfvec($dims), s sparsevec($dims), b bit($dims));
		INSERT INTO $table (id, v)
		SELECT i, ARRAY(SELECT x + $noise * (random() - 0.5) FROM unnest(c.a) x)::real[]
		FROM generate_series(1, $rows) i JOIN ${table}_c c ON c.c = i % $clusters ORDER BY i;
		CREATE TABLE ${table}_q (LIKE $table);
		INSERT INTO ${table}_q (id, v)
		SELECT i, ARRAY(SELECT x + $noise * (random() - 0.5) FROM unnest(c.a) x)::real[]
		FROM generate_series(1, $queries) i JOIN ${table}_c c ON c.c = (i * 7) % $clusters ORDER BY i;
		UPDATE $table SET h = v::halfvec($dims), s = v::sparsevec($dims), b = binary_quantize(v)::bit($dims);
		UPDATE ${table}_q SET h = v::halfvec($dims), s = v::sparsevec($dims), b = binary_quantize(v)::bit($dims);
		ANALYZE $table;
	});
	return;
}

# recall($node, $table, $col, $op, k => 10, settings => 'SET hnsw.ef_search = 100;')
# Mean recall@k of index scans over ${table}_q against exact results. A returned row counts as a hit when its
# distance is within the exact k-th distance, so ties (bit distances) are no penalty. One read-only statement
# (it runs on standbys too): the exact side orders by "distance + 0", which no index serves. Dies when the
# index side does not use an index scan.
sub recall
{
	my ($node, $table, $col, $op, %o) = @_;
	my $k = $o{k} // 10;
	my $settings = $o{settings} // 'SET hnsw.ef_search = 100;';
	my $db = $o{db} // 'postgres';
	my $lateral = "SELECT t.$col $op q.$col AS d FROM $table t ORDER BY t.$col $op q.$col LIMIT $k";
	my $exact = "SELECT (t.$col $op q.$col) + 0 AS d FROM $table t ORDER BY 1 LIMIT $k";
	my $plan = $node->safe_psql($db, qq{SET enable_seqscan = off; $settings
		EXPLAIN (COSTS OFF) SELECT q.id, x.d FROM ${table}_q q CROSS JOIN LATERAL ($lateral) x});
	die "no index scan for $col $op:\n$plan" unless $plan =~ /Index Scan using/;
	return $node->safe_psql($db, qq{SET enable_seqscan = off; $settings
		WITH got AS (SELECT q.id AS qid, x.d FROM ${table}_q q CROSS JOIN LATERAL ($lateral) x),
		kth AS (SELECT q.id AS qid, (SELECT max(d) FROM ($exact) x) AS kth FROM ${table}_q q)
		SELECT round((count(*) FILTER (WHERE g.d <= k.kth + 1e-9))::numeric / ((SELECT count(*) FROM ${table}_q) * $k), 4)
		FROM got g JOIN kth k USING (qid);
	});
}

# rows_not_found($node, $table, $col, $op): how many rows of $table an index scan for the row's own value does
# not return first (0 when every indexed row is reachable). Values must be distinct. ef_search 200 by default:
# at 40, well separated clusters make a few self-queries miss even on a sound graph.
sub rows_not_found
{
	my ($node, $table, $col, $op, %o) = @_;
	my $db = $o{db} // 'postgres';
	my $settings = $o{settings} // 'SET hnsw.ef_search = 200;';
	return $node->safe_psql($db, qq{SET enable_seqscan = off; $settings
		SELECT count(*) FROM $table t
		WHERE t.$col IS NOT NULL AND (SELECT x.id FROM $table x ORDER BY x.$col $op t.$col LIMIT 1) IS DISTINCT FROM t.id});
}

# rows_unreturned($node, $table, $col, $op): how many rows of $table (with a non-NULL $col) a relaxed iterative
# scan without limits never returns: 0 when every row is in the index and reachable by a scan. Cheaper and
# sharper than rows_not_found, which also measures search quality (a low m can leave a node that greedy search
# for its own value misses although it is reachable).
sub rows_unreturned
{
	my ($node, $table, $col, $op, %o) = @_;
	my $db = $o{db} // 'postgres';
	return $node->safe_psql($db, qq{SET enable_seqscan = off; SET hnsw.iterative_scan = relaxed_order;
		SET hnsw.max_scan_tuples = 2000000000; SET hnsw.scan_mem_multiplier = 1000; SET work_mem = '16MB';
		SELECT (SELECT count(*) FROM $table WHERE $col IS NOT NULL) - count(DISTINCT id) FROM
		(SELECT id FROM $table ORDER BY $col $op (SELECT $col FROM $table WHERE $col IS NOT NULL ORDER BY id LIMIT 1)
		 LIMIT 100000000) s});
}

# index_check_ok($node, $index, $name): piramid_index_check runs without error (its report goes to the log).
sub index_check_ok
{
	my ($node, $index, $name, %o) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;    # report (and find $TODO) at the caller
	my $db = $o{db} // 'postgres';
	my ($ret, $out, $err) = $node->psql($db, "SELECT piramid_index_check('$index')");
	note("piramid_index_check($index): $out $err");
	ok($ret == 0 && $err eq '', $name // "index check passes for $index");
	return $out;
}

1;
