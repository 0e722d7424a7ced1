#include "pg/hnsw/graph_search.h"

#include "piramid/hnsw/nav.h"

namespace piramid::pg::hnsw {

GraphCandidate descend(PageReader& reader, ItemPointerData entry, int entry_level, int stop) {
  GraphCandidate current{0, tid_key(entry)};
  piramid::hnsw::BeamSearch<PageReader> greedy(reader, entry_level);
  greedy.reserve(8);  // a few expansions per level
  for (int l = entry_level; l > stop; --l) {
    reader.reset_visited(256);
    reader.visit(current.id);
    greedy.restart(l);
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
  piramid::hnsw::BeamSearch<PageReader> search(reader, top, collapse_duplicates);
  search.reserve(ef * 2);
  for (int l = top; l >= bottom; --l) {
    reader.reset_visited(1024);
    search.restart(l);
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

CodeQuery prepare_code_query(const IndexShape& shape, const std::vector<uint8>& code) {
  CodeQuery out;
  if (shape.code_kind == CodeKind::kSq8 || shape.code_kind == CodeKind::kFloat) {
    out.dense.resize(static_cast<size_t>(shape.dims));
    if (shape.code_kind == CodeKind::kSq8) shape.space->decode(code.data(), out.dense.data());
    else memcpy(out.dense.data(), code.data(), out.dense.size() * sizeof(float));
    out.query = shape.space->prepare(out.dense.data());
    if (shape.nav != nullptr) out.table = shape.nav->table(out.dense.data(), shape.metric);
  } else {
    out.query = shape.space->prepare(code.data());
  }
  return out;
}

// Vacuum's repairs use it for candidates beyond the deleted nodes' own neighbours, so a list that lost its
// neighbourhood finds a new one in the same region (pgvector re-searches too).
std::vector<PageReader::Id> search_near(const IndexShape& shape, PageReader& reader, const MetaPage& meta,
                                        const std::vector<uint8>& code, int level) {
  if (!ItemPointerIsValid(&meta.entry) || meta.entry_level < level || code.empty()) return {};
  const CodeQuery q = prepare_code_query(shape, code);
  reader.set_query(q.query.get(), &q.table);
  const GraphCandidate start = descend(reader, meta.entry, meta.entry_level, level);
  const auto found = search_levels(reader, start, level, level, static_cast<size_t>(shape.ef_construction), false);
  reader.set_query(nullptr, nullptr);
  std::vector<PageReader::Id> out;
  for (const GraphCandidate& c : found[0]) out.push_back(c.id);
  return out;
}

}  // namespace piramid::pg::hnsw
