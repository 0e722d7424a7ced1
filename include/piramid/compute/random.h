// A seeded random generator specified bit for bit (SplitMix64), so the CPU backend, the GPU backend's
// host code and every platform draw the same numbers from the same seed. std::uniform_*_distribution is
// implementation-defined and would break "same seed, same centroids" across standard libraries.
#pragma once

#include <cstdint>

namespace piramid {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}

  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }

  // Uniform in [0, n) for n > 0; the modulo bias is below 2^-40 for any n we use (n < 2^24 typically).
  uint64_t below(uint64_t n) { return next() % n; }

 private:
  uint64_t state_;
};

// A seed for sub-problem `index` (one PQ subspace, one trial) derived from a base seed, so sub-problems
// are independent of each other and of the order they run in.
inline uint64_t derive_seed(uint64_t seed, uint64_t index) {
  SplitMix64 mix(seed ^ (0x5851f42d4c957f2dull * (index + 1)));
  return mix.next();
}

}  // namespace piramid
