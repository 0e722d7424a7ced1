// Casts between vector, halfvec, sparsevec and SQL arrays (integer[], real[], double precision[],
// numeric[] in; real[] out). Every cast function takes (value, typmod, explicit) like a length coercion.
#include "pg/guard.h"
#include "pg/types/dense_kind.h"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/lsyscache.h"
}

namespace piramid::pg {
namespace {

// The array's elements as floats, after the checks every array cast shares. *count is the array length.
float* array_as_floats(ArrayType* array, const char* type_name, long max_dim, int* count) {
  if (ARR_NDIM(array) > 1)
    ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("array must be 1-D"),
                    errdetail("The array has %d dimensions.", ARR_NDIM(array))));
  if (ARR_HASNULL(array) && array_contains_nulls(array))
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("array must not contain nulls"),
                    errhint("Replace the NULL elements, for example with coalesce(x, 0).")));
  const Oid element_type = ARR_ELEMTYPE(array);
  int16 typlen;
  bool typbyval;
  char typalign;
  get_typlenbyvalalign(element_type, &typlen, &typbyval, &typalign);
  Datum* elements;
  int n = 0;
  deconstruct_array(array, element_type, typlen, typbyval, typalign, &elements, nullptr, &n);
  check_dimension_count(type_name, n, max_dim);
  float* out = static_cast<float*>(palloc(sizeof(float) * n));
  for (int i = 0; i < n; ++i) {
    switch (element_type) {
      case INT4OID: out[i] = static_cast<float>(DatumGetInt32(elements[i])); break;
      case FLOAT8OID: out[i] = static_cast<float>(DatumGetFloat8(elements[i])); break;
      case FLOAT4OID: out[i] = DatumGetFloat4(elements[i]); break;
      case NUMERICOID: out[i] = DatumGetFloat4(DirectFunctionCall1(numeric_float4, elements[i])); break;
      default:
        ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("unsupported array type"),
                        errdetail("Arrays of %s cannot be cast to %s.", format_type_be(element_type), type_name)));
    }
  }
  *count = n;
  return out;
}

template <class Kind>
Datum array_to_dense(FunctionCallInfo fcinfo) {
  int n = 0;
  const float* values = array_as_floats(PG_GETARG_ARRAYTYPE_P(0), Kind::kName, Kind::kMaxDim, &n);
  check_typmod(PG_GETARG_INT32(1), n);
  auto* result = new_dense_vector<typename Kind::Elem>(n);
  for (int i = 0; i < n; ++i) {
    if (std::isfinite(values[i])) result->values()[i] = checked_from_float<Kind>(values[i]);
    check_finite_element(Kind::kName, values[i]);
  }
  PG_RETURN_POINTER(result);
}

template <class Kind>
Datum dense_to_float4_array(FunctionCallInfo fcinfo) {
  const auto* v = detoasted_arg<typename Kind::Value>(fcinfo, 0);
  Datum* datums = static_cast<Datum*>(palloc(sizeof(Datum) * v->dim));
  for (int i = 0; i < v->dim; ++i) datums[i] = Float4GetDatum(Kind::to_float(v->values()[i]));
  PG_RETURN_POINTER(construct_array(datums, v->dim, FLOAT4OID, sizeof(float4), true, TYPALIGN_INT));
}

template <class From, class To>
Datum dense_to_dense(FunctionCallInfo fcinfo) {
  const auto* v = detoasted_arg<typename From::Value>(fcinfo, 0);
  check_dimension_count(To::kName, v->dim, To::kMaxDim);
  check_typmod(PG_GETARG_INT32(1), v->dim);
  auto* result = new_dense_vector<typename To::Elem>(v->dim);
  for (int i = 0; i < v->dim; ++i) result->values()[i] = checked_from_float<To>(From::to_float(v->values()[i]));
  PG_RETURN_POINTER(result);
}

SparseVector* sparse_from_floats(const float* values, int dim) {
  int nnz = 0;
  for (int i = 0; i < dim; ++i) nnz += values[i] != 0.0f;
  SparseVector* result = new_sparse_vector(dim, nnz);
  for (int i = 0, k = 0; i < dim; ++i) {
    if (values[i] == 0.0f) continue;
    check_finite_element("sparsevec", values[i]);
    result->indices()[k] = i;
    result->values()[k] = values[i];
    ++k;
  }
  return result;
}

template <class Kind>
Datum dense_to_sparse(FunctionCallInfo fcinfo) {
  const auto* v = detoasted_arg<typename Kind::Value>(fcinfo, 0);
  check_typmod(PG_GETARG_INT32(1), v->dim);
  float* values = static_cast<float*>(palloc(sizeof(float) * v->dim));
  for (int i = 0; i < v->dim; ++i) values[i] = Kind::to_float(v->values()[i]);
  PG_RETURN_POINTER(sparse_from_floats(values, v->dim));
}

template <class Kind>
Datum sparse_to_dense(FunctionCallInfo fcinfo) {
  const auto* v = detoasted_arg<SparseVector>(fcinfo, 0);
  check_dimension_count(Kind::kName, v->dim, Kind::kMaxDim);
  check_typmod(PG_GETARG_INT32(1), v->dim);
  auto* result = new_dense_vector<typename Kind::Elem>(v->dim);
  for (int i = 0; i < v->nnz; ++i)
    result->values()[v->indices()[i]] = checked_from_float<Kind>(v->values()[i]);
  PG_RETURN_POINTER(result);
}

}  // namespace
}  // namespace piramid::pg

using namespace piramid::pg;

PIRAMID_FUNCTION(array_to_vector) { return array_to_dense<VectorKind>(fcinfo); }
PIRAMID_FUNCTION(array_to_halfvec) { return array_to_dense<HalfvecKind>(fcinfo); }
PIRAMID_FUNCTION(array_to_sparsevec) {
  int n = 0;
  const float* values = array_as_floats(PG_GETARG_ARRAYTYPE_P(0), "sparsevec", kSparsevecMaxDim, &n);
  check_typmod(PG_GETARG_INT32(1), n);
  SparseVector* result = sparse_from_floats(values, n);
  if (result->nnz > kSparsevecMaxNnz)
    ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                    errmsg("sparsevec cannot have more than %d non-zero elements", kSparsevecMaxNnz),
                    errdetail("The array has %d non-zero elements.", result->nnz)));
  PG_RETURN_POINTER(result);
}
PIRAMID_FUNCTION(vector_to_float4) { return dense_to_float4_array<VectorKind>(fcinfo); }
PIRAMID_FUNCTION(halfvec_to_float4) { return dense_to_float4_array<HalfvecKind>(fcinfo); }
PIRAMID_FUNCTION(halfvec_to_vector) { return dense_to_dense<HalfvecKind, VectorKind>(fcinfo); }
PIRAMID_FUNCTION(vector_to_halfvec) { return dense_to_dense<VectorKind, HalfvecKind>(fcinfo); }
PIRAMID_FUNCTION(vector_to_sparsevec) { return dense_to_sparse<VectorKind>(fcinfo); }
PIRAMID_FUNCTION(halfvec_to_sparsevec) { return dense_to_sparse<HalfvecKind>(fcinfo); }
PIRAMID_FUNCTION(sparsevec_to_vector) { return sparse_to_dense<VectorKind>(fcinfo); }
PIRAMID_FUNCTION(sparsevec_to_halfvec) { return sparse_to_dense<HalfvecKind>(fcinfo); }
