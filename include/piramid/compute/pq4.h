// 4-bit product quantization "fast scan": a query's float ADC table (m subspaces x 16 entries) is
// quantized to uint8, and codes are regrouped in blocks of 32 so that one byte shuffle looks up a
// subspace for 16 codes at once (the distance kernel pq4_scan32). Codes themselves keep the pq_codes.h
// layout (two sub-codes per byte, the even one in the low nibble); a block is m rows of 16 bytes where
// byte t of row s packs sub-code s of entry t (low nibble) and of entry t + 16 (high nibble).
//
// Used by hnsw navigation codes (stored as blocks) and by ivf lists with 4-bit PQ codes (stored per
// entry and regrouped while a page is read).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace piramid {

constexpr size_t kPq4BlockEntries = 32;
// pq4_scan32 sums m uint8 entries into 16 bits, and its subspace count must be even.
constexpr size_t kPq4MaxSubspaces = 256;

inline bool pq4_fast_scan_fits(size_t m) { return m >= 2 && m % 2 == 0 && m <= kPq4MaxSubspaces; }
inline size_t pq4_block_bytes(size_t m) { return m * 16; }

// A query's quantized table: estimate = bias + scale * (sum of m uint8 entries).
struct Pq4Table {
  std::vector<uint8_t> lut;  // m x 16
  float bias = 0;
  float scale = 0;
  float approx(uint32_t sum) const { return bias + scale * static_cast<float>(sum); }
};

// Quantizes a float table of m x 16 entries: each subspace's minimum goes into the bias, and one step
// (the largest remaining entry / 255) serves every subspace, so sums stay comparable.
Pq4Table pq4_quantize_table(const float* table, size_t m);
// The same without SIMD (the reference the SIMD path must equal; for tests).
Pq4Table pq4_quantize_table_scalar(const float* table, size_t m);

// Copies a code into / out of slot `slot` (0..31) of a block.
void pq4_block_put(uint8_t* block, size_t m, size_t slot, const uint8_t* code);
void pq4_block_get(const uint8_t* block, size_t m, size_t slot, uint8_t* code);

// Builds a block from n <= 32 codes given by pointer (slots past n get code 0). m even.
void pq4_pack_block(const uint8_t* const* codes, size_t n, size_t m, uint8_t* block);
// The inverse: the codes of slots [0, n) of a block into codes[0..n) (m / 2 bytes each). m even.
void pq4_unpack_block(const uint8_t* block, size_t m, size_t n, uint8_t* const* codes);

// Estimates for n codes anywhere: out[i] = t.approx(sum of the table entries code i names). m must
// satisfy pq4_fast_scan_fits.
void pq4_scan_codes(const Pq4Table& t, size_t m, const uint8_t* const* codes, size_t n, float* out);

}  // namespace piramid
