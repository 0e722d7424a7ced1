// SQL functions that report on piramid itself.
#include "pg/guard.h"
#include "piramid/distance.h"
#include "piramid/error_probe.h"

#include <string>

// piramid_check_error_boundary(kind text) -> int: fails eight frames deep in the core in the way `kind`
// names, so a DBA or a test can see the failure arrive as a clean SQL error. Returns the number of core
// objects still alive: 0 unless an earlier failure skipped destructors.
PIRAMID_FUNCTION(piramid_check_error_boundary) {
  const char* kind = text_to_cstring(PG_GETARG_TEXT_PP(0));
  // The callback turns a Postgres error into a C++ exception, so it crosses the core's frames safely.
  piramid::fail_from_depth(std::string(kind), 8, [] {
    piramid::pg::call_postgres([] {
      ereport(ERROR,
              (errcode(ERRCODE_DIVISION_BY_ZERO), errmsg("error probe: Postgres error raised under core frames")));
    });
  });
  PG_RETURN_INT32(piramid::live_error_probes());
}

// piramid_simd_level() -> text: the distance kernels this server uses (scalar, avx2 or avx512).
PIRAMID_FUNCTION(piramid_simd_level) {
  PG_RETURN_TEXT_P(cstring_to_text(piramid::simd_level_name(piramid::best_simd_level())));
}
