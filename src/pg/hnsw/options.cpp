#include "pg/hnsw/options.h"

#include "pg/am/index_check.h"
#include "pg/hnsw/check.h"
#include "pg/settings.h"

extern "C" {
#include "access/reloptions.h"
#include "utils/guc.h"
}

namespace piramid::pg::hnsw {

Settings g_settings;

namespace {

relopt_kind g_relopt_kind;

const struct config_enum_entry kIterativeScanOptions[] = {
    {"off", kIterativeOff, false},
    {"relaxed_order", kIterativeRelaxed, false},
    {"strict_order", kIterativeStrict, false},
    {nullptr, 0, false},
};

}  // namespace

void index_options(Relation index, int* m, int* ef_construction) {
  const IndexOptions* options = reinterpret_cast<const IndexOptions*>(index->rd_options);
  *m = options ? options->m : kDefaultM;
  *ef_construction = options ? options->ef_construction : kDefaultEfConstruction;
}

bytea* parse_options(Datum reloptions, bool validate) {
  static const relopt_parse_elt table[] = {
      {"m", RELOPT_TYPE_INT, offsetof(IndexOptions, m)},
      {"ef_construction", RELOPT_TYPE_INT, offsetof(IndexOptions, ef_construction)},
  };
  return static_cast<bytea*>(build_reloptions(reloptions, validate, g_relopt_kind, sizeof(IndexOptions), table,
                                              sizeof table / sizeof table[0]));
}

}  // namespace piramid::pg::hnsw

namespace piramid::pg {

void register_hnsw_settings() {
  using namespace hnsw;
  g_relopt_kind = add_reloption_kind();
  add_int_reloption(g_relopt_kind, "m", "Max number of connections", kDefaultM, kMinM, kMaxM, AccessExclusiveLock);
  add_int_reloption(g_relopt_kind, "ef_construction", "Size of the dynamic candidate list for construction",
                    kDefaultEfConstruction, kMinEfConstruction, kMaxEfConstruction, AccessExclusiveLock);

  DefineCustomIntVariable("hnsw.ef_search", "Sets the size of the dynamic candidate list for search",
                          "Valid range is 1..1000. Larger values find more true neighbours and take longer.",
                          &g_settings.ef_search, 40, 1, 1000, PGC_USERSET, 0, nullptr, nullptr, nullptr);
  DefineCustomEnumVariable("hnsw.iterative_scan", "Sets the mode for iterative scans",
                           "off, relaxed_order or strict_order: when a WHERE clause filters out index results, "
                           "keep searching the graph until LIMIT rows are found.",
                           &g_settings.iterative_scan, kIterativeOff, kIterativeScanOptions, PGC_USERSET, 0,
                           nullptr, nullptr, nullptr);
  DefineCustomIntVariable("hnsw.max_scan_tuples", "Sets the max number of tuples to visit for iterative scans",
                          nullptr, &g_settings.max_scan_tuples, 20000, 1, INT_MAX, PGC_USERSET, 0, nullptr, nullptr,
                          nullptr);
  DefineCustomRealVariable("hnsw.scan_mem_multiplier", "Sets the multiple of work_mem to use for iterative scans",
                           nullptr, &g_settings.scan_mem_multiplier, 1, 1, 1000, PGC_USERSET, 0, nullptr, nullptr,
                           nullptr);
  MarkGUCPrefixReserved("hnsw");
  register_index_checker("hnsw", check_index);
}

}  // namespace piramid::pg
