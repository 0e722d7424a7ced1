// What differs between vector (float elements) and halfvec (binary16 elements). Every function that works
// on both is written once as a template over one of these kinds.
#pragma once

#include "pg/types/type_checks.h"
#include "pg/types/vector_types.h"
#include "piramid/distance.h"
#include "piramid/half.h"

#include <cmath>
#include <cstring>

extern "C" {
#include "libpq/pqformat.h"
#include "port/pg_bswap.h"
}

namespace piramid::pg {

struct VectorKind {
  using Elem = float;
  using Value = Vector;
  static constexpr const char* kName = "vector";
  static constexpr int kMaxDim = kVectorMaxDim;
  static constexpr float kOutOfRangeAt = HUGE_VALF;

  static float to_float(Elem e) { return e; }
  // Rounds to the element type without a range check; callers check isinf on the result.
  static Elem from_float(float f) { return f; }
  static bool is_zero(Elem e) { return e == 0.0f; }
  static void check_element(Elem e) { check_finite_element(kName, e); }
  static void send_element(StringInfo buf, Elem e) { pq_sendfloat4(buf, e); }
  // n elements in network byte order, read at once (a query's vector is received on every execution).
  static void receive_elements(StringInfo buf, Elem* out, int n) {
    pq_copymsgbytes(buf, reinterpret_cast<char*>(out), n * static_cast<int>(sizeof(Elem)));
    for (int i = 0; i < n; ++i) {
      uint32 bits;
      memcpy(&bits, &out[i], sizeof bits);
      bits = pg_ntoh32(bits);
      memcpy(&out[i], &bits, sizeof bits);
    }
  }
  static bool all_finite(const Elem* e, int n) {
    uint32 nonfinite = 0;  // exponent all ones: infinity or NaN
    for (int i = 0; i < n; ++i) {
      uint32 bits;
      memcpy(&bits, &e[i], sizeof bits);
      nonfinite |= static_cast<uint32>((bits & 0x7f800000u) == 0x7f800000u);
    }
    return nonfinite == 0;
  }

  static float l2sq(const Elem* a, const Elem* b, size_t n) { return kernels().l2sq_f32(a, b, n); }
  static float dot(const Elem* a, const Elem* b, size_t n) { return kernels().dot_f32(a, b, n); }
  static float l1(const Elem* a, const Elem* b, size_t n) { return kernels().l1_f32(a, b, n); }
  static CosineParts cosine(const Elem* a, const Elem* b, size_t n) { return kernels().cosine_f32(a, b, n); }
};

struct HalfvecKind {
  using Elem = uint16_t;
  using Value = HalfVector;
  static constexpr const char* kName = "halfvec";
  static constexpr int kMaxDim = kHalfvecMaxDim;
  static constexpr float kOutOfRangeAt = 65520.0f;  // the smallest magnitude that rounds to infinity

  static float to_float(Elem e) { return half_to_float(e); }
  static Elem from_float(float f) { return float_to_half(f); }
  static bool is_zero(Elem e) { return (e & 0x7fffu) == 0; }
  static void check_element(Elem e) { check_finite_element(kName, half_to_float(e)); }
  static void send_element(StringInfo buf, Elem e) { pq_sendint16(buf, e); }
  static void receive_elements(StringInfo buf, Elem* out, int n) {
    pq_copymsgbytes(buf, reinterpret_cast<char*>(out), n * static_cast<int>(sizeof(Elem)));
    for (int i = 0; i < n; ++i) out[i] = pg_ntoh16(out[i]);
  }
  static bool all_finite(const Elem* e, int n) {
    uint32 nonfinite = 0;
    for (int i = 0; i < n; ++i) nonfinite |= static_cast<uint32>((e[i] & 0x7c00u) == 0x7c00u);
    return nonfinite == 0;
  }

  static float l2sq(const Elem* a, const Elem* b, size_t n) { return kernels().l2sq_f16(a, b, n); }
  static float dot(const Elem* a, const Elem* b, size_t n) { return kernels().dot_f16(a, b, n); }
  static float l1(const Elem* a, const Elem* b, size_t n) { return kernels().l1_f16(a, b, n); }
  static CosineParts cosine(const Elem* a, const Elem* b, size_t n) { return kernels().cosine_f16(a, b, n); }
};

// Converts a float to the kind's element, raising the range error a cast or an average needs when a
// finite value does not fit (only halfvec can fail).
template <class Kind>
typename Kind::Elem checked_from_float(float f) {
  const typename Kind::Elem e = Kind::from_float(f);
  if (std::isinf(Kind::to_float(e)) && !std::isinf(f)) report_halfvec_out_of_range(f);
  return e;
}

}  // namespace piramid::pg
