// How an HNSW graph measures distance. Every node carries a "code": a compact search representation of
// its vector. For float and half vectors it is an 8-bit scalar-quantized code (exact integer SIMD
// arithmetic, a quarter of the float size); for bit strings it is the bits themselves; for sparse vectors
// the sparse vector itself. A Space encodes vectors into codes, compares two codes (graph construction),
// and prepares queries. Distance keys are "smaller is closer": squared L2, negative inner product
// (cosine works on normalized vectors as inner product), L1, Hamming, Jaccard.
#pragma once

#include "piramid/metric.h"
#include "piramid/sq8.h"

#include <cstddef>
#include <cstdint>
#include <memory>

namespace piramid::hnsw {

// Distances from one prepared query to codes.
class QueryDistance {
 public:
  virtual ~QueryDistance() = default;
  virtual float operator()(const uint8_t* code) const = 0;
};

class Space {
 public:
  virtual ~Space() = default;

  Metric metric() const { return metric_; }
  // Bytes per code; 0 when codes have variable length (sparse), see code_length().
  virtual size_t code_size() const = 0;
  virtual size_t code_length(const uint8_t* /*code*/) const { return code_size(); }
  // Whether code distances equal exact distances (no re-ranking needed).
  virtual bool codes_are_exact() const = 0;

  // Distance key between two codes.
  virtual float between(const uint8_t* a, const uint8_t* b) const = 0;

  // For fixed-size codes: encodes an input value (floats for dense spaces, bytes for bits) into code.
  // Returns true when the code represents the value exactly.
  virtual bool encode(const void* value, uint8_t* code) const = 0;

  // Dense spaces: the vector a code stands for (dims floats). Returns false for other spaces.
  virtual bool decode(const uint8_t* /*code*/, float* /*out*/) const { return false; }

  // Prepares a query given as an input value (same form as encode()).
  virtual std::unique_ptr<QueryDistance> prepare(const void* value) const = 0;

 protected:
  explicit Space(Metric metric) : metric_(metric) {}

 private:
  Metric metric_;
};

// Dense vectors through 8-bit codes. For inner product (and cosine) each code carries 4 extra bytes: the
// float sum offset[i] * code[i], so code-to-code inner products stay integer arithmetic.
std::unique_ptr<Space> make_sq8_space(Metric metric, Sq8Quantizer quantizer);

// Dense float vectors compared exactly (codes are the floats themselves).
std::unique_ptr<Space> make_float_space(Metric metric, size_t dims);

// Bit strings of nbytes bytes, Hamming or Jaccard; codes are the bits, so distances are exact.
std::unique_ptr<Space> make_bit_space(Metric metric, size_t nbytes);

// Sparse vectors; a code is int32 nnz, int32 indices[nnz], float values[nnz]. encode() is not used:
// callers build codes with sparse_code_size()/write_sparse_code().
std::unique_ptr<Space> make_sparse_space(Metric metric);
size_t sparse_code_size(int32_t nnz);
void write_sparse_code(int32_t nnz, const int32_t* indices, const float* values, uint8_t* code);

}  // namespace piramid::hnsw
