// The hnsw checker behind piramid_index_check(regclass).
#pragma once

#include "pg/postgres_headers.h"

extern "C" {
#include "lib/stringinfo.h"
#include "utils/rel.h"
}

namespace piramid::pg::hnsw {

void check_index(Relation index, Relation heap, StringInfo report);

}  // namespace piramid::pg::hnsw
