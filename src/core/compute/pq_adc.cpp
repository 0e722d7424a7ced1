// Distances from a lookup table to PQ codes (ADC). Scans call this for every code in a probed list, so
// the common shapes get their own loops: 8-bit codes (one byte per sub-code) and 4-bit codes (two per
// byte). With AVX2, 8-bit batches run eight codes at a time: their bytes are transposed so each step
// gathers the table entries of eight codes at once.
#include "piramid/compute/pq.h"

#include "../distance/simd_target.h"
#include "piramid/cpu.h"
#include "piramid/distance.h"

namespace piramid {
namespace {

// Four partial sums hide the latency of dependent float adds.
float adc_8bit(const float* table, const uint8_t* code, size_t m) {
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  size_t j = 0;
  for (; j + 4 <= m; j += 4, table += 4 * 256) {
    s0 += table[code[j]];
    s1 += table[256 + code[j + 1]];
    s2 += table[512 + code[j + 2]];
    s3 += table[768 + code[j + 3]];
  }
  for (; j < m; ++j, table += 256) s0 += table[code[j]];
  return (s0 + s1) + (s2 + s3);
}

float adc_4bit(const float* table, const uint8_t* code, size_t m) {
  float s0 = 0, s1 = 0;
  size_t j = 0;
  for (; j + 2 <= m; j += 2, table += 32) {
    const uint8_t b = code[j >> 1];
    s0 += table[b & 15];
    s1 += table[16 + (b >> 4)];
  }
  if (j < m) s0 += table[code[j >> 1] & 15];
  return s0 + s1;
}

float adc_any(const float* table, const uint8_t* code, size_t m, int nbits) {
  const size_t ksub = size_t{1} << nbits;
  float sum = 0;
  for (size_t j = 0; j < m; ++j) sum += table[j * ksub + pq_get_code(code, j, nbits)];
  return sum;
}

#if PIRAMID_X86
// Eight 8-bit codes of m bytes each (m >= 8): out[0..8) = their table sums.
PIRAMID_TARGET_AVX2 void adc_8bit_x8(const float* table, const uint8_t* codes, size_t m, float* out) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  size_t j = 0;
  for (; j + 8 <= m; j += 8) {
    // Row r = bytes j..j+7 of code r; transpose so each 8-byte half holds one sub-code of all codes.
    const __m128i r0 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(codes + 0 * m + j));
    const __m128i r1 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(codes + 1 * m + j));
    const __m128i r2 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(codes + 2 * m + j));
    const __m128i r3 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(codes + 3 * m + j));
    const __m128i r4 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(codes + 4 * m + j));
    const __m128i r5 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(codes + 5 * m + j));
    const __m128i r6 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(codes + 6 * m + j));
    const __m128i r7 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(codes + 7 * m + j));
    const __m128i t0 = _mm_unpacklo_epi8(r0, r1), t1 = _mm_unpacklo_epi8(r2, r3);
    const __m128i t2 = _mm_unpacklo_epi8(r4, r5), t3 = _mm_unpacklo_epi8(r6, r7);
    const __m128i u0 = _mm_unpacklo_epi16(t0, t1), u1 = _mm_unpackhi_epi16(t0, t1);
    const __m128i u2 = _mm_unpacklo_epi16(t2, t3), u3 = _mm_unpackhi_epi16(t2, t3);
    const __m128i v[4] = {_mm_unpacklo_epi32(u0, u2), _mm_unpackhi_epi32(u0, u2), _mm_unpacklo_epi32(u1, u3),
                          _mm_unpackhi_epi32(u1, u3)};
    const float* t = table + j * 256;
    for (int h = 0; h < 4; ++h, t += 512) {
      const __m256i lo = _mm256_cvtepu8_epi32(v[h]);
      const __m256i hi = _mm256_cvtepu8_epi32(_mm_srli_si128(v[h], 8));
      acc0 = _mm256_add_ps(acc0, _mm256_i32gather_ps(t, lo, 4));
      acc1 = _mm256_add_ps(acc1, _mm256_i32gather_ps(t + 256, hi, 4));
    }
  }
  _mm256_storeu_ps(out, _mm256_add_ps(acc0, acc1));
  for (; j < m; ++j) {
    for (int r = 0; r < 8; ++r) out[r] += table[j * 256 + codes[r * m + j]];
  }
}
#endif

bool use_avx2() {
#if PIRAMID_X86
  static const bool ok = best_simd_level() != SimdLevel::kScalar && cpu_features().avx2;
  return ok;
#else
  return false;
#endif
}

}  // namespace

float pq_adc(const PqShape& shape, const float* table, const uint8_t* code) {
  if (shape.nbits == 8) return adc_8bit(table, code, shape.m);
  if (shape.nbits == 4) return adc_4bit(table, code, shape.m);
  return adc_any(table, code, shape.m, shape.nbits);
}

void pq_adc_batch(const PqShape& shape, const float* table, const uint8_t* codes, size_t n, float* out) {
  const size_t m = shape.m, code_size = shape.code_size();
  size_t i = 0;
#if PIRAMID_X86
  if (shape.nbits == 8 && m >= 8 && use_avx2()) {
    for (; i + 8 <= n; i += 8) adc_8bit_x8(table, codes + i * code_size, m, out + i);
  }
#endif
  for (; i < n; ++i) out[i] = pq_adc(shape, table, codes + i * code_size);
}

}  // namespace piramid
