# pg_dump and restore carry vector, halfvec and sparsevec columns unchanged (text and binary dump formats),
# and a streaming replica sees the same values.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('primary');
$node->init(allows_streaming => 1);
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION piramid');
$node->safe_psql('postgres', q{
  CREATE TABLE items (id int PRIMARY KEY, v vector(3), h halfvec(3), s sparsevec(5));
  SELECT setseed(0.42);
  INSERT INTO items SELECT i, ARRAY[random(), random() * 1e6, -random()]::vector(3),
    ARRAY[random(), 2, -random()]::halfvec(3), ('{1:' || i || ',5:' || random() || '}/5')::sparsevec(5)
  FROM generate_series(1, 500) i;
});
my $original = $node->safe_psql('postgres', 'SELECT string_agg(items::text, E\'\n\' ORDER BY id) FROM items');

my $backup = $node->backup_dir;
for my $format ('plain', 'custom') {
  my $file = "$backup/items.$format";
  $node->command_ok([ 'pg_dump', '-d', $node->connstr('postgres'), '-F', substr($format, 0, 1), '-f', $file ],
    "pg_dump ($format)");
  $node->safe_psql('postgres', "CREATE DATABASE restored_$format");
  if ($format eq 'plain') {
    $node->command_ok([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr("restored_$format"), '-f', $file ],
      'restore plain dump');
  } else {
    $node->command_ok([ 'pg_restore', '-d', $node->connstr("restored_$format"), $file ], 'restore custom dump');
  }
  is($node->safe_psql("restored_$format", 'SELECT string_agg(items::text, E\'\n\' ORDER BY id) FROM items'),
    $original, "values identical after $format dump and restore");
}

# a streaming replica replays the data and the extension's catalog entries
$node->backup('base');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($node, 'base', has_streaming => 1);
$standby->start;
$node->safe_psql('postgres', "INSERT INTO items VALUES (501, '[1,2,3]', '[1,2,3]', '{2:2}/5')");
$node->wait_for_catchup($standby);
is($standby->safe_psql('postgres', 'SELECT v <-> \'[1,2,4]\' FROM items WHERE id = 501'), '1',
  'standby computes distances on replicated rows');
is($standby->safe_psql('postgres', 'SELECT count(*) FROM items'), '501', 'standby has every row');

done_testing();
