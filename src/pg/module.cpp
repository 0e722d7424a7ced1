// Module entry: the magic block and _PG_init, which registers piramid's settings.
#include "pg/guard.h"

extern "C" {
PG_MODULE_MAGIC;

void _PG_init(void);
}

void _PG_init(void) {
  piramid::pg::guard([] {});
}
