// 8-bit scalar quantization: x[i] ~ offset[i] + step * code[i], with a per-dimension offset and one step
// for all dimensions. One step keeps every distance an integer computation on the codes (offsets cancel
// in L2 and L1), which the SIMD kernels do exactly. Values on the quantization grid are encoded
// losslessly; data that is integer-valued with a per-dimension range of at most 255 (pixels, SIFT, int8
// embeddings) is placed on such a grid by train().
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace piramid {

class Sq8Quantizer {
 public:
  Sq8Quantizer() = default;
  Sq8Quantizer(std::vector<float> offsets, float step);

  // Learns offsets and step from n vectors of `dims` floats (row-major).
  static Sq8Quantizer train(const float* vectors, size_t n, size_t dims);

  size_t dims() const { return offsets_.size(); }
  float step() const { return step_; }
  const std::vector<float>& offsets() const { return offsets_; }

  // Encodes x into dims() bytes, clamping to the trained range. Returns true when decode() gives back x
  // exactly, bit for bit.
  bool encode(const float* x, uint8_t* code) const;
  void decode(const uint8_t* code, float* x) const;

  // sum offset[i] * code[i]; with offset_norm_sq() it lets inner products between codes stay integer.
  float offset_dot(const uint8_t* code) const;
  float offset_norm_sq() const { return offset_norm_sq_; }

 private:
  std::vector<float> offsets_;
  float step_ = 1.0f;
  float offset_norm_sq_ = 0.0f;
};

}  // namespace piramid
