// 4-bit PQ fast scan (pq4.h): packing codes given by pointer into a block matches slot-by-slot packing
// for every subspace count shape (SIMD part and scalar tail) and unpacking gives the codes back, scans agree with the float table within
// the quantization bound, and transposed lookup tables equal tables built from plain codebooks.
#include "piramid/compute/pq.h"
#include "piramid/compute/pq4.h"
#include "piramid/distance.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace piramid {
namespace {

std::vector<std::vector<uint8_t>> random_codes(size_t n, size_t m, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::vector<uint8_t>> codes(n, std::vector<uint8_t>(m / 2));
  for (auto& c : codes)
    for (auto& b : c) b = static_cast<uint8_t>(rng());
  return codes;
}

TEST(Pq4, PackedBlocksEqualSlotBySlotPacking) {
  for (size_t m : {2u, 6u, 16u, 18u, 34u, 98u, 196u, 256u}) {
    for (size_t n : {1u, 17u, 32u}) {
      const auto codes = random_codes(n, m, static_cast<uint32_t>(m * 100 + n));
      std::vector<const uint8_t*> pointers;
      for (const auto& c : codes) pointers.push_back(c.data());
      std::vector<uint8_t> expected(pq4_block_bytes(m), 0), got(pq4_block_bytes(m), 0xAB);
      for (size_t j = 0; j < n; ++j) pq4_block_put(expected.data(), m, j, codes[j].data());
      pq4_pack_block(pointers.data(), n, m, got.data());
      EXPECT_EQ(got, expected) << "m " << m << " n " << n;
      std::vector<uint8_t> back(m / 2);
      for (size_t j = 0; j < n; ++j) {
        pq4_block_get(got.data(), m, j, back.data());
        EXPECT_EQ(back, codes[j]) << "m " << m << " slot " << j;
      }
      std::vector<std::vector<uint8_t>> unpacked(n, std::vector<uint8_t>(m / 2, 0xCD));
      std::vector<uint8_t*> out;
      for (auto& u : unpacked) out.push_back(u.data());
      pq4_unpack_block(got.data(), m, n, out.data());
      for (size_t j = 0; j < n; ++j) EXPECT_EQ(unpacked[j], codes[j]) << "unpack: m " << m << " slot " << j;
    }
  }
}

TEST(Pq4, ScansMatchTheFloatTableWithinTheQuantizationStep) {
  std::mt19937 rng(11);
  std::normal_distribution<float> value(0.0f, 3.0f);
  for (size_t m : {2u, 16u, 196u}) {
    std::vector<float> table(m * 16);
    for (auto& v : table) v = value(rng);
    const Pq4Table t = pq4_quantize_table(table.data(), m);
    ASSERT_EQ(t.lut.size(), m * 16);
    const size_t n = 77;  // two full blocks and a partial one
    const auto codes = random_codes(n, m, static_cast<uint32_t>(m));
    std::vector<const uint8_t*> pointers;
    for (const auto& c : codes) pointers.push_back(c.data());
    std::vector<float> got(n);
    pq4_scan_codes(t, m, pointers.data(), n, got.data());
    for (size_t i = 0; i < n; ++i) {
      float exact = 0;
      for (size_t s = 0; s < m; ++s) exact += table[s * 16 + pq_get_code(codes[i].data(), s, 4)];
      // every entry is rounded to the nearest step: at most half a step each
      EXPECT_NEAR(got[i], exact, 0.5f * t.scale * static_cast<float>(m) + 1e-3f) << "m " << m << " code " << i;
    }
  }
}

TEST(Pq4, QuantizedTablesEqualTheScalarReference) {
  std::mt19937 rng(13);
  std::normal_distribution<float> value(0.0f, 5.0f);
  for (size_t m : {1u, 2u, 3u, 16u, 98u, 196u, 256u}) {
    std::vector<float> table(m * 16);
    for (auto& v : table) v = value(rng);
    if (m == 3) std::fill(table.begin(), table.end(), 1.5f);  // every row flat: a zero range
    const Pq4Table a = pq4_quantize_table(table.data(), m), b = pq4_quantize_table_scalar(table.data(), m);
    EXPECT_EQ(a.bias, b.bias) << "m " << m;
    EXPECT_EQ(a.scale, b.scale) << "m " << m;
    EXPECT_EQ(a.lut, b.lut) << "m " << m;
  }
}

TEST(Pq4, TransposedTablesEqualPlainTables) {
  std::mt19937 rng(5);
  std::normal_distribution<float> value(0.0f, 1.0f);
  for (int nbits : {4, 8}) {
    for (Metric metric : {Metric::kL2, Metric::kInnerProduct, Metric::kCosine}) {
      const PqShape shape{48, 12, nbits};
      std::vector<float> codebooks(shape.codebook_floats()), query(shape.dim);
      for (auto& v : codebooks) v = value(rng);
      for (auto& v : query) v = value(rng);
      std::vector<float> table(shape.table_floats());
      pq_lookup_table_transposed(shape, pq_transpose_codebooks(shape, codebooks.data()).data(), query.data(), metric,
                                 table.data());
      float norm = 0;
      for (float v : query) norm += v * v;
      const float scale = metric == Metric::kCosine ? 1.0f / std::sqrt(norm) : 1.0f;
      const size_t ksub = shape.ksub(), dsub = shape.dsub();
      for (size_t j = 0; j < shape.m; ++j) {
        for (size_t c = 0; c < ksub; ++c) {
          float expected = 0;
          for (size_t d = 0; d < dsub; ++d) {
            const float q = query[j * dsub + d], e = codebooks[(j * ksub + c) * dsub + d];
            expected += metric == Metric::kL2 ? (q - e) * (q - e) : q * e;
          }
          if (metric != Metric::kL2) expected = -scale * expected + (metric == Metric::kCosine && j == 0 ? 1.0f : 0.0f);
          EXPECT_NEAR(table[j * ksub + c], expected, 1e-4f * (1.0f + std::fabs(expected)))
              << "bits " << nbits << " metric " << static_cast<int>(metric) << " sub " << j << " entry " << c;
        }
      }
    }
  }
}

}  // namespace
}  // namespace piramid
