// Distance kernels over f32, f16 and bit vectors. Every kernel has a scalar, an AVX2 (with FMA and F16C)
// and an AVX-512 variant; the best one the CPU supports is chosen once, at run time, so one binary runs
// on every x86-64 CPU (and the scalar code everywhere else).
#pragma once

#include <cstddef>
#include <cstdint>

namespace piramid {

// Sums that a cosine distance is made of, gathered in one pass.
struct CosineParts {
  float dot;
  float norm_a;  // sum of a[i]^2
  float norm_b;  // sum of b[i]^2
};

// Population counts that a Jaccard distance is made of.
struct BitCounts {
  uint64_t both;    // popcount(a & b)
  uint64_t either;  // popcount(a | b)
};

enum class SimdLevel { kScalar = 0, kAvx2 = 1, kAvx512 = 2 };

// One implementation of every kernel for one SIMD level. Lengths are in elements (bytes for bits); inputs
// need no alignment.
struct DistanceKernels {
  SimdLevel level;
  const char* name;

  float (*l2sq_f32)(const float* a, const float* b, size_t n);
  float (*dot_f32)(const float* a, const float* b, size_t n);
  float (*l1_f32)(const float* a, const float* b, size_t n);
  CosineParts (*cosine_f32)(const float* a, const float* b, size_t n);

  float (*l2sq_f16)(const uint16_t* a, const uint16_t* b, size_t n);
  float (*dot_f16)(const uint16_t* a, const uint16_t* b, size_t n);
  float (*l1_f16)(const uint16_t* a, const uint16_t* b, size_t n);
  CosineParts (*cosine_f16)(const uint16_t* a, const uint16_t* b, size_t n);

  uint64_t (*hamming)(const uint8_t* a, const uint8_t* b, size_t nbytes);
  BitCounts (*bit_counts)(const uint8_t* a, const uint8_t* b, size_t nbytes);

  // 8-bit codes (scalar quantization): exact integer results. n <= 32768 keeps every sum in range.
  uint32_t (*l2sq_u8)(const uint8_t* a, const uint8_t* b, size_t n);  // sum (a-b)^2
  uint32_t (*l1_u8)(const uint8_t* a, const uint8_t* b, size_t n);    // sum |a-b|
  uint32_t (*dot_u8)(const uint8_t* a, const uint8_t* b, size_t n);   // sum a*b
  // sum c*q for 8-bit codes c and 16-bit query weights q; the caller keeps sum |q| * 255 below 2^31.
  int32_t (*dot_u8_i16)(const uint8_t* c, const int16_t* q, size_t n);

  // 4-bit product-quantization "fast scan" over a block of 32 codes. `lut` holds m_even x 16 uint8 table
  // entries (subspace-major); `block` holds m_even rows of 16 bytes: in row s, byte t packs the sub-code of
  // entry t (low nibble) and of entry t + 16 (high nibble). out[j] = sum over s of lut[s * 16 + code_j[s]].
  // m_even must be even and at most 256.
  void (*pq4_scan32)(const uint8_t* lut, const uint8_t* block, size_t m_even, uint16_t* out);

  // 8-bit scalar-quantization decode: out[i] = offsets[i] + step * code[i], rounded exactly as that
  // expression is in scalar C++ (a product, then a sum: no fused multiply-add), in every variant.
  void (*sq8_decode)(const uint8_t* code, const float* offsets, float step, size_t n, float* out);

  // One float32 query against `count` binary16 rows of n elements each (row r at rows + r * n):
  // out[r] = sum q[i] * row_r[i]. Each row is widened once and the query is read once per four rows.
  void (*dots_f16)(const float* q, const uint16_t* rows, size_t count, size_t n, float* out);
};

// The kernels of the best level this CPU supports (decided once, thread-safe).
const DistanceKernels& kernels();

// The kernels of one level, or nullptr when this CPU (or this build) cannot run it. For tests and benchmarks.
const DistanceKernels* kernels_for(SimdLevel level);

// The level kernels() uses; PIRAMID_SIMD=scalar|avx2|avx512 in the environment caps it (for testing).
SimdLevel best_simd_level();

const char* simd_level_name(SimdLevel level);

// Whether SIMD code outside the kernel tables (PQ tables and scans) may use AVX2: the CPU has it and
// PIRAMID_SIMD does not cap the level below it.
bool avx2_allowed();

namespace detail {
// Tables of each translation unit; nullptr where the build has no such code (not x86).
const DistanceKernels* scalar_kernels();
const DistanceKernels* avx2_kernels();
const DistanceKernels* avx512_kernels(bool with_vpopcntdq);
}  // namespace detail

}  // namespace piramid
