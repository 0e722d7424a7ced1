// Planner costs. The index only helps ORDER BY col <op> constant (with a LIMIT): without an ordering it is
// never chosen. A scan reads probes / lists of the entries (all of them while the index is untrained)
// before it returns its first row, so that is start-up cost.
#include "pg/ivf/cost.h"

#include "pg/ivf/page_ops.h"

extern "C" {
#include "access/genam.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "utils/selfuncs.h"
}

#include <algorithm>
#include <cfloat>

namespace piramid::pg::ivf {

constexpr double kCostPerRowBeyondProbes = 1.0;

void cost_estimate(PlannerInfo* root, IndexPath* path, double loop_count, Cost* startup_cost, Cost* total_cost,
                   Selectivity* selectivity, double* correlation, double* pages, Flavor flavor) {
  if (path->indexorderbys == NIL) {
    *startup_cost = DBL_MAX;
    *total_cost = DBL_MAX;
    *selectivity = 0;
    *correlation = 0;
    *pages = 0;
    return;
  }
  Relation index = index_open(path->indexinfo->indexoid, NoLock);
  const MetaPage meta = read_meta(index);
  index_close(index, NoLock);
  const double lists = meta.trained_lists > 0 ? meta.trained_lists : 1;
  const double probes = meta.trained_lists > 0 ? std::min<double>(lists, scan_settings(flavor).probes) : 1;
  const double fraction = probes / lists;

  GenericCosts costs;
  MemSet(&costs, 0, sizeof costs);
  const double tuples = std::max(1.0, path->indexinfo->tuples);
  costs.numIndexTuples = std::max(1.0, tuples * fraction);
  genericcostestimate(root, path, loop_count, &costs);
  // genericcostestimate charges random_page_cost per page; a list is a chain of pages written mostly in
  // order, so charge them like a sequential read. (The centroid and directory pages are read in full,
  // which the per-tuple costs cover well enough.)
  costs.indexTotalCost -= costs.numIndexPages * std::max(0.0, random_page_cost - seq_page_cost);
  *startup_cost = costs.indexTotalCost;
  *total_cost = costs.indexTotalCost + tuples * kCostPerRowBeyondProbes;
  *selectivity = costs.indexSelectivity;
  *correlation = 0;
  *pages = costs.numIndexPages;
}

}  // namespace piramid::pg::ivf
