// Distances from a lookup table to PQ codes (ADC). Scans call this for every code in a probed list, so
// the common shapes get their own loops: 8-bit codes (one byte per sub-code) and 4-bit codes (two per
// byte). With AVX2, 8-bit batches run eight codes at a time: their bytes are transposed so each step
// gathers the table entries of eight codes at once.
#include "piramid/compute/pq.h"

#include "../distance/simd_target.h"
#include "piramid/cpu.h"
#include "piramid/distance.h"
#include "piramid/error.h"

#include <algorithm>
#include <cmath>
#include <string>

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
// Eight 8-bit codes of m bytes each (m >= 8), wherever they are: out[0..8) = their table sums.
PIRAMID_TARGET_AVX2 void adc_8bit_x8(const float* table, const uint8_t* const* codes, size_t m, float* out) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  size_t j = 0;
  for (; j + 8 <= m; j += 8) {
    // Row r = bytes j..j+7 of code r; transpose so each 8-byte half holds one sub-code of all codes.
    const __m128i r0 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(codes[0] + j));
    const __m128i r1 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(codes[1] + j));
    const __m128i r2 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(codes[2] + j));
    const __m128i r3 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(codes[3] + j));
    const __m128i r4 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(codes[4] + j));
    const __m128i r5 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(codes[5] + j));
    const __m128i r6 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(codes[6] + j));
    const __m128i r7 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(codes[7] + j));
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
    for (int r = 0; r < 8; ++r) out[r] += table[j * 256 + codes[r][j]];
  }
}
#endif

// One subspace's table row from its transposed codebook block (dsub rows of ksub floats): out[c] gets
// sum_d (q_d - t[d][c])^2 when l2, else sum_d q_d t[d][c]. ksub is a multiple of 8 (nbits >= 4).
void table_row_scalar(const float* q, const float* t, size_t dsub, size_t ksub, bool l2, float* out) {
  for (size_t c = 0; c < ksub; ++c) out[c] = 0;
  for (size_t d = 0; d < dsub; ++d, t += ksub) {
    const float qd = q[d];
    if (l2) {
      for (size_t c = 0; c < ksub; ++c) out[c] += (qd - t[c]) * (qd - t[c]);
    } else {
      for (size_t c = 0; c < ksub; ++c) out[c] += qd * t[c];
    }
  }
}

#if PIRAMID_X86
// kBlocks x 8 table entries at once: independent accumulators hide the latency of the multiply-adds.
template <int kBlocks>
PIRAMID_TARGET_AVX2 void table_columns_avx2(const float* q, const float* t, size_t dsub, size_t ksub, bool l2,
                                            float* out) {
  __m256 acc[kBlocks];
  for (int b = 0; b < kBlocks; ++b) acc[b] = _mm256_setzero_ps();
  for (size_t d = 0; d < dsub; ++d, t += ksub) {
    const __m256 qd = _mm256_set1_ps(q[d]);
    for (int b = 0; b < kBlocks; ++b) {
      const __m256 e = _mm256_loadu_ps(t + 8 * b);
      if (l2) {
        const __m256 diff = _mm256_sub_ps(qd, e);
        acc[b] = _mm256_fmadd_ps(diff, diff, acc[b]);
      } else {
        acc[b] = _mm256_fmadd_ps(qd, e, acc[b]);
      }
    }
  }
  for (int b = 0; b < kBlocks; ++b) _mm256_storeu_ps(out + 8 * b, acc[b]);
}

PIRAMID_TARGET_AVX2 void table_row_avx2(const float* q, const float* t, size_t dsub, size_t ksub, bool l2,
                                        float* out) {
  size_t c = 0;
  for (; c + 32 <= ksub; c += 32) table_columns_avx2<4>(q, t + c, dsub, ksub, l2, out + c);
  for (; c + 16 <= ksub; c += 16) table_columns_avx2<2>(q, t + c, dsub, ksub, l2, out + c);
  for (; c + 8 <= ksub; c += 8) table_columns_avx2<1>(q, t + c, dsub, ksub, l2, out + c);
}
#endif


}  // namespace

void pq_lookup_table_transposed(const PqShape& shape, const float* transposed, const float* query, Metric metric,
                                float* table) {
  if (metric != Metric::kL2 && metric != Metric::kInnerProduct && metric != Metric::kCosine) {
    throw Error(ErrorKind::kFeatureNotSupported, std::string("PQ tables do not support the ") + metric_name(metric) + " metric");
  }
  const size_t ksub = shape.ksub(), dsub = shape.dsub();
  const bool l2 = metric == Metric::kL2;
  for (size_t j = 0; j < shape.m; ++j) {
    const float* q = query + j * dsub;
    const float* t = transposed + j * dsub * ksub;
#if PIRAMID_X86
    if (avx2_allowed()) {
      table_row_avx2(q, t, dsub, ksub, l2, table + j * ksub);
      continue;
    }
#endif
    table_row_scalar(q, t, dsub, ksub, l2, table + j * ksub);
  }
  if (l2) return;
  float scale = 1.0f;
  if (metric == Metric::kCosine) {
    const float norm2 = kernels().dot_f32(query, query, shape.dim);
    scale = norm2 > 0 ? 1.0f / std::sqrt(norm2) : 0.0f;
  }
  for (size_t i = 0; i < shape.table_floats(); ++i) table[i] *= -scale;
  // The constant of 1 - cos rides in the first subspace, so a table sum is the cosine distance itself.
  if (metric == Metric::kCosine) {
    for (size_t c = 0; c < ksub; ++c) table[c] += 1.0f;
  }
}

float pq_adc(const PqShape& shape, const float* table, const uint8_t* code) {
  if (shape.nbits == 8) return adc_8bit(table, code, shape.m);
  if (shape.nbits == 4) return adc_4bit(table, code, shape.m);
  return adc_any(table, code, shape.m, shape.nbits);
}

void pq_adc_batch(const PqShape& shape, const float* table, const uint8_t* codes, size_t n, float* out) {
  const size_t code_size = shape.code_size();
  const uint8_t* rows[64];
  for (size_t i = 0; i < n; i += 64) {
    const size_t count = std::min<size_t>(64, n - i);
    for (size_t r = 0; r < count; ++r) rows[r] = codes + (i + r) * code_size;
    pq_adc_gather(shape, table, rows, count, out + i);
  }
}

void pq_adc_gather(const PqShape& shape, const float* table, const uint8_t* const* codes, size_t n, float* out) {
  size_t i = 0;
#if PIRAMID_X86
  if (shape.nbits == 8 && shape.m >= 8 && avx2_allowed()) {
    for (; i + 8 <= n; i += 8) adc_8bit_x8(table, codes + i, shape.m, out + i);
  }
#endif
  for (; i < n; ++i) out[i] = pq_adc(shape, table, codes[i]);
}

}  // namespace piramid
