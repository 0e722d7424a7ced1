// The k smallest (distance, id) pairs seen so far: a bounded max-heap whose top is the worst kept pair.
#pragma once

#include <algorithm>
#include <limits>
#include <cstddef>
#include <utility>
#include <vector>

namespace piramid {

template <class Id>
class TopK {
 public:
  struct Entry {
    float distance;
    Id id;
    bool operator<(const Entry& o) const { return distance < o.distance; }
  };

  explicit TopK(size_t k) : k_(k) { heap_.reserve(k); }

  size_t size() const { return heap_.size(); }
  bool full() const { return heap_.size() >= k_; }
  // The distance a new entry must beat to be kept (infinity until full).
  float bound() const { return full() ? heap_.front().distance : std::numeric_limits<float>::infinity(); }

  // Keeps (distance, id) if it is among the k smallest; returns whether it was kept.
  bool push(float distance, Id id) {
    if (k_ == 0) return false;
    if (!full()) {
      heap_.push_back(Entry{distance, id});
      std::push_heap(heap_.begin(), heap_.end());
      return true;
    }
    if (!(distance < heap_.front().distance)) return false;
    std::pop_heap(heap_.begin(), heap_.end());
    heap_.back() = Entry{distance, id};
    std::push_heap(heap_.begin(), heap_.end());
    return true;
  }

  // The kept entries, nearest first; empties the structure.
  std::vector<Entry> take_sorted() {
    std::sort_heap(heap_.begin(), heap_.end());
    return std::move(heap_);
  }

 private:
  size_t k_;
  std::vector<Entry> heap_;
};

}  // namespace piramid
