// An HNSW graph held in memory, built by several threads at once. It keeps, per node, its level and its
// neighbour lists (level 0 holds up to 2m links, higher levels m), and reads codes from a CodeStore. A
// build fills the CodeStore first, then inserts every node; the glue then writes the graph to pages.
#pragma once

#include "piramid/hnsw/search.h"
#include "piramid/hnsw/space.h"
#include "piramid/interrupt.h"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

namespace piramid::hnsw {

// Node codes by node number: fixed-size codes in one array, or variable-size codes (sparse) in an arena.
class CodeStore {
 public:
  explicit CodeStore(size_t code_size) : code_size_(code_size) {}

  size_t size() const { return code_size_ ? bytes_.size() / code_size_ : offsets_.size(); }
  size_t code_size() const { return code_size_; }
  void reserve(size_t nodes, size_t bytes_per_node);
  // Appends a code of `length` bytes (length must equal code_size() for fixed-size codes); returns it.
  uint8_t* append(size_t length);
  const uint8_t* code(uint32_t id) const {
    return bytes_.data() + (code_size_ ? static_cast<size_t>(id) * code_size_ : offsets_[id]);
  }
  size_t memory_bytes() const { return bytes_.capacity() + offsets_.capacity() * sizeof(size_t); }

 private:
  size_t code_size_;
  std::vector<uint8_t> bytes_;
  std::vector<size_t> offsets_;
};

struct GraphParams {
  int m = 16;                // links per node on upper levels; level 0 holds 2m
  int ef_construction = 64;  // candidates considered when linking a new node
  int max_level = 30;        // levels above this are clamped (a node's lists must fit one page)
};

// The level of a new node: floor(-ln(U) / ln(m)) for a uniform U derived from (seed, id), so a build is
// reproducible regardless of thread scheduling.
int random_level(uint64_t seed, uint64_t id, int m);

class Graph {
 public:
  Graph(const Space& space, const CodeStore& codes, GraphParams params, uint64_t seed);

  // Inserts nodes [0, codes.size()) using `threads` threads; calls progress(done) now and then from the
  // calling thread. Throws Interrupted when `interrupt` fires. Afterwards every node is reachable at
  // level 0 from the entry point.
  void build(int threads, const InterruptCheck& interrupt, const std::function<void(size_t done)>& progress);

  size_t size() const { return levels_.size(); }
  int m() const { return params_.m; }
  int level(uint32_t id) const { return levels_[id]; }
  int max_level() const { return max_level_; }
  uint32_t entry_point() const { return entry_; }
  size_t capacity(int level) const { return level == 0 ? 2 * static_cast<size_t>(params_.m) : params_.m; }
  // Neighbour list of id at level (valid after build()).
  std::vector<uint32_t> links(uint32_t id, int level) const;
  // The same without allocating: *count links starting at the returned pointer.
  const uint32_t* link_data(uint32_t id, int level, size_t* count) const {
    const uint32_t* block = link_block(id, level);
    *count = block[0];
    return block + 1;
  }

  // Approximate nearest neighbours of a query (tests and tools): (distance key, node) nearest first.
  std::vector<Candidate<uint32_t>> search(const QueryDistance& query, size_t k, size_t ef) const;

  size_t memory_bytes() const;
  // Bytes a graph of n nodes needs (excluding codes), for memory budgets before building.
  static size_t estimate_bytes(size_t n, int m);

 private:
  friend class GraphReader;
  void insert(uint32_t id, std::vector<uint32_t>& visit_marks, uint32_t& epoch);
  uint32_t* link_block(uint32_t id, int level);  // [count, ids...]
  const uint32_t* link_block(uint32_t id, int level) const;
  std::mutex& lock_for(uint32_t id) { return locks_[id % locks_.size()]; }
  void connect(uint32_t id, int level, const std::vector<Candidate<uint32_t>>& chosen);
  void link_orphans();
  // Makes every node reachable at level 0 from the entry point (see graph.cpp). Returns the nodes linked.
  size_t link_islands();
  // Asks the CPU for every cache line of these nodes' codes (see GraphReader::prefetch).
  void prefetch_codes(const uint32_t* ids, size_t n) const;

  const Space& space_;
  const CodeStore& codes_;
  GraphParams params_;
  uint64_t seed_;
  std::vector<uint8_t> levels_;
  std::vector<uint32_t> level0_;                 // size() x (1 + 2m)
  std::vector<std::vector<uint32_t>> upper_;     // per node: levels 1..L, each (1 + m)
  std::vector<std::mutex> locks_;                // striped per-node locks
  std::mutex entry_lock_;
  uint32_t entry_ = 0;
  int max_level_ = -1;
};

}  // namespace piramid::hnsw
