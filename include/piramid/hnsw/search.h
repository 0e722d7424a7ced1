// The HNSW search algorithms, written once over a "reader": search_layer and greedy_step_layer run the
// in-memory graph of a build (precise distances), BeamSearch runs index pages (navigation estimates).
//
// A Reader provides:
//   using Id = ...;                                    node identifier (copyable, hashable by the reader)
//   bool visit(Id id);                                 marks id visited; false if it already was
//   float distance(Id id);                             distance key from the current query to id
//   void neighbors(Id id, int level, std::vector<Id>& out);   copies id's neighbour list at level
//   void prefetch(const Id* ids, size_t n);            hint that these nodes' codes are needed next
//   bool same_value(Id id);                            id holds exactly the value being inserted
//
// Inserting a value that many nodes already hold exactly (re-ingested rows, placeholder embeddings,
// binary codes) must not link it only to those copies: every copy would then link only to copies and the
// group would become an island no search leaves or enters. With `collapse_duplicates`, one copy stands
// for all: the others are still traversed but do not take places among the ef results.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>
#include <queue>
#include <vector>

namespace piramid::hnsw {

template <class Id>
struct Candidate {
  float distance;
  Id id;
};

template <class Id>
struct NearerFirst {
  bool operator()(const Candidate<Id>& a, const Candidate<Id>& b) const { return a.distance > b.distance; }
};
template <class Id>
struct FartherFirst {
  bool operator()(const Candidate<Id>& a, const Candidate<Id>& b) const { return a.distance < b.distance; }
};

// Best-first search of one layer (HNSW's SEARCH-LAYER): the ef nearest nodes reachable from `entries`,
// nearest first. Entries must already be marked visited by the caller.
template <class Reader>
std::vector<Candidate<typename Reader::Id>> search_layer(Reader& reader,
                                                        const std::vector<Candidate<typename Reader::Id>>& entries,
                                                        size_t ef, int level, bool collapse_duplicates = false) {
  using Id = typename Reader::Id;
  std::priority_queue<Candidate<Id>, std::vector<Candidate<Id>>, NearerFirst<Id>> frontier(NearerFirst<Id>(),
                                                                                          entries);
  std::priority_queue<Candidate<Id>, std::vector<Candidate<Id>>, FartherFirst<Id>> found(FartherFirst<Id>(),
                                                                                        entries);
  while (found.size() > ef) found.pop();
  std::vector<Id> links, fresh;
  bool duplicate_found = false;
  if (collapse_duplicates) {
    for (const auto& e : entries) duplicate_found = duplicate_found || reader.same_value(e.id);
  }
  while (!frontier.empty()) {
    const Candidate<Id> current = frontier.top();
    if (found.size() >= ef && current.distance > found.top().distance) break;
    frontier.pop();
    reader.neighbors(current.id, level, links);
    fresh.clear();
    for (const Id& n : links) {
      if (reader.visit(n)) fresh.push_back(n);
    }
    reader.prefetch(fresh.data(), fresh.size());
    for (const Id& n : fresh) {
      const float d = reader.distance(n);
      if (collapse_duplicates && reader.same_value(n)) {
        if (duplicate_found) {
          frontier.push(Candidate<Id>{d, n});  // traversed, not a result
          continue;
        }
        duplicate_found = true;
      }
      if (found.size() < ef || d < found.top().distance) {
        frontier.push(Candidate<Id>{d, n});
        found.push(Candidate<Id>{d, n});
        if (found.size() > ef) found.pop();
      }
    }
  }
  std::vector<Candidate<Id>> out(found.size());
  for (size_t i = out.size(); i-- > 0;) {
    out[i] = found.top();
    found.pop();
  }
  return out;
}

// Greedy descent through one upper layer: moves to a nearer neighbour while there is one.
template <class Reader>
Candidate<typename Reader::Id> greedy_step_layer(Reader& reader, Candidate<typename Reader::Id> current, int level) {
  using Id = typename Reader::Id;
  std::vector<Id> links;
  for (bool moved = true; moved;) {
    moved = false;
    reader.neighbors(current.id, level, links);
    for (const Id& n : links) {
      const float d = reader.distance(n);
      if (d < current.distance) {
        current = Candidate<Id>{d, n};
        moved = true;
      }
    }
  }
  return current;
}

// HNSW's neighbour-selection heuristic: walks the candidates nearest first (sorted by distance to the
// base node) and keeps one only if it is nearer to the base than to every node already kept, which
// spreads links over directions. `between(a, b)` is the distance key between two candidates.
template <class Id, class Between>
std::vector<Candidate<Id>> select_neighbors(const std::vector<Candidate<Id>>& sorted_candidates, size_t max_links,
                                            Between&& between, bool keep_pruned = false) {
  std::vector<Candidate<Id>> kept, pruned;
  kept.reserve(max_links);
  for (const Candidate<Id>& c : sorted_candidates) {
    if (kept.size() >= max_links) break;
    bool diverse = true;
    for (const Candidate<Id>& k : kept) {
      if (between(c.id, k.id) < c.distance) {
        diverse = false;
        break;
      }
    }
    if (diverse) kept.push_back(c);
    else if (keep_pruned) pruned.push_back(c);
  }
  for (size_t i = 0; i < pruned.size() && kept.size() < max_links; ++i) kept.push_back(pruned[i]);
  return kept;
}

}  // namespace piramid::hnsw

namespace piramid::hnsw {

// Beam search for graphs whose neighbour lists carry approximate (navigation) distances, as index pages
// do (the in-memory build uses search_layer above, where every distance is precise): reading one node
// yields its precise distance and approximate distances to all its neighbours, so
// only the nodes worth expanding are read. The ef nodes nearest by precise distance among the expanded
// ones are the result; a candidate is expanded while its approximate distance, corrected by how far
// estimates have been off so far in this search, beats the ef-th best precise one. The correction adapts
// to the data: where estimates are coarse compared with the distances that separate neighbours (tight
// clusters), the search expands more; where they are sharp, it expands little. Resumable: run() again with a
// larger ef continues where the last run stopped (iterative scans), reconsidering the candidates that were
// not worth expanding at the smaller ef.
//
// A Reader provides:
//   using Id = ...;
//   bool visit(Id id);                  marks id visited; false if it already was
//   bool expand(Id id, int level, float* precise, std::vector<Candidate<Id>>& fresh);
//       reads node id: *precise gets its distance key; fresh gets its neighbours at `level` that were not
//       visited yet (the reader marks them) with approximate keys. False when id holds no node.
//   void prefetch(Id id);               hint: id is likely the next node expanded
//   void prefetch_soon(Id id);          hint: id is likely expanded after that one (a cheaper, earlier
//                                       hint, e.g. for what the next prefetch will read)
//   bool same_value(Id id);             the node expanded last holds exactly the value being inserted
//       (collapse_duplicates, see search_layer)
template <class Reader>
class BeamSearch {
 public:
  using Id = typename Reader::Id;
  using Entry = Candidate<Id>;

  BeamSearch(Reader& reader, int level, bool collapse_duplicates = false)
      : reader_(reader), level_(level), collapse_(collapse_duplicates) {}

  // Starts over on `level` with no seeds and nothing expanded, keeping the memory the containers hold
  // (a descent runs one search per level; growing fresh containers each time cost a few dozen
  // allocations per scan).
  void restart(int level) {
    level_ = level;
    duplicate_found_ = false;
    frontier_.clear();
    results_.clear();
    bound_.clear();
    distances_.clear();
    deferred_.clear();
    fresh_.clear();
    seeds_.clear();
    expanded_ = 0;
    error_count_ = 0;
    error_sum_ = error_squares_ = 0;
  }

  // Sizes the containers for a search expected to expand about `expansions` nodes.
  void reserve(size_t expansions) {
    frontier_.reserve(expansions * 8);
    results_.reserve(expansions);
    bound_.reserve(expansions);
    distances_.reserve(expansions);
    deferred_.reserve(expansions * 4);
    fresh_.reserve(64);
  }

  // Adds a starting node with an estimate of its distance (the caller has marked it visited).
  void seed(const Entry& e) {
    frontier_.push(e);
    seeds_.push_back(e.id);
  }

  // Expands candidates until none can improve the ef nearest expanded nodes. Returns false when
  // max_expanded stopped the search early.
  bool run(size_t ef, size_t max_expanded) {
    rebuild_bound(ef);
    while (!deferred_.empty()) {
      frontier_.push(deferred_.back());
      deferred_.pop_back();
    }
    while (!frontier_.empty()) {
      const Entry current = frontier_.top();
      const float slack = estimate_slack();
      if (bound_.size() >= ef && current.distance - slack > bound_.top()) break;
      if (expanded_ >= max_expanded) return false;
      frontier_.pop();
      const Id predicted = prefetch_next();
      float precise = 0;
      fresh_.clear();
      if (!reader_.expand(current.id, level_, &precise, fresh_)) continue;
      ++expanded_;
      if (std::find(seeds_.begin(), seeds_.end(), current.id) == seeds_.end()) {
        const double error = static_cast<double>(current.distance) - precise;  // estimate minus truth
        ++error_count_;
        error_sum_ += error;
        error_squares_ += error * error;
      }
      bool result = true;
      if (collapse_ && reader_.same_value(current.id)) {
        result = !duplicate_found_;  // later copies are traversed only
        duplicate_found_ = true;
      }
      if (!result) {
        for (const Entry& e : fresh_) frontier_.push(e);
        continue;
      }
      results_.push(Entry{precise, current.id});
      distances_.push_back(precise);
      if (bound_.size() < ef || precise < bound_.top()) {
        bound_.push(precise);
        if (bound_.size() > ef) bound_.pop();
      }
      const float admit = estimate_slack();
      for (const Entry& e : fresh_) {
        if (bound_.size() < ef || e.distance - admit < bound_.top()) frontier_.push(e);
        else deferred_.push_back(e);
      }
      // About a third of the time a neighbour just found beats the candidate prefetched above: ask for
      // it now, so its memory arrives while the loop decides, instead of one miss after another later.
      if (!frontier_.empty() && frontier_.top().id != predicted) prefetch_next();
    }
    return true;
  }

  // Removes and returns up to n expanded nodes, nearest first by precise distance, not taken before.
  std::vector<Entry> take(size_t n) {
    std::vector<Entry> out;
    out.reserve(std::min(n, results_.size()));
    while (out.size() < n && !results_.empty()) {
      out.push_back(results_.top());
      results_.pop();
    }
    return out;
  }

  size_t expanded_count() const { return expanded_; }
  // Expanded nodes not taken yet, and candidates not expanded yet (waiting for a larger ef).
  size_t pending_results() const { return results_.size(); }
  size_t frontier_size() const { return frontier_.size() + deferred_.size(); }
  size_t memory_bytes() const {
    return (results_.size() + deferred_.size() + frontier_.size()) * sizeof(Entry) + distances_.size() * sizeof(float);
  }

 private:
  // Hints the reader about the candidate on top (the next one expanded unless a fresher one beats it)
  // and the one after it; returns the top's id (Id{} when the frontier is empty).
  Id prefetch_next() {
    if (frontier_.empty()) return Id{};
    reader_.prefetch(frontier_.top().id);
    if (const Entry* after = frontier_.second()) reader_.prefetch_soon(after->id);
    return frontier_.top().id;
  }

  // How much an estimate may exceed the truth and the node still be worth expanding: the mean error of
  // the estimates seen so far plus one standard deviation (nothing until a few have been seen).
  float estimate_slack() const {
    if (error_count_ < kMinErrorSamples) return 0.0f;
    const double mean = error_sum_ / error_count_;
    const double variance = std::max(0.0, error_squares_ / error_count_ - mean * mean);
    return static_cast<float>(mean + std::sqrt(variance));
  }

  void rebuild_bound(size_t ef) {
    bound_.clear();
    for (float d : distances_) {
      if (bound_.size() < ef) bound_.push(d);
      else if (d < bound_.top()) {
        bound_.pop();
        bound_.push(d);
      }
    }
  }

  Reader& reader_;
  int level_;
  bool collapse_;
  bool duplicate_found_ = false;
  // A priority queue whose storage can be emptied and reserved.
  template <class T, class Compare>
  struct Heap : std::priority_queue<T, std::vector<T>, Compare> {
    void clear() { this->c.clear(); }
    void reserve(size_t n) { this->c.reserve(n); }
  };
  // One that also shows its second entry (the better child of the root).
  struct Frontier : Heap<Entry, NearerFirst<Id>> {
    const Entry* second() const {
      const auto& heap = this->c;
      if (heap.size() < 2) return nullptr;
      if (heap.size() == 2 || this->comp(heap[2], heap[1])) return &heap[1];
      return &heap[2];
    }
  };
  Frontier frontier_;  // by approximate distance
  Heap<Entry, NearerFirst<Id>> results_;  // expanded, by precise distance
  Heap<float, std::less<float>> bound_;
  std::vector<float> distances_;
  std::vector<Entry> deferred_;
  std::vector<Entry> fresh_;
  std::vector<Id> seeds_;  // their distances are not estimates: kept out of the error statistics
  size_t expanded_ = 0;
  static constexpr size_t kMinErrorSamples = 8;
  size_t error_count_ = 0;
  double error_sum_ = 0, error_squares_ = 0;
};

}  // namespace piramid::hnsw
