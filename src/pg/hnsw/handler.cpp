// The hnsw access method: the IndexAmRoutine that ties the callbacks together. Every callback runs its
// body inside guard() so no C++ exception can reach Postgres.
#include "pg/am/index_check.h"
#include "pg/am/validate.h"
#include "pg/guard.h"
#include "pg/hnsw/build.h"
#include "pg/hnsw/check.h"
#include "pg/hnsw/cost.h"
#include "pg/hnsw/insert.h"
#include "pg/hnsw/options.h"
#include "pg/hnsw/scan.h"
#include "pg/hnsw/vacuum.h"

extern "C" {
#include "access/amapi.h"
#include "commands/vacuum.h"
}

namespace piramid::pg::hnsw {
namespace {

IndexBuildResult* am_build(Relation heap, Relation index, IndexInfo* info) {
  return guard([&] { return build(heap, index, info); });
}
void am_build_empty(Relation index) { guard([&] { build_empty(index); }); }

bool am_insert(Relation index, Datum* values, bool* isnull, ItemPointer heap_tid, Relation heap,
               IndexUniqueCheck check_unique, bool index_unchanged, IndexInfo* info) {
  if (isnull[0]) return false;
  guard([&] { insert_value(index, values[0], heap_tid); });
  return false;
}

IndexBulkDeleteResult* am_bulk_delete(IndexVacuumInfo* info, IndexBulkDeleteResult* stats,
                                      IndexBulkDeleteCallback callback, void* state) {
  return guard([&] { return bulk_delete(info, stats, callback, state); });
}
IndexBulkDeleteResult* am_vacuum_cleanup(IndexVacuumInfo* info, IndexBulkDeleteResult* stats) {
  return guard([&] { return vacuum_cleanup(info, stats); });
}
void am_cost_estimate(PlannerInfo* root, IndexPath* path, double loop_count, Cost* startup, Cost* total,
                      Selectivity* selectivity, double* correlation, double* pages) {
  guard([&] { cost_estimate(root, path, loop_count, startup, total, selectivity, correlation, pages); });
}
bytea* am_options(Datum reloptions, bool validate) { return guard([&] { return parse_options(reloptions, validate); }); }
// Plain glue (catalog lookups only): no guard needed.
bool am_validate(Oid opclass) { return validate_ordering_opclass(opclass, "hnsw", 1); }
char* am_phase_name(int64 phase) { return guard([&] { return build_phase_name(phase); }); }
IndexScanDesc am_begin_scan(Relation index, int nkeys, int norderbys) {
  return guard([&] { return begin_scan(index, nkeys, norderbys); });
}
void am_rescan(IndexScanDesc scan, ScanKey keys, int nkeys, ScanKey orderbys, int norderbys) {
  guard([&] { rescan(scan, keys, nkeys, orderbys, norderbys); });
}
bool am_get_tuple(IndexScanDesc scan, ScanDirection direction) {
  return guard([&] { return get_tuple(scan, direction); });
}
void am_end_scan(IndexScanDesc scan) { guard([&] { end_scan(scan); }); }

}  // namespace
}  // namespace piramid::pg::hnsw

PIRAMID_FUNCTION(hnsw_handler) {
  using namespace piramid::pg::hnsw;
  IndexAmRoutine* am = makeNode(IndexAmRoutine);
  am->amstrategies = 0;
  am->amsupport = 1;
  am->amoptsprocnum = 0;
  am->amcanorder = false;
  am->amcanorderbyop = true;
  am->amcanbackward = false;
  am->amcanunique = false;
  am->amcanmulticol = false;
  am->amoptionalkey = true;
  am->amsearcharray = false;
  am->amsearchnulls = false;
  am->amstorage = false;
  am->amclusterable = false;
  am->ampredlocks = false;
  am->amcanparallel = false;
  am->amcaninclude = false;
  am->amusemaintenanceworkmem = false;
  am->amparallelvacuumoptions = VACUUM_OPTION_PARALLEL_BULKDEL;
  am->amkeytype = InvalidOid;
  am->ambuild = am_build;
  am->ambuildempty = am_build_empty;
  am->aminsert = am_insert;
  am->ambulkdelete = am_bulk_delete;
  am->amvacuumcleanup = am_vacuum_cleanup;
  am->amcanreturn = nullptr;
  am->amcostestimate = am_cost_estimate;
  am->amoptions = am_options;
  am->amproperty = nullptr;
  am->ambuildphasename = am_phase_name;
  am->amvalidate = am_validate;
  am->amadjustmembers = nullptr;
  am->ambeginscan = am_begin_scan;
  am->amrescan = am_rescan;
  am->amgettuple = am_get_tuple;
  am->amgetbitmap = nullptr;
  am->amendscan = am_end_scan;
  am->ammarkpos = nullptr;
  am->amrestrpos = nullptr;
  am->amestimateparallelscan = nullptr;
  am->aminitparallelscan = nullptr;
  am->amparallelrescan = nullptr;
  PG_RETURN_POINTER(am);
}
