// Portable kernels: the reference the SIMD variants are tested against, and the fallback on CPUs without
// AVX2. Plain loops accumulating in float, like the SIMD code, so results differ only by summation order.
#include "piramid/distance.h"
#include "piramid/half.h"

namespace piramid {
namespace {

inline float as_float(float x) { return x; }
inline float as_float(uint16_t h) { return half_to_float(h); }

template <class T>
float l2sq(const T* a, const T* b, size_t n) {
  float sum = 0.0f;
  for (size_t i = 0; i < n; ++i) {
    const float d = as_float(a[i]) - as_float(b[i]);
    sum += d * d;
  }
  return sum;
}

template <class T>
float dot(const T* a, const T* b, size_t n) {
  float sum = 0.0f;
  for (size_t i = 0; i < n; ++i) sum += as_float(a[i]) * as_float(b[i]);
  return sum;
}

template <class T>
float l1(const T* a, const T* b, size_t n) {
  float sum = 0.0f;
  for (size_t i = 0; i < n; ++i) {
    const float d = as_float(a[i]) - as_float(b[i]);
    sum += d < 0 ? -d : d;
  }
  return sum;
}

template <class T>
CosineParts cosine(const T* a, const T* b, size_t n) {
  CosineParts p{0.0f, 0.0f, 0.0f};
  for (size_t i = 0; i < n; ++i) {
    const float x = as_float(a[i]), y = as_float(b[i]);
    p.dot += x * y;
    p.norm_a += x * x;
    p.norm_b += y * y;
  }
  return p;
}

uint64_t hamming(const uint8_t* a, const uint8_t* b, size_t nbytes) {
  uint64_t count = 0;
  for (size_t i = 0; i < nbytes; ++i) count += __builtin_popcount(static_cast<unsigned>(a[i] ^ b[i]));
  return count;
}

BitCounts bit_counts(const uint8_t* a, const uint8_t* b, size_t nbytes) {
  BitCounts c{0, 0};
  for (size_t i = 0; i < nbytes; ++i) {
    c.both += __builtin_popcount(static_cast<unsigned>(a[i] & b[i]));
    c.either += __builtin_popcount(static_cast<unsigned>(a[i] | b[i]));
  }
  return c;
}

uint32_t l2sq_u8(const uint8_t* a, const uint8_t* b, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i < n; ++i) {
    const int d = int(a[i]) - int(b[i]);
    sum += static_cast<uint32_t>(d * d);
  }
  return sum;
}

uint32_t l1_u8(const uint8_t* a, const uint8_t* b, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i < n; ++i) sum += static_cast<uint32_t>(a[i] > b[i] ? a[i] - b[i] : b[i] - a[i]);
  return sum;
}

uint32_t dot_u8(const uint8_t* a, const uint8_t* b, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i < n; ++i) sum += uint32_t(a[i]) * uint32_t(b[i]);
  return sum;
}

int32_t dot_u8_i16(const uint8_t* c, const int16_t* q, size_t n) {
  int32_t sum = 0;
  for (size_t i = 0; i < n; ++i) sum += int32_t(c[i]) * int32_t(q[i]);
  return sum;
}

void pq4_scan32(const uint8_t* lut, const uint8_t* block, size_t m_even, uint16_t* out) {
  for (size_t j = 0; j < 32; ++j) out[j] = 0;
  for (size_t s = 0; s < m_even; ++s) {
    const uint8_t* row = block + s * 16;
    const uint8_t* table = lut + s * 16;
    for (size_t t = 0; t < 16; ++t) {
      out[t] = static_cast<uint16_t>(out[t] + table[row[t] & 0x0f]);
      out[t + 16] = static_cast<uint16_t>(out[t + 16] + table[row[t] >> 4]);
    }
  }
}

void sq8_decode(const uint8_t* code, const float* offsets, float step, size_t n, float* out) {
  for (size_t i = 0; i < n; ++i) {
    const float scaled = step * static_cast<float>(code[i]);
    out[i] = offsets[i] + scaled;
  }
}

void dots_f16(const float* q, const uint16_t* rows, size_t count, size_t n, float* out) {
  for (size_t r = 0; r < count; ++r) {
    const uint16_t* row = rows + r * n;
    float sum = 0;
    for (size_t i = 0; i < n; ++i) sum += q[i] * half_to_float(row[i]);
    out[r] = sum;
  }
}

const DistanceKernels kTable = {
    SimdLevel::kScalar, "scalar",
    l2sq<float>, dot<float>, l1<float>, cosine<float>,
    l2sq<uint16_t>, dot<uint16_t>, l1<uint16_t>, cosine<uint16_t>,
    hamming, bit_counts,
    l2sq_u8, l1_u8, dot_u8, dot_u8_i16,
    pq4_scan32,
    sq8_decode,
    dots_f16,
};

}  // namespace

const DistanceKernels* detail::scalar_kernels() { return &kTable; }

}  // namespace piramid
