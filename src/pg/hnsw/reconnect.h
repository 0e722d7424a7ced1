// Vacuum's reconnection of live nodes that no level-0 walk from the entry point reaches (reconnect.cpp).
#pragma once

#include "pg/postgres_headers.h"

extern "C" {
#include "storage/bufmgr.h"
#include "utils/rel.h"
}

namespace piramid::pg::hnsw {

// Links every group of live nodes that a walk along level-0 links from the entry point does not reach
// from the nearest node it does reach. Returns the number of links added. Plain glue.
size_t reconnect(Relation index, BufferAccessStrategy strategy);

}  // namespace piramid::pg::hnsw
