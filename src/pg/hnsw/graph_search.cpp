#include "pg/hnsw/graph_search.h"

namespace piramid::pg::hnsw {

GraphCandidate descend(PageReader& reader, ItemPointerData entry, int entry_level, int stop) {
  GraphCandidate current{0, tid_key(entry)};
  for (int l = entry_level; l > stop; --l) {
    reader.reset_visited(256);
    reader.visit(current.id);
    piramid::hnsw::BeamSearch<PageReader> greedy(reader, l);
    greedy.seed(current);
    greedy.run(1, SIZE_MAX);
    const std::vector<GraphCandidate> best = greedy.take(1);
    if (!best.empty()) current = best[0];
  }
  return current;
}

std::vector<std::vector<GraphCandidate>> search_levels(PageReader& reader, GraphCandidate start, int top, int bottom,
                                                       size_t ef, bool collapse_duplicates) {
  std::vector<std::vector<GraphCandidate>> out(static_cast<size_t>(std::max(0, top - bottom + 1)));
  std::vector<GraphCandidate> entries{start};
  for (int l = top; l >= bottom; --l) {
    reader.reset_visited(1024);
    piramid::hnsw::BeamSearch<PageReader> search(reader, l, collapse_duplicates);
    for (const GraphCandidate& c : entries) {
      if (reader.visit(c.id)) search.seed(c);
    }
    search.run(ef, SIZE_MAX);
    std::vector<GraphCandidate>& found = out[static_cast<size_t>(l - bottom)];
    found = search.take(ef);
    if (!found.empty()) entries = found;
  }
  return out;
}

}  // namespace piramid::pg::hnsw
