// Planner costs of ivf scans.
#pragma once

#include "pg/ivf/options.h"

extern "C" {
#include "nodes/pathnodes.h"
}

namespace piramid::pg::ivf {

void cost_estimate(PlannerInfo* root, IndexPath* path, double loop_count, Cost* startup_cost, Cost* total_cost,
                   Selectivity* selectivity, double* correlation, double* pages, Flavor flavor);

}  // namespace piramid::pg::ivf
