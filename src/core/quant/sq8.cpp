#include "piramid/sq8.h"

#include "piramid/distance.h"
#include "piramid/error.h"

#include <algorithm>
#include <cmath>

namespace piramid {

Sq8Quantizer::Sq8Quantizer(std::vector<float> offsets, float step) : offsets_(std::move(offsets)), step_(step) {
  if (!(step_ > 0.0f) || !std::isfinite(step_))
    throw Error(ErrorKind::kIndexCorrupted, "invalid scalar quantizer step");
  double sum = 0.0;
  for (float o : offsets_) sum += double(o) * o;
  offset_norm_sq_ = static_cast<float>(sum);
}

Sq8Quantizer Sq8Quantizer::train(const float* vectors, size_t n, size_t dims) {
  std::vector<float> lo(dims, 0.0f), hi(dims, 0.0f);
  bool integers = n > 0;
  for (size_t d = 0; d < dims; ++d) {
    float mn = n > 0 ? vectors[d] : 0.0f, mx = mn;
    for (size_t i = 0; i < n; ++i) {
      const float x = vectors[i * dims + d];
      mn = std::min(mn, x);
      mx = std::max(mx, x);
      integers = integers && x == std::nearbyint(x);
    }
    lo[d] = mn;
    hi[d] = mx;
  }
  float widest = 0.0f;
  for (size_t d = 0; d < dims; ++d) widest = std::max(widest, hi[d] - lo[d]);
  if (integers && widest <= 255.0f) return Sq8Quantizer(std::move(lo), 1.0f);
  float step = widest / 255.0f;
  if (!(step > 0.0f) || !std::isfinite(step)) step = 1.0f;  // constant data, or a range float cannot hold
  return Sq8Quantizer(std::move(lo), step);
}

bool Sq8Quantizer::encode(const float* x, uint8_t* code) const {
  // Clamped to [0, 255] first, then rounded to nearest (ties to even, as nearbyint in the default mode)
  // by adding and taking away 1.5 * 2^23: no libm call per element, and the loop vectorizes (a query is
  // encoded on every scan).
  constexpr float kRound = 12582912.0f;
  const float inverse = 1.0f / step_;
  const float* offsets = offsets_.data();
  const size_t n = offsets_.size();
  unsigned off_grid = 0;
  for (size_t d = 0; d < n; ++d) {
    const float scaled = std::min(255.0f, std::max(0.0f, (x[d] - offsets[d]) * inverse));
    const float c = (scaled + kRound) - kRound;
    code[d] = static_cast<uint8_t>(c);
    off_grid |= static_cast<unsigned>(offsets[d] + step_ * c != x[d]);
  }
  return off_grid == 0;
}

void Sq8Quantizer::decode(const uint8_t* code, float* x) const {
  kernels().sq8_decode(code, offsets_.data(), step_, offsets_.size(), x);
}

float Sq8Quantizer::offset_dot(const uint8_t* code) const {
  float sum = 0.0f;
  for (size_t d = 0; d < offsets_.size(); ++d) sum += offsets_[d] * static_cast<float>(code[d]);
  return sum;
}

}  // namespace piramid
