// Searching an hnsw index's graph on pages, shared by scans, inserts and vacuum's repairs: a greedy
// descent (a beam of one) through the upper levels, then beam searches level by level.
#pragma once

#include "pg/hnsw/page_reader.h"
#include "piramid/hnsw/search.h"

#include <vector>

namespace piramid::pg::hnsw {

using GraphCandidate = piramid::hnsw::Candidate<PageReader::Id>;

// From the entry point on entry_level down to level `stop` + 1: the node to start level `stop` from.
GraphCandidate descend(PageReader& reader, ItemPointerData entry, int entry_level, int stop);

// For each level from `top` down to `bottom`: the ef nearest nodes (precise distances, nearest first),
// each level seeded with the level above's results. out[l - bottom] holds level l's.
std::vector<std::vector<GraphCandidate>> search_levels(PageReader& reader, GraphCandidate start, int top, int bottom,
                                                       size_t ef, bool collapse_duplicates);

}  // namespace piramid::pg::hnsw
