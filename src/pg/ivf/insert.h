// Inserting one row into an ivf index.
#pragma once

#include "pg/postgres_headers.h"

extern "C" {
#include "utils/rel.h"
}

namespace piramid::pg::ivf {

void insert_value(Relation index, Datum value, ItemPointer heap_tid);

}  // namespace piramid::pg::ivf
