// amcostestimate for hnsw.
#pragma once

#include "pg/postgres_headers.h"

extern "C" {
#include "nodes/pathnodes.h"
}

namespace piramid::pg::hnsw {

void cost_estimate(PlannerInfo* root, IndexPath* path, double loop_count, Cost* startup_cost, Cost* total_cost,
                   Selectivity* selectivity, double* correlation, double* pages);

}  // namespace piramid::pg::hnsw
