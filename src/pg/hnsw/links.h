// Reading and rewriting one node's neighbour list, used by inserts and vacuum. Rewrites are optimistic:
// the new list is computed without holding the page lock (it needs other pages), then written only if
// the list is unchanged, with one Generic WAL record.
#pragma once

#include "pg/hnsw/index_shape.h"

#include <vector>

namespace piramid::pg::hnsw {

// Reads node `at`'s level-l list (share lock); false when `at` no longer holds a node with that level.
bool read_links(Relation index, const IndexShape& shape, ItemPointerData at, int level, std::vector<ItemPointerData>* out);

// Writes `replacement` as node `at`'s level-l list if the list still equals `expected`; true if written.
bool write_links(Relation index, const IndexShape& shape, ItemPointerData at, int level,
                 const std::vector<ItemPointerData>& expected, const std::vector<ItemPointerData>& replacement);

}  // namespace piramid::pg::hnsw
