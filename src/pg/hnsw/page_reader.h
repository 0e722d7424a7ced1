// The search "reader" (piramid/hnsw/search.h) over index pages: the core's beam search calls it to mark
// nodes visited and to expand a node, which reads the node's page once: its precise distance from its
// code, and approximate distances to its neighbours from the navigation codes stored in its list (or,
// in indexes without navigation codes, precise distances read from each neighbour's page). Each access
// pins and share-locks one page inside call_postgres(), so a Postgres error while reading becomes a C++
// exception that unwinds the core's frames (DESIGN.md section 3.2).
#pragma once

#include "pg/hnsw/index_shape.h"
#include "pg/hnsw/pages.h"
#include "piramid/hnsw/search.h"
#include "piramid/visited.h"

#include <memory>
#include <vector>

namespace piramid::pg::hnsw {

// A node's header fields and, on request, a copy of its code.
struct NodeFacts {
  bool valid;  // false: the address does not hold a node (a stale link to a freed slot)
  uint8 level;
  uint8 flags;
  uint16 code_length;
  ItemPointerData heap_tid;
  ItemPointerData chain;
};

// What a scan keeps of each node it expanded, so re-ranking need not read the page again.
struct ExpandedNode {
  NodeFacts facts;
  size_t code_at;  // offset of the copied code in the reader's arena; SIZE_MAX when not copied
};
struct KeptNode {
  uint64 id;
  ExpandedNode node;
};

class PageReader {
 public:
  using Id = uint64;  // tid_key() of a node tuple

  PageReader(Relation index, const IndexShape& shape);
  ~PageReader();
  PageReader(const PageReader&) = delete;
  PageReader& operator=(const PageReader&) = delete;

  // The query's distances; `table` (navigation codes' distances) is required when the index has them.
  void set_query(const piramid::hnsw::QueryDistance* query, const piramid::hnsw::NavTable* table) {
    query_ = query;
    table_ = table;
  }

  bool visit(Id id) { return visited_.insert(id); }
  // Distance key from the query to the node's code; +infinity for an address without a node.
  float distance(Id id);
  bool expand(Id id, int level, float* precise, std::vector<piramid::hnsw::Candidate<Id>>& fresh);
  size_t pages_read() const { return pages_read_; }

  // Scans: keep the facts and fixed-size inline codes of expanded nodes (see expanded()).
  void keep_expanded() { keep_ = true; }
  const ExpandedNode* expanded(Id id) const;
  const uint8* kept_code(const ExpandedNode& e) const { return arena_.data() + e.code_at; }
  size_t kept_bytes() const { return arena_.capacity() + kept_.capacity() * sizeof(KeptNode); }

  // Inserts: the code of the value being inserted, so same_value() can tell copies of it.
  void set_value_code(const std::vector<uint8>* code) { value_code_ = code; }
  bool same_value(Id id) const { return last_same_id_ == id; }

  // Hints that the node will be expanded soon (prefetches its page header when its buffer is known).
  void prefetch(Id id) const;
  // Hints that the node will be expanded after that: asks for the line holding its line pointer, which
  // prefetch() reads to find the node (so that read does not wait on memory).
  void prefetch_soon(Id id) const;

  // The node's header; copies its code into *code and its navigation code into *nav_code when not null.
  NodeFacts read(Id id, std::vector<uint8>* code, std::vector<uint8>* nav_code = nullptr);
  // The full-precision vector stored for re-ranking (vector: float32, halfvec: binary16 bytes).
  void read_chain_bytes(const NodeFacts& facts, size_t offset, size_t length, std::vector<uint8>* out);

  const VisitedSet& visited() const { return visited_; }
  void reset_visited(size_t expected) { visited_.reset(expected); }
  Relation index() const { return index_; }
  const IndexShape& shape() const { return shape_; }

 private:
  // Pins the block (ReadRecentBuffer with the shape's hint, else ReadBuffer). Inside call_postgres only.
  Buffer pin(BlockNumber block) const;

  Relation index_;
  const IndexShape& shape_;
  const piramid::hnsw::QueryDistance* query_ = nullptr;
  const piramid::hnsw::NavTable* table_ = nullptr;
  // The visited set and the arena of kept codes come from a small per-backend pool and go back to it, so
  // a scan reuses the memory of the previous one instead of paging in fresh memory every query.
  struct Pooled {
    VisitedSet visited;
    std::vector<uint8> arena;
    // Expanded nodes in expansion order, sorted by id on the first lookup after an expansion (a scan
    // looks up its few dozen results once, after expanding a hundred or more nodes: cheaper than a
    // hash map's allocation per node).
    std::vector<KeptNode> kept;
  };
  static std::unique_ptr<Pooled> take_pooled();
  std::unique_ptr<Pooled> pooled_;
  VisitedSet& visited_;
  std::vector<uint8>& arena_;
  std::vector<KeptNode>& kept_;
  std::vector<uint8> scratch_;
  std::vector<ItemPointerData> links_;
  std::vector<float> approx_;
  size_t pages_read_ = 0;
  bool keep_ = false;
  const std::vector<uint8>* value_code_ = nullptr;
  Id last_same_id_ = 0;  // the last expanded node, when it holds exactly the value being inserted
  mutable bool kept_sorted_ = true;
};

}  // namespace piramid::pg::hnsw
