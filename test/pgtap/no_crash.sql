-- The no-crash matrix: every function piramid defines on its types, called with every combination of
-- NULL, empty, zero, extreme, mismatched-dimension, oversized and ordinary arguments, must either return a
-- result or raise a proper SQL error (never an internal error, never a crash: a crash would end this
-- session and fail the whole file). Malformed text and 16,001-dimension values must be rejected cleanly.
BEGIN;
SELECT plan(12);

CREATE TEMP TABLE samples (typ regtype, val text);  -- val is an SQL expression; NULL means NULL
INSERT INTO samples VALUES
  ('vector', '''[1,2,3]'''), ('vector', '''[1,2]'''), ('vector', '''[0,0,0]'''), ('vector', '''[3e38,-3e38,1e-38]'''),
  ('vector', 'array_fill(0.5, ARRAY[16000])::vector'), ('vector', NULL),
  ('halfvec', '''[1,2,3]'''), ('halfvec', '''[1,2]'''), ('halfvec', '''[0,0,0]'''), ('halfvec', '''[65504,-65504,0.0001]'''),
  ('halfvec', 'array_fill(0.5, ARRAY[16000])::halfvec'), ('halfvec', NULL),
  ('sparsevec', '''{1:1,3:2}/3'''), ('sparsevec', '''{1:1}/2'''), ('sparsevec', '''{}/3'''),
  ('sparsevec', '''{1:3e38,1000000000:-3e38}/1000000000'''), ('sparsevec', NULL),
  ('bit', '''101'''), ('bit', '''10'''), ('bit', ''''''), ('bit', NULL),
  ('integer', '1'), ('integer', '0'), ('integer', '-1'), ('integer', '2147483647'), ('integer', '(-2147483648)'),
  ('integer', NULL),
  ('boolean', 'true'), ('boolean', NULL),
  ('double precision[]', '''{0}'''), ('double precision[]', '''{2,1,2,3}'''), ('double precision[]', '''{}'''),
  ('double precision[]', '''{{1,2}}'''), ('double precision[]', '''{1,NULL}'''), ('double precision[]', '''{1e308,1e308}'''),
  ('double precision[]', NULL),
  ('integer[]', '''{1,2,3}'''), ('integer[]', '''{}'''), ('integer[]', '''{1,NULL}'''), ('integer[]', '''{{1,2}}'''),
  ('integer[]', 'array_fill(1, ARRAY[16001])'), ('integer[]', NULL),
  ('real[]', '''{1,2,3}'''), ('real[]', '''{NaN,1}'''), ('real[]', '''{Infinity}'''), ('real[]', '''{70000,0}'''), ('real[]', NULL),
  ('numeric[]', '''{1.5,2}'''), ('numeric[]', '''{1e50}'''), ('numeric[]', '''{NaN}'''), ('numeric[]', NULL);

CREATE TEMP TABLE outcomes (fn text, call text, has_null boolean, result_is_null boolean, sqlstate text);

CREATE FUNCTION pg_temp.run_matrix() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  f record;
  combo record;
  r text;
BEGIN
  FOR f IN
    SELECT p.oid, p.proname, p.proargtypes::regtype[] AS args
      FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
      JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'piramid'
     WHERE p.prokind = 'f' AND p.proname NOT LIKE 'piramid\_%'
       AND NOT EXISTS (SELECT 1 FROM unnest(p.proargtypes::regtype[]) a WHERE a NOT IN (SELECT typ FROM samples))
  LOOP
    FOR combo IN EXECUTE format(
        'SELECT concat_ws('', '', %s) AS call_args, %s AS has_null FROM %s',
        (SELECT string_agg(format('coalesce(s%s.val, ''NULL'') || ''::%s''', i, f.args[i]), ', ') FROM generate_subscripts(f.args, 1) i),
        (SELECT string_agg(format('s%s.val IS NULL', i), ' OR ') FROM generate_subscripts(f.args, 1) i),
        (SELECT string_agg(format('(SELECT val FROM samples WHERE typ = %L::regtype) s%s', f.args[i], i), ', ')
           FROM generate_subscripts(f.args, 1) i))
    LOOP
      BEGIN
        EXECUTE format('SELECT %s(%s)::text', f.oid::regproc, combo.call_args) INTO r;
        INSERT INTO outcomes VALUES (f.proname, combo.call_args, combo.has_null, r IS NULL, NULL);
      EXCEPTION WHEN OTHERS THEN
        INSERT INTO outcomes VALUES (f.proname, combo.call_args, combo.has_null, NULL, SQLSTATE);
      END;
    END LOOP;
  END LOOP;
END $$;

CREATE FUNCTION pg_temp.input_error(input text, typ text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('SELECT %L::%s', input, typ);
  RETURN NULL;
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE;
END $$;

SELECT lives_ok('SELECT pg_temp.run_matrix()', 'every function runs over the whole argument matrix');
SELECT cmp_ok((SELECT count(*)::int FROM outcomes), '>', 3000, 'the matrix made thousands of calls');
SELECT cmp_ok((SELECT count(DISTINCT fn)::int FROM outcomes), '>=', 60, 'the matrix covered every type function');
SELECT is((SELECT count(*)::int FROM outcomes WHERE sqlstate LIKE 'XX%'), 0, 'no call raised an internal error');
SELECT is((SELECT count(*)::int FROM outcomes WHERE has_null AND result_is_null IS FALSE), 0,
          'every call with a NULL argument returned NULL');
SELECT is((SELECT count(*)::int FROM outcomes WHERE sqlstate IS NOT NULL AND sqlstate NOT LIKE '22%' AND sqlstate NOT LIKE '54%'),
          0, 'every error is a data exception (22xxx) or a program limit (54xxx)');
SELECT is((SELECT count(*)::int FROM outcomes
            WHERE fn IN ('l2_distance', 'inner_product', 'cosine_distance', 'l1_distance', 'vector_add', 'halfvec_add')
              AND call LIKE '''[1,2,3]''::%, ''[1,2]''::%' AND sqlstate IS DISTINCT FROM '22000'),
          0, 'mismatched dimensions raise 22000');

-- malformed text for each type
SELECT is((SELECT count(*)::int FROM (
  SELECT pg_temp.input_error(v, t) AS state FROM (VALUES
    ('[1,,2]', 'vector'), ('[1,2', 'vector'), ('1,2]', 'vector'), ('[a]', 'vector'), ('', 'vector'), ('[]', 'vector'),
    ('[NaN]', 'vector'), ('[Infinity]', 'vector'), ('[1e39]', 'vector'), ('[1]]', 'vector'), ('[[1]]', 'vector'),
    ('[1,,2]', 'halfvec'), ('[70000]', 'halfvec'), ('[]', 'halfvec'), ('{1:1}/2', 'halfvec'),
    ('{0:1}/3', 'sparsevec'), ('{2:1,1:1}/3', 'sparsevec'), ('{1:1,1:1}/3', 'sparsevec'), ('{1:1}', 'sparsevec'),
    ('{1:1}/0', 'sparsevec'), ('{1:a}/2', 'sparsevec'), ('[1,2]', 'sparsevec'), ('{1:1}/2 3', 'sparsevec')) x(v, t)) e
  WHERE state IS NULL OR state NOT LIKE '22%'), 0, 'malformed text is rejected with a 22xxx error');
SELECT is(pg_temp.input_error('[' || array_to_string(array_fill(1, ARRAY[16001]), ',') || ']', 'vector'), '54000',
          '16,001-dimension vector text is rejected');
SELECT is(pg_temp.input_error('[' || array_to_string(array_fill(1, ARRAY[16001]), ',') || ']', 'halfvec'), '54000',
          '16,001-dimension halfvec text is rejected');
SELECT is((SELECT count(*)::int FROM outcomes WHERE call LIKE 'array_fill(1, ARRAY[16001])%' AND NOT has_null AND fn <> 'array_to_sparsevec' AND sqlstate IS DISTINCT FROM '54000'),
          0, '16,001-element arrays are rejected by every dense cast');
SELECT pass('the server survived every call');

SELECT * FROM finish();
ROLLBACK;
