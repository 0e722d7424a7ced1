// 4-bit PQ fast scan: quantized tables, block packing, and scans of codes stored one by one.
#include "piramid/compute/pq4.h"

#include "../distance/simd_target.h"
#include "piramid/cpu.h"
#include "piramid/distance.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace piramid {
namespace {

// Rows 2k and 2k + 1 of a block from byte k of the 32 codes: lo[t] = byte k of code t, hi[t] = of code
// t + 16.
void pack_pair_scalar(const uint8_t* lo, const uint8_t* hi, uint8_t* row_even, uint8_t* row_odd) {
  for (size_t t = 0; t < 16; ++t) {
    row_even[t] = static_cast<uint8_t>((lo[t] & 0x0f) | (hi[t] << 4));
    row_odd[t] = static_cast<uint8_t>((lo[t] >> 4) | (hi[t] & 0xf0));
  }
}

void pack_block_scalar(const uint8_t* const* codes, size_t m, size_t first_byte, uint8_t* block) {
  uint8_t lo[16], hi[16];
  for (size_t k = first_byte; k < m / 2; ++k) {
    for (size_t t = 0; t < 16; ++t) {
      lo[t] = codes[t][k];
      hi[t] = codes[t + 16][k];
    }
    pack_pair_scalar(lo, hi, block + 2 * k * 16, block + (2 * k + 1) * 16);
  }
}

#if PIRAMID_X86
// Bytes [k, k + 8) of eight codes, transposed: out[h] holds byte k + 2h of the eight codes in its low
// half and byte k + 2h + 1 in its high half.
PIRAMID_TARGET_AVX2 inline void transpose8x8(const uint8_t* const* rows, size_t k, __m128i out[4]) {
  __m128i r[8];
  for (int i = 0; i < 8; ++i) r[i] = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(rows[i] + k));
  const __m128i t0 = _mm_unpacklo_epi8(r[0], r[1]), t1 = _mm_unpacklo_epi8(r[2], r[3]);
  const __m128i t2 = _mm_unpacklo_epi8(r[4], r[5]), t3 = _mm_unpacklo_epi8(r[6], r[7]);
  const __m128i u0 = _mm_unpacklo_epi16(t0, t1), u1 = _mm_unpackhi_epi16(t0, t1);
  const __m128i u2 = _mm_unpacklo_epi16(t2, t3), u3 = _mm_unpackhi_epi16(t2, t3);
  out[0] = _mm_unpacklo_epi32(u0, u2);
  out[1] = _mm_unpackhi_epi32(u0, u2);
  out[2] = _mm_unpacklo_epi32(u1, u3);
  out[3] = _mm_unpackhi_epi32(u1, u3);
}

// The block rows of code bytes [0, 8 * (m / 16)); returns where the scalar tail starts.
PIRAMID_TARGET_AVX2 size_t pack_block_avx2(const uint8_t* const* codes, size_t m, uint8_t* block) {
  const size_t bytes = m / 2;
  const __m128i low4 = _mm_set1_epi8(0x0f), high4 = _mm_set1_epi8(static_cast<char>(0xf0));
  size_t k = 0;
  for (; k + 8 <= bytes; k += 8) {
    __m128i q[4][4];  // q[g][h]: codes 8g..8g+7, bytes k + 2h (low half) and k + 2h + 1 (high half)
    for (int g = 0; g < 4; ++g) transpose8x8(codes + 8 * g, k, q[g]);
    for (int h = 0; h < 4; ++h) {
      for (int half = 0; half < 2; ++half) {
        // byte k + 2h + half of codes 0..15 (lo) and 16..31 (hi)
        const __m128i lo = half == 0 ? _mm_unpacklo_epi64(q[0][h], q[1][h]) : _mm_unpackhi_epi64(q[0][h], q[1][h]);
        const __m128i hi = half == 0 ? _mm_unpacklo_epi64(q[2][h], q[3][h]) : _mm_unpackhi_epi64(q[2][h], q[3][h]);
        const size_t byte = k + 2 * h + half;
        const __m128i even = _mm_or_si128(_mm_and_si128(lo, low4), _mm_slli_epi16(_mm_and_si128(hi, low4), 4));
        const __m128i odd = _mm_or_si128(_mm_and_si128(_mm_srli_epi16(lo, 4), low4), _mm_and_si128(hi, high4));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(block + 2 * byte * 16), even);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(block + (2 * byte + 1) * 16), odd);
      }
    }
  }
  return k;
}
#endif


}  // namespace

namespace {

// Subtracts each row's minimum (summed into the bias) and returns the largest entry left.
float shift_rows_scalar(float* t, size_t m, float* bias) {
  float range = 0;
  for (size_t s = 0; s < m; ++s) {
    float* row = &t[s * 16];
    float lo = row[0];
    for (size_t j = 1; j < 16; ++j) lo = std::min(lo, row[j]);
    *bias += lo;
    float high = 0;
    for (size_t j = 0; j < 16; ++j) {
      row[j] -= lo;
      high = std::max(high, row[j]);
    }
    range = std::max(range, high);
  }
  return range;
}

// Entries are >= 0 here, so adding one half and truncating rounds to nearest.
void round_entries_scalar(const float* t, size_t count, float inverse, uint8_t* lut) {
  for (size_t i = 0; i < count; ++i) lut[i] = static_cast<uint8_t>(std::min(255.0f, t[i] * inverse + 0.5f));
}

#if PIRAMID_X86
PIRAMID_TARGET_AVX2 inline float hmin8(__m256 v) {
  __m128 x = _mm_min_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  x = _mm_min_ps(x, _mm_movehl_ps(x, x));
  return _mm_cvtss_f32(_mm_min_ss(x, _mm_movehdup_ps(x)));
}

PIRAMID_TARGET_AVX2 inline float hmax8(__m256 v) {
  __m128 x = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  x = _mm_max_ps(x, _mm_movehl_ps(x, x));
  return _mm_cvtss_f32(_mm_max_ss(x, _mm_movehdup_ps(x)));
}

// The scalar steps with eight lanes: the same operations in the same rounding, so the same table.
// (Minimum and maximum are exact whatever the order; the bias sums the rows in order as above.)
PIRAMID_TARGET_AVX2 float shift_rows_avx2(float* t, size_t m, float* bias) {
  __m256 range = _mm256_setzero_ps();
  for (size_t s = 0; s < m; ++s) {
    float* row = &t[s * 16];
    const __m256 a = _mm256_loadu_ps(row), b = _mm256_loadu_ps(row + 8);
    const float lo = hmin8(_mm256_min_ps(a, b));
    *bias += lo;
    const __m256 l = _mm256_set1_ps(lo);
    const __m256 da = _mm256_sub_ps(a, l), db = _mm256_sub_ps(b, l);
    _mm256_storeu_ps(row, da);
    _mm256_storeu_ps(row + 8, db);
    range = _mm256_max_ps(range, _mm256_max_ps(da, db));
  }
  return std::max(0.0f, hmax8(range));
}

PIRAMID_TARGET_AVX2 void round_entries_avx2(const float* t, size_t count, float inverse, uint8_t* lut) {
  const __m256 inv = _mm256_set1_ps(inverse), half = _mm256_set1_ps(0.5f), top = _mm256_set1_ps(255.0f);
  size_t i = 0;
  for (; i + 16 <= count; i += 16) {
    __m256 a = _mm256_mul_ps(_mm256_loadu_ps(t + i), inv);
    __m256 b = _mm256_mul_ps(_mm256_loadu_ps(t + i + 8), inv);
    __asm__("" : "+x"(a), "+x"(b));  // a product, then a sum, as in the scalar code: never fused
    a = _mm256_min_ps(_mm256_add_ps(a, half), top);
    b = _mm256_min_ps(_mm256_add_ps(b, half), top);
    const __m256i ia = _mm256_cvttps_epi32(a), ib = _mm256_cvttps_epi32(b);
    // 32-bit lanes to bytes: pack to 16 bits, then to 8 bits, and undo the lane interleaving of packs.
    const __m256i words = _mm256_permute4x64_epi64(_mm256_packus_epi32(ia, ib), 0xd8);
    const __m128i bytes = _mm_packus_epi16(_mm256_castsi256_si128(words), _mm256_extracti128_si256(words, 1));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(lut + i), bytes);
  }
  round_entries_scalar(t + i, count - i, inverse, lut + i);
}
#endif

}  // namespace

Pq4Table pq4_quantize_table(const float* table, size_t m) {
  Pq4Table out;
  out.lut.resize(m * 16);
  std::vector<float> t(table, table + m * 16);
#if PIRAMID_X86
  const bool simd = avx2_allowed();
#else
  const bool simd = false;
#endif
  float range = 0;
#if PIRAMID_X86
  if (simd) range = shift_rows_avx2(t.data(), m, &out.bias);
#endif
  if (!simd) range = shift_rows_scalar(t.data(), m, &out.bias);
  out.scale = range > 0 ? range / 255.0f : 1.0f;
  const float inverse = 1.0f / out.scale;
#if PIRAMID_X86
  if (simd) round_entries_avx2(t.data(), t.size(), inverse, out.lut.data());
#endif
  if (!simd) round_entries_scalar(t.data(), t.size(), inverse, out.lut.data());
  return out;
}

Pq4Table pq4_quantize_table_scalar(const float* table, size_t m) {
  Pq4Table out;
  out.lut.resize(m * 16);
  std::vector<float> t(table, table + m * 16);
  const float range = shift_rows_scalar(t.data(), m, &out.bias);
  out.scale = range > 0 ? range / 255.0f : 1.0f;
  round_entries_scalar(t.data(), t.size(), 1.0f / out.scale, out.lut.data());
  return out;
}

void pq4_block_put(uint8_t* block, size_t m, size_t slot, const uint8_t* code) {
  const bool high = slot >= 16;
  const size_t t = slot & 15;
  for (size_t s = 0; s < m; ++s) {
    const uint8_t sub = (code[s >> 1] >> ((s & 1) * 4)) & 0x0f;
    uint8_t& b = block[s * 16 + t];
    b = high ? static_cast<uint8_t>((b & 0x0f) | (sub << 4)) : static_cast<uint8_t>((b & 0xf0) | sub);
  }
}

void pq4_block_get(const uint8_t* block, size_t m, size_t slot, uint8_t* code) {
  const bool high = slot >= 16;
  const size_t t = slot & 15;
  std::memset(code, 0, (m + 1) / 2);
  for (size_t s = 0; s < m; ++s) {
    const uint8_t b = block[s * 16 + t];
    const uint8_t sub = high ? (b >> 4) : (b & 0x0f);
    code[s >> 1] = static_cast<uint8_t>(code[s >> 1] | (sub << ((s & 1) * 4)));
  }
}

void pq4_pack_block(const uint8_t* const* codes, size_t n, size_t m, uint8_t* block) {
  static const uint8_t zero_code[kPq4MaxSubspaces / 2] = {};
  const uint8_t* rows[kPq4BlockEntries];
  for (size_t i = 0; i < kPq4BlockEntries; ++i) rows[i] = i < n ? codes[i] : zero_code;
  size_t done = 0;
#if PIRAMID_X86
  if (avx2_allowed()) done = pack_block_avx2(rows, m, block);
#endif
  pack_block_scalar(rows, m, done, block);
}

void pq4_unpack_block(const uint8_t* block, size_t m, size_t n, uint8_t* const* codes) {
  const size_t low = std::min<size_t>(n, 16), high = n > 16 ? n - 16 : 0;
  for (size_t k = 0; k < m / 2; ++k) {
    const uint8_t* even = block + 2 * k * 16;  // sub-code 2k of slots t (low nibble) and t + 16 (high)
    const uint8_t* odd = even + 16;            // sub-code 2k + 1 likewise
    for (size_t t = 0; t < low; ++t) codes[t][k] = static_cast<uint8_t>((even[t] & 0x0f) | ((odd[t] & 0x0f) << 4));
    for (size_t t = 0; t < high; ++t) codes[16 + t][k] = static_cast<uint8_t>((even[t] >> 4) | (odd[t] & 0xf0));
  }
}

void pq4_scan_codes(const Pq4Table& t, size_t m, const uint8_t* const* codes, size_t n, float* out) {
  const DistanceKernels& k = kernels();
  uint8_t block[kPq4MaxSubspaces * 16];
  uint16_t sums[kPq4BlockEntries];
  for (size_t i = 0; i < n; i += kPq4BlockEntries) {
    const size_t count = std::min(kPq4BlockEntries, n - i);
    pq4_pack_block(codes + i, count, m, block);
    k.pq4_scan32(t.lut.data(), block, m, sums);
    for (size_t j = 0; j < count; ++j) out[i + j] = t.approx(sums[j]);
  }
}

}  // namespace piramid
