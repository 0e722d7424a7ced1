// The search "reader" (piramid/hnsw/search.h) over index pages: the core's search algorithms call it to
// mark nodes visited, compute distances from their codes and copy their neighbour lists. Each access pins
// and share-locks one page inside call_postgres(), so a Postgres error while reading becomes a C++
// exception that unwinds the core's frames (DESIGN.md section 3.2).
#pragma once

#include "pg/hnsw/index_shape.h"
#include "pg/hnsw/pages.h"
#include "piramid/visited.h"

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

class PageReader {
 public:
  using Id = uint64;  // tid_key() of a node tuple

  PageReader(Relation index, const IndexShape& shape) : index_(index), shape_(shape) {}

  void set_query(const piramid::hnsw::QueryDistance* query) { query_ = query; }

  bool visit(Id id) { return visited_.insert(id); }
  // Distance key from the query to the node's code; +infinity for an address without a node.
  float distance(Id id);
  void neighbors(Id id, int level, std::vector<Id>& out);
  void prefetch(const Id*, size_t) {}

  // The node's header; copies its code into *code when code is not null.
  NodeFacts read(Id id, std::vector<uint8>* code);
  // The full-precision vector stored for re-ranking (vector: float32, halfvec: binary16 bytes).
  void read_chain_bytes(const NodeFacts& facts, size_t offset, size_t length, std::vector<uint8>* out);

  const VisitedSet& visited() const { return visited_; }
  void reset_visited(size_t expected) { visited_.reset(expected); }
  Relation index() const { return index_; }
  const IndexShape& shape() const { return shape_; }

 private:
  Relation index_;
  const IndexShape& shape_;
  const piramid::hnsw::QueryDistance* query_ = nullptr;
  VisitedSet visited_;
  std::vector<uint8> scratch_;
};

}  // namespace piramid::pg::hnsw
