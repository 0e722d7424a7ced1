// How PQ codes are laid out in bytes, shared by the CPU core and the CUDA kernels (hence header-only and
// usable on the device). A vector's code is m sub-codes of nbits (4..8) each, packed little-endian into
// ceil(m * nbits / 8) bytes: sub-code j occupies bits [j * nbits, (j + 1) * nbits) of the byte string,
// where bit b is bit (b % 8) of byte b / 8. With 8 bits that is one byte per sub-code; with 4 bits two
// per byte, the even sub-code in the low nibble.
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__CUDACC__)
#define PIRAMID_HOST_DEVICE __host__ __device__
#else
#define PIRAMID_HOST_DEVICE
#endif

namespace piramid {

constexpr int kPqMinBits = 4;
constexpr int kPqMaxBits = 8;

PIRAMID_HOST_DEVICE inline size_t pq_code_size(size_t m, int nbits) {
  return (m * static_cast<size_t>(nbits) + 7) / 8;
}

// Reads sub-code j. A sub-code spans at most two bytes (nbits <= 8); the second byte is read only when
// the sub-code reaches into it, so no byte past the code is touched.
PIRAMID_HOST_DEVICE inline uint32_t pq_get_code(const uint8_t* code, size_t j, int nbits) {
  const size_t bit = j * static_cast<size_t>(nbits);
  const size_t byte = bit >> 3;
  const unsigned shift = static_cast<unsigned>(bit & 7);
  uint32_t v = code[byte] >> shift;
  if (shift + static_cast<unsigned>(nbits) > 8) v |= static_cast<uint32_t>(code[byte + 1]) << (8 - shift);
  return v & ((1u << nbits) - 1u);
}

// Writes sub-code j; the code's bytes must start zeroed.
PIRAMID_HOST_DEVICE inline void pq_put_code(uint8_t* code, size_t j, int nbits, uint32_t value) {
  const size_t bit = j * static_cast<size_t>(nbits);
  const size_t byte = bit >> 3;
  const unsigned shift = static_cast<unsigned>(bit & 7);
  code[byte] = static_cast<uint8_t>(code[byte] | (value << shift));
  if (shift + static_cast<unsigned>(nbits) > 8) {
    code[byte + 1] = static_cast<uint8_t>(code[byte + 1] | (value >> (8 - shift)));
  }
}

}  // namespace piramid
