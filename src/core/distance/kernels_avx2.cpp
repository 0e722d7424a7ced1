// AVX2 + FMA kernels (F16C widens halves, POPCNT counts bits). Eight lanes, two independent accumulators
// per sum to hide FMA latency, a scalar tail for the last n % 8 elements.
#include "piramid/distance.h"
#include "piramid/half.h"
#include "simd_target.h"

#include <cstring>

namespace piramid {

#if PIRAMID_X86
namespace {

PIRAMID_TARGET_AVX2 inline __m256 load8(const float* p) { return _mm256_loadu_ps(p); }
PIRAMID_TARGET_AVX2 inline __m256 load8(const uint16_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
inline float as_float(float x) { return x; }
inline float as_float(uint16_t h) { return half_to_float(h); }

PIRAMID_TARGET_AVX2 inline float sum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

PIRAMID_TARGET_AVX2 inline __m256 abs8(__m256 v) {
  return _mm256_and_ps(v, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff)));
}

template <class T>
PIRAMID_TARGET_AVX2 float l2sq(const T* a, const T* b, size_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 d0 = _mm256_sub_ps(load8(a + i), load8(b + i));
    const __m256 d1 = _mm256_sub_ps(load8(a + i + 8), load8(b + i + 8));
    acc0 = _mm256_fmadd_ps(d0, d0, acc0);
    acc1 = _mm256_fmadd_ps(d1, d1, acc1);
  }
  if (i + 8 <= n) {
    const __m256 d = _mm256_sub_ps(load8(a + i), load8(b + i));
    acc0 = _mm256_fmadd_ps(d, d, acc0);
    i += 8;
  }
  float sum = sum8(_mm256_add_ps(acc0, acc1));
  for (; i < n; ++i) {
    const float d = as_float(a[i]) - as_float(b[i]);
    sum += d * d;
  }
  return sum;
}

template <class T>
PIRAMID_TARGET_AVX2 float dot(const T* a, const T* b, size_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_fmadd_ps(load8(a + i), load8(b + i), acc0);
    acc1 = _mm256_fmadd_ps(load8(a + i + 8), load8(b + i + 8), acc1);
  }
  if (i + 8 <= n) {
    acc0 = _mm256_fmadd_ps(load8(a + i), load8(b + i), acc0);
    i += 8;
  }
  float sum = sum8(_mm256_add_ps(acc0, acc1));
  for (; i < n; ++i) sum += as_float(a[i]) * as_float(b[i]);
  return sum;
}

template <class T>
PIRAMID_TARGET_AVX2 float l1(const T* a, const T* b, size_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_add_ps(acc0, abs8(_mm256_sub_ps(load8(a + i), load8(b + i))));
    acc1 = _mm256_add_ps(acc1, abs8(_mm256_sub_ps(load8(a + i + 8), load8(b + i + 8))));
  }
  if (i + 8 <= n) {
    acc0 = _mm256_add_ps(acc0, abs8(_mm256_sub_ps(load8(a + i), load8(b + i))));
    i += 8;
  }
  float sum = sum8(_mm256_add_ps(acc0, acc1));
  for (; i < n; ++i) {
    const float d = as_float(a[i]) - as_float(b[i]);
    sum += d < 0 ? -d : d;
  }
  return sum;
}

template <class T>
PIRAMID_TARGET_AVX2 CosineParts cosine(const T* a, const T* b, size_t n) {
  __m256 ab = _mm256_setzero_ps(), aa = _mm256_setzero_ps(), bb = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 x = load8(a + i), y = load8(b + i);
    ab = _mm256_fmadd_ps(x, y, ab);
    aa = _mm256_fmadd_ps(x, x, aa);
    bb = _mm256_fmadd_ps(y, y, bb);
  }
  CosineParts p{sum8(ab), sum8(aa), sum8(bb)};
  for (; i < n; ++i) {
    const float x = as_float(a[i]), y = as_float(b[i]);
    p.dot += x * y;
    p.norm_a += x * x;
    p.norm_b += y * y;
  }
  return p;
}

inline uint64_t load_u64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

PIRAMID_TARGET_AVX2 uint64_t hamming(const uint8_t* a, const uint8_t* b, size_t nbytes) {
  uint64_t count = 0;
  size_t i = 0;
  for (; i + 8 <= nbytes; i += 8) count += _mm_popcnt_u64(load_u64(a + i) ^ load_u64(b + i));
  for (; i < nbytes; ++i) count += _mm_popcnt_u32(static_cast<unsigned>(a[i] ^ b[i]));
  return count;
}

PIRAMID_TARGET_AVX2 BitCounts bit_counts(const uint8_t* a, const uint8_t* b, size_t nbytes) {
  BitCounts c{0, 0};
  size_t i = 0;
  for (; i + 8 <= nbytes; i += 8) {
    const uint64_t x = load_u64(a + i), y = load_u64(b + i);
    c.both += _mm_popcnt_u64(x & y);
    c.either += _mm_popcnt_u64(x | y);
  }
  for (; i < nbytes; ++i) {
    c.both += _mm_popcnt_u32(static_cast<unsigned>(a[i] & b[i]));
    c.either += _mm_popcnt_u32(static_cast<unsigned>(a[i] | b[i]));
  }
  return c;
}

PIRAMID_TARGET_AVX2 inline int32_t sum8_epi32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  return _mm_cvtsi128_si32(s);
}

// 16 codes widened to 16-bit lanes.
PIRAMID_TARGET_AVX2 inline __m256i widen16(const uint8_t* p) {
  return _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

PIRAMID_TARGET_AVX2 uint32_t l2sq_u8(const uint8_t* a, const uint8_t* b, size_t n) {
  __m256i acc = _mm256_setzero_si256();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256i d = _mm256_sub_epi16(widen16(a + i), widen16(b + i));
    acc = _mm256_add_epi32(acc, _mm256_madd_epi16(d, d));
  }
  uint32_t sum = static_cast<uint32_t>(sum8_epi32(acc));
  for (; i < n; ++i) sum += static_cast<uint32_t>((int(a[i]) - int(b[i])) * (int(a[i]) - int(b[i])));
  return sum;
}

PIRAMID_TARGET_AVX2 uint32_t l1_u8(const uint8_t* a, const uint8_t* b, size_t n) {
  __m256i acc = _mm256_setzero_si256();
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + i));
    const __m256i y = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + i));
    acc = _mm256_add_epi64(acc, _mm256_sad_epu8(x, y));
  }
  uint64_t lanes[4];
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(lanes), acc);
  uint32_t sum = static_cast<uint32_t>(lanes[0] + lanes[1] + lanes[2] + lanes[3]);
  for (; i < n; ++i) sum += static_cast<uint32_t>(a[i] > b[i] ? a[i] - b[i] : b[i] - a[i]);
  return sum;
}

PIRAMID_TARGET_AVX2 uint32_t dot_u8(const uint8_t* a, const uint8_t* b, size_t n) {
  __m256i acc = _mm256_setzero_si256();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) acc = _mm256_add_epi32(acc, _mm256_madd_epi16(widen16(a + i), widen16(b + i)));
  uint32_t sum = static_cast<uint32_t>(sum8_epi32(acc));
  for (; i < n; ++i) sum += uint32_t(a[i]) * uint32_t(b[i]);
  return sum;
}

PIRAMID_TARGET_AVX2 int32_t dot_u8_i16(const uint8_t* c, const int16_t* q, size_t n) {
  __m256i acc = _mm256_setzero_si256();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + i));
    acc = _mm256_add_epi32(acc, _mm256_madd_epi16(widen16(c + i), w));
  }
  int32_t sum = sum8_epi32(acc);
  for (; i < n; ++i) sum += int32_t(c[i]) * int32_t(q[i]);
  return sum;
}

PIRAMID_TARGET_AVX2 inline __m128i fold(__m256i v) {
  return _mm_add_epi16(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
}

// Two subspaces per step: lane 0 of each register holds subspace s, lane 1 subspace s + 1. The table
// lookups are byte shuffles; partial sums are widened to 16 bits by unpacking with zero and added per
// lane, and the two lanes are added at the end (at most 128 x 255 per lane, no overflow).
PIRAMID_TARGET_AVX2 void pq4_scan32(const uint8_t* lut, const uint8_t* block, size_t m_even, uint16_t* out) {
  const __m256i low_mask = _mm256_set1_epi8(0x0f);
  const __m256i zero = _mm256_setzero_si256();
  __m256i a0 = zero, a1 = zero, a2 = zero, a3 = zero;  // entries 0-7, 8-15, 16-23, 24-31 (per lane)
  for (size_t s = 0; s < m_even; s += 2) {
    const __m256i table = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(lut + s * 16));
    const __m256i codes = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + s * 16));
    const __m256i lo = _mm256_and_si256(codes, low_mask);
    const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(codes, 4), low_mask);
    const __m256i dlo = _mm256_shuffle_epi8(table, lo);
    const __m256i dhi = _mm256_shuffle_epi8(table, hi);
    a0 = _mm256_add_epi16(a0, _mm256_unpacklo_epi8(dlo, zero));
    a1 = _mm256_add_epi16(a1, _mm256_unpackhi_epi8(dlo, zero));
    a2 = _mm256_add_epi16(a2, _mm256_unpacklo_epi8(dhi, zero));
    a3 = _mm256_add_epi16(a3, _mm256_unpackhi_epi8(dhi, zero));
  }
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), fold(a0));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 8), fold(a1));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 16), fold(a2));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 24), fold(a3));
}

// A product, then a sum, each rounded (never fused), so results equal the scalar kernel's bit for bit.
PIRAMID_TARGET_AVX2 void sq8_decode(const uint8_t* code, const float* offsets, float step, size_t n, float* out) {
  const __m256 s = _mm256_set1_ps(step);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(code + i));
    const __m256 c = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes));
    __m256 scaled = _mm256_mul_ps(s, c);
    __asm__("" : "+x"(scaled));  // keeps the compiler from fusing the product into the sum
    _mm256_storeu_ps(out + i, _mm256_add_ps(_mm256_loadu_ps(offsets + i), scaled));
  }
  for (; i < n; ++i) {
    float scaled = step * static_cast<float>(code[i]);
    __asm__("" : "+x"(scaled));
    out[i] = offsets[i] + scaled;
  }
}

PIRAMID_TARGET_AVX2 void dots_f16(const float* q, const uint16_t* rows, size_t count, size_t n, float* out) {
  size_t r = 0;
  for (; r + 4 <= count; r += 4) {
    const uint16_t* row0 = rows + r * n;
    const uint16_t* row1 = row0 + n;
    const uint16_t* row2 = row1 + n;
    const uint16_t* row3 = row2 + n;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps(), acc2 = _mm256_setzero_ps(),
           acc3 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      const __m256 qv = _mm256_loadu_ps(q + i);
      acc0 = _mm256_fmadd_ps(load8(row0 + i), qv, acc0);
      acc1 = _mm256_fmadd_ps(load8(row1 + i), qv, acc1);
      acc2 = _mm256_fmadd_ps(load8(row2 + i), qv, acc2);
      acc3 = _mm256_fmadd_ps(load8(row3 + i), qv, acc3);
    }
    float s0 = sum8(acc0), s1 = sum8(acc1), s2 = sum8(acc2), s3 = sum8(acc3);
    for (; i < n; ++i) {
      s0 += q[i] * half_to_float(row0[i]);
      s1 += q[i] * half_to_float(row1[i]);
      s2 += q[i] * half_to_float(row2[i]);
      s3 += q[i] * half_to_float(row3[i]);
    }
    out[r] = s0;
    out[r + 1] = s1;
    out[r + 2] = s2;
    out[r + 3] = s3;
  }
  for (; r < count; ++r) {
    const uint16_t* row = rows + r * n;
    __m256 acc = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) acc = _mm256_fmadd_ps(load8(row + i), _mm256_loadu_ps(q + i), acc);
    float s = sum8(acc);
    for (; i < n; ++i) s += q[i] * half_to_float(row[i]);
    out[r] = s;
  }
}

const DistanceKernels kTable = {
    SimdLevel::kAvx2, "avx2",
    l2sq<float>, dot<float>, l1<float>, cosine<float>,
    l2sq<uint16_t>, dot<uint16_t>, l1<uint16_t>, cosine<uint16_t>,
    hamming, bit_counts,
    l2sq_u8, l1_u8, dot_u8, dot_u8_i16,
    pq4_scan32,
    sq8_decode,
    dots_f16,
};

}  // namespace

const DistanceKernels* detail::avx2_kernels() { return &kTable; }

#else
const DistanceKernels* detail::avx2_kernels() { return nullptr; }
#endif

}  // namespace piramid
