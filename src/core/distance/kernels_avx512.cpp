// AVX-512 kernels: sixteen lanes, four accumulators in the main loop, and masked loads for the tail so no
// scalar remainder loop is needed (masked-off lanes never touch memory). Bit kernels use VPOPCNTDQ when
// the CPU has it and the AVX2 ones otherwise.
#include "piramid/distance.h"
#include "simd_target.h"

// GCC 12's AVX-512 reduction intrinsics start from _mm512_undefined_*(), which trips these warnings inside
// the compiler's own header; the values are fully defined.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace piramid {

#if PIRAMID_X86
namespace {

PIRAMID_TARGET_AVX512 inline __m512 load16(const float* p) { return _mm512_loadu_ps(p); }
PIRAMID_TARGET_AVX512 inline __m512 load16(const uint16_t* p) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}
PIRAMID_TARGET_AVX512 inline __m512 load16_masked(const float* p, __mmask16 m) {
  return _mm512_maskz_loadu_ps(m, p);
}
PIRAMID_TARGET_AVX512 inline __m512 load16_masked(const uint16_t* p, __mmask16 m) {
  return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p));
}
PIRAMID_TARGET_AVX512 inline __mmask16 tail_mask(size_t remaining) {
  return static_cast<__mmask16>((1u << remaining) - 1u);
}

// Sum of squared differences; Op selects the per-lane term so L2 and L1 share the loop structure.
struct SquaredDiff {
  PIRAMID_TARGET_AVX512 static __m512 step(__m512 acc, __m512 x, __m512 y) {
    const __m512 d = _mm512_sub_ps(x, y);
    return _mm512_fmadd_ps(d, d, acc);
  }
};
struct AbsDiff {
  PIRAMID_TARGET_AVX512 static __m512 step(__m512 acc, __m512 x, __m512 y) {
    return _mm512_add_ps(acc, _mm512_abs_ps(_mm512_sub_ps(x, y)));
  }
};
struct Product {
  PIRAMID_TARGET_AVX512 static __m512 step(__m512 acc, __m512 x, __m512 y) { return _mm512_fmadd_ps(x, y, acc); }
};

template <class Op, class T>
PIRAMID_TARGET_AVX512 float reduce(const T* a, const T* b, size_t n) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps(), acc2 = _mm512_setzero_ps(),
         acc3 = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    acc0 = Op::step(acc0, load16(a + i), load16(b + i));
    acc1 = Op::step(acc1, load16(a + i + 16), load16(b + i + 16));
    acc2 = Op::step(acc2, load16(a + i + 32), load16(b + i + 32));
    acc3 = Op::step(acc3, load16(a + i + 48), load16(b + i + 48));
  }
  for (; i + 16 <= n; i += 16) acc0 = Op::step(acc0, load16(a + i), load16(b + i));
  if (i < n) {
    const __mmask16 m = tail_mask(n - i);
    acc1 = Op::step(acc1, load16_masked(a + i, m), load16_masked(b + i, m));
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(acc0, acc1), _mm512_add_ps(acc2, acc3)));
}

template <class T>
PIRAMID_TARGET_AVX512 float l2sq(const T* a, const T* b, size_t n) { return reduce<SquaredDiff>(a, b, n); }
template <class T>
PIRAMID_TARGET_AVX512 float dot(const T* a, const T* b, size_t n) { return reduce<Product>(a, b, n); }
template <class T>
PIRAMID_TARGET_AVX512 float l1(const T* a, const T* b, size_t n) { return reduce<AbsDiff>(a, b, n); }

template <class T>
PIRAMID_TARGET_AVX512 CosineParts cosine(const T* a, const T* b, size_t n) {
  __m512 ab = _mm512_setzero_ps(), aa = _mm512_setzero_ps(), bb = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 x = load16(a + i), y = load16(b + i);
    ab = _mm512_fmadd_ps(x, y, ab);
    aa = _mm512_fmadd_ps(x, x, aa);
    bb = _mm512_fmadd_ps(y, y, bb);
  }
  if (i < n) {
    const __mmask16 m = tail_mask(n - i);
    const __m512 x = load16_masked(a + i, m), y = load16_masked(b + i, m);
    ab = _mm512_fmadd_ps(x, y, ab);
    aa = _mm512_fmadd_ps(x, x, aa);
    bb = _mm512_fmadd_ps(y, y, bb);
  }
  return CosineParts{_mm512_reduce_add_ps(ab), _mm512_reduce_add_ps(aa), _mm512_reduce_add_ps(bb)};
}

PIRAMID_TARGET_AVX512_POPCNT inline __m512i load64_bytes(const uint8_t* p, size_t remaining) {
  if (remaining >= 64) return _mm512_loadu_si512(p);
  return _mm512_maskz_loadu_epi8(static_cast<__mmask64>((~0ull) >> (64 - remaining)), p);
}

PIRAMID_TARGET_AVX512_POPCNT uint64_t hamming(const uint8_t* a, const uint8_t* b, size_t nbytes) {
  __m512i acc = _mm512_setzero_si512();
  for (size_t i = 0; i < nbytes; i += 64) {
    const __m512i x = _mm512_xor_si512(load64_bytes(a + i, nbytes - i), load64_bytes(b + i, nbytes - i));
    acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(x));
  }
  return static_cast<uint64_t>(_mm512_reduce_add_epi64(acc));
}

PIRAMID_TARGET_AVX512_POPCNT BitCounts bit_counts(const uint8_t* a, const uint8_t* b, size_t nbytes) {
  __m512i both = _mm512_setzero_si512(), either = _mm512_setzero_si512();
  for (size_t i = 0; i < nbytes; i += 64) {
    const __m512i x = load64_bytes(a + i, nbytes - i), y = load64_bytes(b + i, nbytes - i);
    both = _mm512_add_epi64(both, _mm512_popcnt_epi64(_mm512_and_si512(x, y)));
    either = _mm512_add_epi64(either, _mm512_popcnt_epi64(_mm512_or_si512(x, y)));
  }
  return BitCounts{static_cast<uint64_t>(_mm512_reduce_add_epi64(both)),
                   static_cast<uint64_t>(_mm512_reduce_add_epi64(either))};
}

// 32 codes widened to 16-bit lanes; the masked form reads only `remaining` bytes.
PIRAMID_TARGET_AVX512 inline __m512i widen32(const uint8_t* p, size_t remaining) {
  const __m256i bytes = remaining >= 32 ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))
                                        : _mm256_maskz_loadu_epi8(static_cast<__mmask32>((1ull << remaining) - 1), p);
  return _mm512_cvtepu8_epi16(bytes);
}

PIRAMID_TARGET_AVX512 inline __m512i load32_i16(const int16_t* p, size_t remaining) {
  if (remaining >= 32) return _mm512_loadu_si512(p);
  return _mm512_maskz_loadu_epi16(static_cast<__mmask32>((1ull << remaining) - 1), p);
}

PIRAMID_TARGET_AVX512 uint32_t l2sq_u8(const uint8_t* a, const uint8_t* b, size_t n) {
  __m512i acc0 = _mm512_setzero_si512(), acc1 = _mm512_setzero_si512();
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    const __m512i d0 = _mm512_sub_epi16(widen32(a + i, 32), widen32(b + i, 32));
    const __m512i d1 = _mm512_sub_epi16(widen32(a + i + 32, 32), widen32(b + i + 32, 32));
    acc0 = _mm512_add_epi32(acc0, _mm512_madd_epi16(d0, d0));
    acc1 = _mm512_add_epi32(acc1, _mm512_madd_epi16(d1, d1));
  }
  for (; i < n; i += 32) {
    const __m512i d = _mm512_sub_epi16(widen32(a + i, n - i), widen32(b + i, n - i));
    acc0 = _mm512_add_epi32(acc0, _mm512_madd_epi16(d, d));
  }
  return static_cast<uint32_t>(_mm512_reduce_add_epi32(_mm512_add_epi32(acc0, acc1)));
}

PIRAMID_TARGET_AVX512 uint32_t l1_u8(const uint8_t* a, const uint8_t* b, size_t n) {
  __m512i acc = _mm512_setzero_si512();
  for (size_t i = 0; i < n; i += 64) {
    const size_t r = n - i;
    const __mmask64 m = r >= 64 ? ~0ull : (~0ull >> (64 - r));
    acc = _mm512_add_epi64(acc, _mm512_sad_epu8(_mm512_maskz_loadu_epi8(m, a + i), _mm512_maskz_loadu_epi8(m, b + i)));
  }
  return static_cast<uint32_t>(_mm512_reduce_add_epi64(acc));
}

PIRAMID_TARGET_AVX512 uint32_t dot_u8(const uint8_t* a, const uint8_t* b, size_t n) {
  __m512i acc = _mm512_setzero_si512();
  for (size_t i = 0; i < n; i += 32) acc = _mm512_add_epi32(acc, _mm512_madd_epi16(widen32(a + i, n - i), widen32(b + i, n - i)));
  return static_cast<uint32_t>(_mm512_reduce_add_epi32(acc));
}

PIRAMID_TARGET_AVX512 int32_t dot_u8_i16(const uint8_t* c, const int16_t* q, size_t n) {
  __m512i acc0 = _mm512_setzero_si512(), acc1 = _mm512_setzero_si512();
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    acc0 = _mm512_add_epi32(acc0, _mm512_madd_epi16(widen32(c + i, 32), load32_i16(q + i, 32)));
    acc1 = _mm512_add_epi32(acc1, _mm512_madd_epi16(widen32(c + i + 32, 32), load32_i16(q + i + 32, 32)));
  }
  for (; i < n; i += 32) acc0 = _mm512_add_epi32(acc0, _mm512_madd_epi16(widen32(c + i, n - i), load32_i16(q + i, n - i)));
  return _mm512_reduce_add_epi32(_mm512_add_epi32(acc0, acc1));
}

DistanceKernels make_table(bool with_vpopcntdq) {
  const DistanceKernels* avx2 = detail::avx2_kernels();
  return DistanceKernels{
      SimdLevel::kAvx512, "avx512",
      l2sq<float>, dot<float>, l1<float>, cosine<float>,
      l2sq<uint16_t>, dot<uint16_t>, l1<uint16_t>, cosine<uint16_t>,
      with_vpopcntdq ? hamming : avx2->hamming,
      with_vpopcntdq ? bit_counts : avx2->bit_counts,
      l2sq_u8, l1_u8, dot_u8, dot_u8_i16,
      avx2->pq4_scan32,  // the AVX2 kernel is already bound by table loads; one variant is enough
      avx2->sq8_decode,  // memory-bound; the AVX2 kernel is enough
      avx2->dots_f16,    // bound by widening halves, which AVX2 does at the same rate per element
  };
}

}  // namespace

const DistanceKernels* detail::avx512_kernels(bool with_vpopcntdq) {
  static const DistanceKernels with = make_table(true);
  static const DistanceKernels without = make_table(false);
  return with_vpopcntdq ? &with : &without;
}

#else
const DistanceKernels* detail::avx512_kernels(bool) { return nullptr; }
#endif

}  // namespace piramid
