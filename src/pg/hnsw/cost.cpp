// Planner costs. The index only helps ORDER BY col <op> constant (with a LIMIT): without an ordering it
// is never chosen. A scan expands about twice its beam (1.5 x ef_search) nodes whatever the LIMIT, all
// before the first row, so the whole cost is start-up cost. Each expansion reads one node page when the
// index has navigation codes; without them, every neighbour's page too.
#include "pg/hnsw/cost.h"

#include "pg/hnsw/options.h"
#include "pg/hnsw/page_ops.h"
#include "pg/hnsw/scan.h"

extern "C" {
#include "access/genam.h"
#include "optimizer/optimizer.h"
#include "storage/bufmgr.h"
#include "utils/selfuncs.h"
}

#include <algorithm>
#include <cfloat>
#include <cmath>

namespace piramid::pg::hnsw {

constexpr double kCostPerRowBeyondSearch = 1.0;

void cost_estimate(PlannerInfo* root, IndexPath* path, double loop_count, Cost* startup_cost, Cost* total_cost,
                   Selectivity* selectivity, double* correlation, double* pages) {
  if (path->indexorderbys == NIL) {
    *startup_cost = DBL_MAX;
    *total_cost = DBL_MAX;
    *selectivity = 0;
    *correlation = 0;
    *pages = 0;
    return;
  }
  Relation index = index_open(path->indexinfo->indexoid, NoLock);
  int m = 0, ef_construction = 0;
  index_options(index, &m, &ef_construction);
  bool navigation_codes = false;
  if (RelationGetNumberOfBlocks(index) > kMetaBlock) {
    Buffer buffer = lock_meta(index, BUFFER_LOCK_SHARE);
    navigation_codes = meta_of(BufferGetPage(buffer))->nav_subspaces > 0;
    UnlockReleaseBuffer(buffer);
  }
  index_close(index, NoLock);

  GenericCosts costs;
  MemSet(&costs, 0, sizeof costs);
  const double tuples = std::max(1.0, path->indexinfo->tuples);
  // Node pages read: the expansions at level 0 plus a few per level of the descent (log_m of the size).
  const double expansions = 2.0 * beam_for(g_settings.ef_search) + 2.0 * std::log(tuples) / std::log(std::max(2, m));
  costs.numIndexTuples = std::min(tuples, navigation_codes ? expansions : expansions * m);
  genericcostestimate(root, path, loop_count, &costs);
  *startup_cost = costs.indexTotalCost;
  // Rows past the first ef_search come only from an iterative scan, or not at all: charge them a high
  // per-row price, so an ORDER BY without LIMIT (which wants every row) sorts a sequential scan instead,
  // while a LIMIT pays only for the rows it takes.
  *total_cost = costs.indexTotalCost + tuples * kCostPerRowBeyondSearch;
  *selectivity = costs.indexSelectivity;
  *correlation = 0;
  *pages = costs.numIndexPages;
}

}  // namespace piramid::pg::hnsw
