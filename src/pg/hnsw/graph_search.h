// Searching an hnsw index's graph on pages, shared by scans, inserts and vacuum's repairs: a greedy
// descent (a beam of one) through the upper levels, then beam searches level by level.
#pragma once

#include "pg/hnsw/page_reader.h"
#include "piramid/hnsw/nav.h"
#include "piramid/hnsw/search.h"

#include <memory>

#include <vector>

namespace piramid::pg::hnsw {

using GraphCandidate = piramid::hnsw::Candidate<PageReader::Id>;

// From the entry point on entry_level down to level `stop` + 1: the node to start level `stop` from.
GraphCandidate descend(PageReader& reader, ItemPointerData entry, int entry_level, int stop);

// For each level from `top` down to `bottom`: the ef nearest nodes (precise distances, nearest first),
// each level seeded with the level above's results. out[l - bottom] holds level l's.
std::vector<std::vector<GraphCandidate>> search_levels(PageReader& reader, GraphCandidate start, int top, int bottom,
                                                       size_t ef, bool collapse_duplicates);

// A query for a node's stored code: the Space's query, and the navigation table when the index has one.
struct CodeQuery {
  std::vector<float> dense;
  std::unique_ptr<piramid::hnsw::QueryDistance> query;
  piramid::hnsw::NavTable table;
};
CodeQuery prepare_code_query(const IndexShape& shape, const std::vector<uint8>& code);

// Nodes near a node's stored `code` at `level` (nearest first), found by searching the graph from the
// meta page's entry point, ef_construction wide. Every node returned was reached along links from the
// entry point. Vacuum's repairs and reconnection use it.
std::vector<PageReader::Id> search_near(const IndexShape& shape, PageReader& reader, const MetaPage& meta,
                                        const std::vector<uint8>& code, int level);

}  // namespace piramid::pg::hnsw
