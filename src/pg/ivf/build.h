// CREATE INDEX for ivf: sample, train, assign, write (README.md, "Build").
#pragma once

#include "pg/postgres_headers.h"

extern "C" {
#include "access/amapi.h"
#include "nodes/execnodes.h"
#include "utils/rel.h"
}

namespace piramid::pg::ivf {

IndexBuildResult* build(Relation heap, Relation index, IndexInfo* info);
void build_empty(Relation index);
char* build_phase_name(int64 phase);

}  // namespace piramid::pg::ivf
