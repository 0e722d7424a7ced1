// Single-row insertion into an hnsw index on pages (aminsert, and rows a build could not hold in memory).
#pragma once

#include "pg/postgres_headers.h"

extern "C" {
#include "utils/rel.h"
}

namespace piramid::pg::hnsw {

// Inserts `value` for heap row `heap_tid`, WAL-logging every page change with Generic WAL.
void insert_value(Relation index, Datum value, ItemPointer heap_tid);

}  // namespace piramid::pg::hnsw
