# Recall of ivf and ivfflat indexes against the exact answer, for every operator class, at several probe
# counts: flat opclasses find exactly the true neighbours when every list is probed, quantized ones (SQ8,
# PQ) come close through their exact re-rank, and more probes never lose recall for flat opclasses.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('recall');
$node->init;
$node->append_conf('postgresql.conf', "shared_buffers = 64MB\nmax_parallel_maintenance_workers = 1");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION piramid');

# 6,000 points around 30 centres in 24 dimensions, and 25 queries near data points (seeded).
$node->safe_psql('postgres', q{
  SELECT setseed(0.17);
  CREATE TABLE centres AS SELECT c, (SELECT array_agg(random() * 4 - 2) FROM generate_series(1, 24) WHERE c > 0) AS x
    FROM generate_series(1, 30) c;
  CREATE TABLE items (id int PRIMARY KEY, v vector(24), h halfvec(24), b bit(24));
  INSERT INTO items
    SELECT i, v, v::halfvec(24), (SELECT string_agg(CASE WHEN e > 0 THEN '1' ELSE '0' END, '') FROM unnest(v::real[]) e)::bit(24)
    FROM (SELECT i, (SELECT array_agg(x[d] + (random() - 0.5) * 3)
                     FROM centres, generate_series(1, 24) d WHERE c = 1 + i % 30)::vector(24) AS v
          FROM generate_series(1, 6000) i) s;
  CREATE TABLE queries AS SELECT q, (SELECT v FROM items WHERE id = q * 211) AS v FROM generate_series(1, 25) q;
  UPDATE queries SET v = (SELECT array_agg(e + (random() - 0.5) * 0.5) FROM unnest(v::real[]) e)::vector(24);
  ANALYZE;
});

# recall@10 of the index scan: the fraction of the exact top 10 (ties at the boundary count as found).
$node->safe_psql('postgres', q{
  CREATE FUNCTION recall(col text, op text, cast_to text) RETURNS float8 LANGUAGE plpgsql AS $$
  DECLARE q record; found int := 0; got int[]; kth float8; n int;
  BEGIN
    FOR q IN SELECT * FROM queries LOOP
      SET LOCAL enable_seqscan = off;
      EXECUTE format('SELECT array_agg(id) FROM (SELECT id FROM items ORDER BY %I %s $1::%s LIMIT 10) s', col, op, cast_to)
        INTO got USING q.v;
      SET LOCAL enable_seqscan = on;
      SET LOCAL enable_indexscan = off;
      EXECUTE format('SELECT max(d) FROM (SELECT %I %s $1::%s AS d FROM items ORDER BY 1 LIMIT 10) s', col, op, cast_to)
        INTO kth USING q.v;
      EXECUTE format('SELECT count(*) FROM items WHERE id = ANY($2) AND %I %s $1::%s <= $3', col, op, cast_to)
        INTO n USING q.v, got, kth;
      found := found + n;
      SET LOCAL enable_indexscan = on;
    END LOOP;
    RETURN found / 250.0;
  END $$;
});

my @cases = (
  [ 'ivfflat', 'vector_l2_ops', 'v', '<->', 'vector' ],
  [ 'ivfflat', 'vector_ip_ops', 'v', '<#>', 'vector' ],
  [ 'ivfflat', 'vector_cosine_ops', 'v', '<=>', 'vector' ],
  [ 'ivfflat', 'halfvec_l2_ops', 'h', '<->', 'halfvec' ],
  [ 'ivfflat', 'halfvec_ip_ops', 'h', '<#>', 'halfvec' ],
  [ 'ivfflat', 'halfvec_cosine_ops', 'h', '<=>', 'halfvec' ],
  [ 'ivfflat', 'bit_hamming_ops', 'b', '<~>', 'bit' ],
  [ 'ivf', 'vector_l2_ops', 'v', '<->', 'vector' ],
  [ 'ivf', 'vector_l2_sq8_ops', 'v', '<->', 'vector' ],
  [ 'ivf', 'vector_ip_sq8_ops', 'v', '<#>', 'vector' ],
  [ 'ivf', 'vector_cosine_sq8_ops', 'v', '<=>', 'vector' ],
  [ 'ivf', 'vector_l2_pq_ops', 'v', '<->', 'vector' ],
  [ 'ivf', 'vector_ip_pq_ops', 'v', '<#>', 'vector' ],
  [ 'ivf', 'vector_cosine_pq_ops', 'v', '<=>', 'vector' ],
);
my $lists = 24;
for my $case (@cases) {
  my ($am, $opclass, $col, $op, $cast) = @$case;
  my $flat = $opclass !~ /_(sq8|pq)_/;
  $node->safe_psql('postgres', "CREATE INDEX idx ON items USING $am ($col $opclass) WITH (lists = $lists)");
  my %recall;
  for my $probes (1, 4, $lists) {
    next if $cast eq 'bit';
    $recall{$probes} = $node->safe_psql('postgres', "SET $am.probes = $probes; SELECT recall('$col', '$op', '$cast')");
  }
  if ($cast eq 'bit') {
    # bit queries: the sign pattern of each vector query
    $node->safe_psql('postgres', q{
      CREATE OR REPLACE FUNCTION bits(v vector) RETURNS bit(24) LANGUAGE sql IMMUTABLE AS
        $$ SELECT string_agg(CASE WHEN e > 0 THEN '1' ELSE '0' END, '')::bit(24) FROM unnest(v::real[]) e $$;
      CREATE OR REPLACE FUNCTION recall_bits() RETURNS float8 LANGUAGE plpgsql AS $$
      DECLARE q record; found int := 0; got int[]; kth float8; n int;
      BEGIN
        FOR q IN SELECT bits(v) AS b FROM queries LOOP
          SET LOCAL enable_seqscan = off;
          SELECT array_agg(id) INTO got FROM (SELECT id FROM items ORDER BY b <~> q.b LIMIT 10) s;
          SET LOCAL enable_seqscan = on; SET LOCAL enable_indexscan = off;
          SELECT max(d) INTO kth FROM (SELECT b <~> q.b AS d FROM items ORDER BY 1 LIMIT 10) s;
          SELECT count(*) INTO n FROM items WHERE id = ANY(got) AND b <~> q.b <= kth;
          found := found + n;
          SET LOCAL enable_indexscan = on;
        END LOOP;
        RETURN found / 250.0;
      END $$;
    });
    for my $probes (1, 4, $lists) {
      $recall{$probes} = $node->safe_psql('postgres', "SET $am.probes = $probes; SELECT recall_bits()");
    }
  }
  note(sprintf('%-8s %-22s recall@10 at probes 1: %.3f, 4: %.3f, %d: %.3f', $am, $opclass, $recall{1}, $recall{4},
    $lists, $recall{$lists}));
  if ($flat) {
    is($recall{$lists}, '1', "$am $opclass: recall 1.0 with probes = lists");
    ok($recall{1} <= $recall{4} && $recall{4} <= $recall{$lists}, "$am $opclass: more probes, no less recall");
  } else {
    cmp_ok($recall{$lists}, ">=", 0.9, "$am $opclass: recall >= 0.9 with probes = lists and the exact re-rank");
  }
  cmp_ok($recall{4}, '>=', 0.5, "$am $opclass: probing 4 of $lists lists finds most neighbours");
  like($node->safe_psql('postgres', 'SELECT piramid_index_check(\'idx\')'), qr/all indexed/, "$am $opclass: index check");
  $node->safe_psql('postgres', 'DROP INDEX idx');
}

done_testing();
