// Module entry: the magic block and _PG_init, which registers each component's settings.
#include "pg/guard.h"
#include "pg/settings.h"

extern "C" {
PG_MODULE_MAGIC;

void _PG_init(void);
}

void _PG_init(void) {
  // One line per component that has settings (GUCs) or reloption kinds; each lives with its component.
  piramid::pg::register_gpu_settings();
  piramid::pg::register_hnsw_settings();
  piramid::pg::register_ivf_settings();
}
