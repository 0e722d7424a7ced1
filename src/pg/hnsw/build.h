// Index build (ambuild, ambuildempty) and the build's progress phase names.
#pragma once

#include "pg/postgres_headers.h"

extern "C" {
#include "access/amapi.h"
#include "nodes/execnodes.h"
}

namespace piramid::pg::hnsw {

IndexBuildResult* build(Relation heap, Relation index, IndexInfo* index_info);
void build_empty(Relation index);
char* build_phase_name(int64 phase);

}  // namespace piramid::pg::hnsw
