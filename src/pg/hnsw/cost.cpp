// Planner costs. The index only helps ORDER BY col <op> constant (with a LIMIT): without an ordering it
// is never chosen. A scan reads about ef_search * 2m nodes whatever the LIMIT, all before the first row,
// so the whole cost is start-up cost.
#include "pg/hnsw/cost.h"

#include "pg/hnsw/options.h"

extern "C" {
#include "access/genam.h"
#include "optimizer/optimizer.h"
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
  index_close(index, NoLock);

  GenericCosts costs;
  MemSet(&costs, 0, sizeof costs);
  const double tuples = std::max(1.0, path->indexinfo->tuples);
  // Nodes visited: ef_search expansions of up to 2m links each, plus the descent (log_m of the size).
  const double visited = g_settings.ef_search * 2.0 * m + m * std::log(tuples) / std::log(std::max(2, m));
  costs.numIndexTuples = std::min(tuples, visited);
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
