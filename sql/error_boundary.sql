-- A C++ exception thrown eight frames deep in the core becomes a clean SQL error with the right SQLSTATE,
-- every C++ object on the way is destroyed, and the session goes on.
\set VERBOSITY default
SELECT piramid_check_error_boundary('none') AS live_objects;
SELECT piramid_check_error_boundary('invalid');
SELECT piramid_check_error_boundary('bad_alloc');
SELECT piramid_check_error_boundary('runtime');
SELECT piramid_check_error_boundary('integer');
-- a Postgres error raised under core frames keeps its own SQLSTATE
SELECT piramid_check_error_boundary('callback');
SELECT piramid_check_error_boundary('something else');
\set VERBOSITY sqlstate
SELECT piramid_check_error_boundary('invalid');
SELECT piramid_check_error_boundary('bad_alloc');
SELECT piramid_check_error_boundary('callback');
\set VERBOSITY default
-- every probe was destroyed by unwinding, and the session still works, inside a transaction too
SELECT piramid_check_error_boundary('none') AS live_objects;
BEGIN;
SAVEPOINT s;
SELECT piramid_check_error_boundary('runtime');
ROLLBACK TO s;
SELECT '[1,2]'::vector <-> '[2,2]' AS still_working;
COMMIT;
SELECT piramid_simd_level() IN ('scalar', 'avx2', 'avx512') AS known_simd_level;
