// A set of 64-bit keys (non-zero) with open addressing: the "visited" set of a graph search over pages,
// where node ids are tuple addresses rather than dense numbers.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace piramid {

class VisitedSet {
 public:
  explicit VisitedSet(size_t expected = 1024) { reset(expected); }

  // Empties the set, sized for `expected` keys. Memory is kept across resets and growths (two tables
  // swap roles), so a set reused by many searches stops allocating once warm.
  void reset(size_t expected) {
    size_t capacity = 64;
    while (capacity < expected * 2) capacity <<= 1;
    slots_.assign(capacity, 0);
    size_ = 0;
  }

  size_t size() const { return size_; }
  size_t memory_bytes() const { return slots_.capacity() * sizeof(uint64_t); }

  // Inserts key; returns false when it was already present. key must not be 0.
  bool insert(uint64_t key) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    return place(slots_, key);
  }

  bool contains(uint64_t key) const {
    const size_t mask = slots_.size() - 1;
    for (size_t i = hash(key) & mask;; i = (i + 1) & mask) {
      if (slots_[i] == key) return true;
      if (slots_[i] == 0) return false;
    }
  }

 private:
  static size_t hash(uint64_t key) {
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdull;
    key ^= key >> 33;
    return static_cast<size_t>(key);
  }

  bool place(std::vector<uint64_t>& slots, uint64_t key) {
    const size_t mask = slots.size() - 1;
    for (size_t i = hash(key) & mask;; i = (i + 1) & mask) {
      if (slots[i] == key) return false;
      if (slots[i] == 0) {
        slots[i] = key;
        ++size_;
        return true;
      }
    }
  }

  void grow() {
    spare_.assign(slots_.size() * 2, 0);
    size_ = 0;
    for (uint64_t key : slots_) {
      if (key != 0) place(spare_, key);
    }
    slots_.swap(spare_);
  }

  std::vector<uint64_t> slots_;
  std::vector<uint64_t> spare_;
  size_t size_ = 0;
};

}  // namespace piramid
