// What differs between vector (float elements) and halfvec (binary16 elements). Every function that works
// on both is written once as a template over one of these kinds.
#pragma once

#include "pg/types/type_checks.h"
#include "pg/types/vector_types.h"
#include "piramid/distance.h"
#include "piramid/half.h"

#include <cmath>

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
  static Elem receive_element(StringInfo buf) { return pq_getmsgfloat4(buf); }

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
  static Elem receive_element(StringInfo buf) { return static_cast<Elem>(pq_getmsgint(buf, 2)); }

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
