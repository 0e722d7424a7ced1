# piramid_index_check on a damaged hnsw index: it raises an error (never a crash) for a zeroed page and for
# garbage in a page's tuples, and the server stays up. Only the standard PostgreSQL page header is read here;
# nothing assumes piramid's own page layout.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use HnswTestData;

my $node = PostgreSQL::Test::Cluster->new('corruption');
$node->init;
$node->append_conf('postgresql.conf', "fsync = off\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION piramid');
make_clustered($node, 'items', rows => 2000, dims => 16, clusters => 10, seed => 0.81, queries => 5);
$node->safe_psql('postgres', q{SET max_parallel_maintenance_workers = 0;
	CREATE INDEX idx_a ON items USING hnsw (v vector_l2_ops);
	CREATE INDEX idx_b ON items USING hnsw (v vector_l2_ops);
	CREATE INDEX idx_c ON items USING hnsw (v vector_l2_ops);});
index_check_ok($node, 'idx_a', 'index check passes before any damage');
my $blocks = $node->safe_psql('postgres', "SELECT pg_relation_size('idx_a') / 8192");
cmp_ok($blocks, '>', 2, "the index has several pages ($blocks)");
my %file = map { $_ => $node->data_dir . '/' . $node->safe_psql('postgres', "SELECT pg_relation_filepath('$_')") }
  ('idx_a', 'idx_b', 'idx_c');
$node->stop;

# Overwrites block $blkno of $path: the whole page with zeros, or its tuple area (pd_upper .. pd_special, read
# from the standard page header) with 0xA5 bytes.
sub damage
{
	my ($path, $blkno, $how) = @_;
	open(my $fh, '+<', $path) or die "open $path: $!";
	binmode $fh;
	if ($how eq 'zero')
	{
		seek($fh, 8192 * $blkno, 0);
		print $fh ("\0" x 8192);
	}
	else
	{
		seek($fh, 8192 * $blkno, 0);
		read($fh, my $header, 24) == 24 or die 'short read';
		my ($upper, $special) = unpack('v v', substr($header, 14, 4));
		if ($special > $upper && $special <= 8192)
		{
			seek($fh, 8192 * $blkno + $upper, 0);
			print $fh (pack('C', 0xA5) x ($special - $upper));
		}
	}
	close $fh;
	return;
}
damage($file{idx_a}, 1, 'zero');                             # one page zeroed
# (each index's own size: builds are randomised, so the three can differ by a page)
damage($file{idx_b}, $_, 'garbage') for 1 .. (-s $file{idx_b}) / 8192 - 1;    # every page but the meta page: garbage tuples
damage($file{idx_c}, $_, 'zero') for 1 .. (-s $file{idx_c}) / 8192 - 1;       # every page but the meta page zeroed

$node->start;
my %failed;
for my $index ('idx_a', 'idx_b', 'idx_c')
{
	my ($ret, $out, $err) = $node->psql('postgres', "SELECT piramid_index_check('$index')");
	note("piramid_index_check($index) on a damaged index: $out $err");
	$failed{$index} = ($ret != 0 && $err =~ /ERROR/);
	is($node->safe_psql('postgres', 'SELECT 1'), '1', "the server is up after checking $index");
}
ok($failed{idx_b}, 'the check reports garbage in the tuples of every page with an error');
ok($failed{idx_c}, 'the check reports zeroed pages with an error');
{
	ok($failed{idx_a}, 'the check reports one zeroed page with an error');
}
ok(!$node->log_contains('terminated by signal'), 'no backend crashed while checking');

# REINDEX repairs them
$node->safe_psql('postgres', 'REINDEX INDEX idx_a; REINDEX INDEX idx_b; REINDEX INDEX idx_c');
index_check_ok($node, $_, "index check passes after REINDEX of $_") for ('idx_a', 'idx_b', 'idx_c');

$node->stop;
done_testing();
