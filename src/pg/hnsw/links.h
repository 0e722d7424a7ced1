// Reading and rewriting one node's neighbour list, used by builds, inserts and vacuum. A list is its
// link TIDs plus the navigation code of each linked node (nav.h); both always change together. Rewrites
// are optimistic: the new list is computed without holding the page lock (it needs other pages), then
// written only if the list's links are unchanged, with one Generic WAL record.
#pragma once

#include "pg/hnsw/index_shape.h"

#include <vector>

namespace piramid::pg::hnsw {

struct LinkList {
  std::vector<ItemPointerData> tids;
  std::vector<uint8> nav;  // tids.size() x layout.nav_code_bytes() bytes, in link order

  void clear() {
    tids.clear();
    nav.clear();
  }
  void add(ItemPointerData tid, const uint8* nav_code, size_t nav_code_bytes) {
    tids.push_back(tid);
    nav.insert(nav.end(), nav_code, nav_code + nav_code_bytes);
  }
};

// Copies a node tuple's level-l list out of / into plain memory (no Postgres calls). copy_list_in keeps
// at most the level's capacity and clears unused navigation slots.
void copy_list_out(const NodeView& view, int level, LinkList* out);
void copy_list_in(const NodeView& view, int level, const LinkList& list);

// Reads node `at`'s level-l list (share lock); false when `at` no longer holds a node with that level.
bool read_links(Relation index, const IndexShape& shape, ItemPointerData at, int level, LinkList* out);

// Writes `replacement` as node `at`'s level-l list if its links still equal `expected`; true if written.
bool write_links(Relation index, const IndexShape& shape, ItemPointerData at, int level,
                 const std::vector<ItemPointerData>& expected, const LinkList& replacement);

}  // namespace piramid::pg::hnsw
