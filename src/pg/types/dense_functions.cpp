// Distances, norms and element-wise functions of vector and halfvec. Sums accumulate in float (as in
// pgvector) through the SIMD kernels; norms accumulate in double.
#include "pg/guard.h"
#include "pg/types/dense_kind.h"

extern "C" {
#include "utils/varbit.h"
}

#include <cmath>

namespace piramid::pg {
namespace {

template <class Kind>
struct Pair {
  const typename Kind::Value* a;
  const typename Kind::Value* b;
};

// The two arguments of a distance or element-wise function, checked to have equal dimensions.
template <class Kind>
Pair<Kind> same_size_args(FunctionCallInfo fcinfo) {
  Pair<Kind> p{detoasted_arg<typename Kind::Value>(fcinfo, 0), detoasted_arg<typename Kind::Value>(fcinfo, 1)};
  check_same_dimensions(Kind::kName, p.a->dim, p.b->dim);
  return p;
}

double cosine_from_parts(const CosineParts& c) {
  double similarity = static_cast<double>(c.dot) / std::sqrt(static_cast<double>(c.norm_a) * c.norm_b);
  // NaN (a zero vector) passes through: the distance to a zero vector is undefined.
  if (similarity > 1.0) similarity = 1.0;
  else if (similarity < -1.0) similarity = -1.0;
  return 1.0 - similarity;
}

template <class Kind>
Datum l2_distance(FunctionCallInfo fcinfo) {
  auto p = same_size_args<Kind>(fcinfo);
  PG_RETURN_FLOAT8(std::sqrt(static_cast<double>(Kind::l2sq(p.a->values(), p.b->values(), p.a->dim))));
}

template <class Kind>
Datum l2_squared_distance(FunctionCallInfo fcinfo) {
  auto p = same_size_args<Kind>(fcinfo);
  PG_RETURN_FLOAT8(static_cast<double>(Kind::l2sq(p.a->values(), p.b->values(), p.a->dim)));
}

template <class Kind>
Datum inner_product(FunctionCallInfo fcinfo) {
  auto p = same_size_args<Kind>(fcinfo);
  PG_RETURN_FLOAT8(static_cast<double>(Kind::dot(p.a->values(), p.b->values(), p.a->dim)));
}

template <class Kind>
Datum negative_inner_product(FunctionCallInfo fcinfo) {
  auto p = same_size_args<Kind>(fcinfo);
  PG_RETURN_FLOAT8(-static_cast<double>(Kind::dot(p.a->values(), p.b->values(), p.a->dim)));
}

template <class Kind>
Datum cosine_distance(FunctionCallInfo fcinfo) {
  auto p = same_size_args<Kind>(fcinfo);
  PG_RETURN_FLOAT8(cosine_from_parts(Kind::cosine(p.a->values(), p.b->values(), p.a->dim)));
}

// Angle between the vectors as a fraction of pi: a metric on the sphere, for spherical k-means.
template <class Kind>
Datum spherical_distance(FunctionCallInfo fcinfo) {
  auto p = same_size_args<Kind>(fcinfo);
  double similarity = 1.0 - cosine_from_parts(Kind::cosine(p.a->values(), p.b->values(), p.a->dim));
  if (std::isnan(similarity)) similarity = 0.0;
  PG_RETURN_FLOAT8(std::acos(similarity) / M_PI);
}

template <class Kind>
Datum l1_distance(FunctionCallInfo fcinfo) {
  auto p = same_size_args<Kind>(fcinfo);
  PG_RETURN_FLOAT8(static_cast<double>(Kind::l1(p.a->values(), p.b->values(), p.a->dim)));
}

template <class Kind>
double norm_of(const typename Kind::Value* v) {
  double sum = 0.0;
  for (int i = 0; i < v->dim; ++i) {
    const double x = Kind::to_float(v->values()[i]);
    sum += x * x;
  }
  return std::sqrt(sum);
}

template <class Kind>
Datum norm(FunctionCallInfo fcinfo) {
  PG_RETURN_FLOAT8(norm_of<Kind>(detoasted_arg<typename Kind::Value>(fcinfo, 0)));
}

template <class Kind>
Datum dims(FunctionCallInfo fcinfo) {
  PG_RETURN_INT32(detoasted_arg<typename Kind::Value>(fcinfo, 0)->dim);
}

// Unit vector in the same direction; the zero vector stays zero (it has no direction).
template <class Kind>
Datum l2_normalize(FunctionCallInfo fcinfo) {
  const auto* v = detoasted_arg<typename Kind::Value>(fcinfo, 0);
  const double norm = norm_of<Kind>(v);
  auto* result = new_dense_vector<typename Kind::Elem>(v->dim);
  if (norm > 0) {
    for (int i = 0; i < v->dim; ++i) {
      result->values()[i] = Kind::from_float(static_cast<float>(Kind::to_float(v->values()[i]) / norm));
      if (std::isinf(Kind::to_float(result->values()[i]))) report_overflow("l2_normalize");
    }
  }
  PG_RETURN_POINTER(result);
}

struct Add {
  static constexpr const char* kName = "+";
  static float apply(float x, float y) { return x + y; }
};
struct Subtract {
  static constexpr const char* kName = "-";
  static float apply(float x, float y) { return x - y; }
};
struct Multiply {
  static constexpr const char* kName = "*";
  static float apply(float x, float y) { return x * y; }
};

template <class Kind, class Op>
Datum elementwise(FunctionCallInfo fcinfo) {
  auto p = same_size_args<Kind>(fcinfo);
  auto* result = new_dense_vector<typename Kind::Elem>(p.a->dim);
  for (int i = 0; i < p.a->dim; ++i) {
    const float x = Kind::to_float(p.a->values()[i]), y = Kind::to_float(p.b->values()[i]);
    const typename Kind::Elem r = Kind::from_float(Op::apply(x, y));
    const float rf = Kind::to_float(r);
    if (std::isinf(rf)) report_overflow(Op::kName);
    if (std::is_same_v<Op, Multiply> && rf == 0.0f && x != 0.0f && y != 0.0f) report_underflow(Op::kName);
    result->values()[i] = r;
  }
  PG_RETURN_POINTER(result);
}

template <class Kind>
Datum concat(FunctionCallInfo fcinfo) {
  const auto* a = detoasted_arg<typename Kind::Value>(fcinfo, 0);
  const auto* b = detoasted_arg<typename Kind::Value>(fcinfo, 1);
  const int dim = a->dim + b->dim;
  check_dimension_count(Kind::kName, dim, Kind::kMaxDim);
  auto* result = new_dense_vector<typename Kind::Elem>(dim);
  memcpy(result->values(), a->values(), sizeof(typename Kind::Elem) * a->dim);
  memcpy(result->values() + a->dim, b->values(), sizeof(typename Kind::Elem) * b->dim);
  PG_RETURN_POINTER(result);
}

// Elements start..start+count-1 (1-based, like substring); the range is clipped to the vector.
template <class Kind>
Datum subvector(FunctionCallInfo fcinfo) {
  const auto* v = detoasted_arg<typename Kind::Value>(fcinfo, 0);
  int32 start = PG_GETARG_INT32(1);
  const int32 count = PG_GETARG_INT32(2);
  const int32 dim = v->dim;
  if (count < 1)
    ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("%s must have at least 1 dimension", Kind::kName),
                    errdetail("subvector was asked for %d elements.", count)));
  // end is one past the last element; computed without overflowing int32
  const int32 end = start > dim - count ? dim + 1 : start + count;
  if (start < 1) {
    start = 1;
  } else if (start > dim) {
    ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("%s must have at least 1 dimension", Kind::kName),
                    errdetail("Start position %d is past the last of %d elements.", start, dim)));
  }
  if (end - start < 1)
    ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("%s must have at least 1 dimension", Kind::kName),
                    errdetail("Elements %d to %d lie before the first element.", PG_GETARG_INT32(1), end - 1)));
  auto* result = new_dense_vector<typename Kind::Elem>(end - start);
  memcpy(result->values(), v->values() + (start - 1), sizeof(typename Kind::Elem) * (end - start));
  PG_RETURN_POINTER(result);
}

// One bit per element: 1 where the element is positive.
template <class Kind>
Datum binary_quantize(FunctionCallInfo fcinfo) {
  const auto* v = detoasted_arg<typename Kind::Value>(fcinfo, 0);
  const size_t size = VARBITTOTALLEN(v->dim);
  VarBit* result = static_cast<VarBit*>(palloc0(size));
  SET_VARSIZE(result, size);
  VARBITLEN(result) = v->dim;
  bits8* bits = VARBITS(result);
  for (int i = 0; i < v->dim; ++i) {
    if (Kind::to_float(v->values()[i]) > 0.0f) bits[i / 8] |= static_cast<bits8>(0x80 >> (i % 8));
  }
  PG_RETURN_VARBIT_P(result);
}

}  // namespace
}  // namespace piramid::pg

using namespace piramid::pg;

PIRAMID_FUNCTION(l2_distance) { return l2_distance<VectorKind>(fcinfo); }
PIRAMID_FUNCTION(vector_l2_squared_distance) { return l2_squared_distance<VectorKind>(fcinfo); }
PIRAMID_FUNCTION(inner_product) { return inner_product<VectorKind>(fcinfo); }
PIRAMID_FUNCTION(vector_negative_inner_product) { return negative_inner_product<VectorKind>(fcinfo); }
PIRAMID_FUNCTION(cosine_distance) { return cosine_distance<VectorKind>(fcinfo); }
PIRAMID_FUNCTION(vector_spherical_distance) { return spherical_distance<VectorKind>(fcinfo); }
PIRAMID_FUNCTION(l1_distance) { return l1_distance<VectorKind>(fcinfo); }
PIRAMID_FUNCTION(vector_dims) { return dims<VectorKind>(fcinfo); }
PIRAMID_FUNCTION(vector_norm) { return norm<VectorKind>(fcinfo); }
PIRAMID_FUNCTION(l2_normalize) { return l2_normalize<VectorKind>(fcinfo); }
PIRAMID_FUNCTION(vector_add) { return elementwise<VectorKind, Add>(fcinfo); }
PIRAMID_FUNCTION(vector_sub) { return elementwise<VectorKind, Subtract>(fcinfo); }
PIRAMID_FUNCTION(vector_mul) { return elementwise<VectorKind, Multiply>(fcinfo); }
PIRAMID_FUNCTION(vector_concat) { return concat<VectorKind>(fcinfo); }
PIRAMID_FUNCTION(subvector) { return subvector<VectorKind>(fcinfo); }
PIRAMID_FUNCTION(binary_quantize) { return binary_quantize<VectorKind>(fcinfo); }

PIRAMID_FUNCTION(halfvec_l2_distance) { return l2_distance<HalfvecKind>(fcinfo); }
PIRAMID_FUNCTION(halfvec_l2_squared_distance) { return l2_squared_distance<HalfvecKind>(fcinfo); }
PIRAMID_FUNCTION(halfvec_inner_product) { return inner_product<HalfvecKind>(fcinfo); }
PIRAMID_FUNCTION(halfvec_negative_inner_product) { return negative_inner_product<HalfvecKind>(fcinfo); }
PIRAMID_FUNCTION(halfvec_cosine_distance) { return cosine_distance<HalfvecKind>(fcinfo); }
PIRAMID_FUNCTION(halfvec_spherical_distance) { return spherical_distance<HalfvecKind>(fcinfo); }
PIRAMID_FUNCTION(halfvec_l1_distance) { return l1_distance<HalfvecKind>(fcinfo); }
PIRAMID_FUNCTION(halfvec_vector_dims) { return dims<HalfvecKind>(fcinfo); }
PIRAMID_FUNCTION(halfvec_l2_norm) { return norm<HalfvecKind>(fcinfo); }
PIRAMID_FUNCTION(halfvec_l2_normalize) { return l2_normalize<HalfvecKind>(fcinfo); }
PIRAMID_FUNCTION(halfvec_add) { return elementwise<HalfvecKind, Add>(fcinfo); }
PIRAMID_FUNCTION(halfvec_sub) { return elementwise<HalfvecKind, Subtract>(fcinfo); }
PIRAMID_FUNCTION(halfvec_mul) { return elementwise<HalfvecKind, Multiply>(fcinfo); }
PIRAMID_FUNCTION(halfvec_concat) { return concat<HalfvecKind>(fcinfo); }
PIRAMID_FUNCTION(halfvec_subvector) { return subvector<HalfvecKind>(fcinfo); }
PIRAMID_FUNCTION(halfvec_binary_quantize) { return binary_quantize<HalfvecKind>(fcinfo); }
