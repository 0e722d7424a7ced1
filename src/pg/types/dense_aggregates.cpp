// btree comparison and the avg aggregate of vector and halfvec. (sum uses vector_add / halfvec_add.)
//
// avg's state is a float8[] {n, sum_1, ..., sum_dim}; '{0}' is the empty state. Sums are kept in double.
#include "pg/guard.h"
#include "pg/types/dense_kind.h"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/float.h"
}

#include <cmath>

namespace piramid::pg {
namespace {

// Element by element over the common length, then the shorter value is smaller: real[]'s order.
template <class Kind>
int compare(const typename Kind::Value* a, const typename Kind::Value* b) {
  const int n = a->dim < b->dim ? a->dim : b->dim;
  for (int i = 0; i < n; ++i) {
    const float x = Kind::to_float(a->values()[i]), y = Kind::to_float(b->values()[i]);
    if (x < y) return -1;
    if (x > y) return 1;
  }
  return a->dim < b->dim ? -1 : (a->dim > b->dim ? 1 : 0);
}

template <class Kind>
int compare_args(FunctionCallInfo fcinfo) {
  return compare<Kind>(detoasted_arg<typename Kind::Value>(fcinfo, 0),
                       detoasted_arg<typename Kind::Value>(fcinfo, 1));
}

// The state array's values, after checking it is what accum/combine produce.
float8* state_values(ArrayType* state, const char* function, int* length) {
  if (ARR_NDIM(state) != 1 || ARR_DIMS(state)[0] < 1 || ARR_HASNULL(state) || ARR_ELEMTYPE(state) != FLOAT8OID)
    ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("%s: expected state array", function),
                    errdetail("The state must be a one-dimensional float8[] {count, sum_1, ..., sum_n} "
                              "without NULLs, as avg() builds it.")));
  *length = ARR_DIMS(state)[0];
  return reinterpret_cast<float8*>(ARR_DATA_PTR(state));
}

ArrayType* make_state(const float8* values, int length) {
  Datum* datums = static_cast<Datum*>(palloc(sizeof(Datum) * length));
  for (int i = 0; i < length; ++i) datums[i] = Float8GetDatum(values[i]);
  return construct_array(datums, length, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

void check_state_dims(int state_dim, int value_dim) {
  if (state_dim != value_dim)
    ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
                    errmsg("expected %d dimensions, not %d", state_dim, value_dim),
                    errhint("avg() needs every value to have the same number of dimensions.")));
}

template <class Kind>
Datum accumulate(FunctionCallInfo fcinfo, const char* function) {
  int length = 0;
  const float8* state = state_values(PG_GETARG_ARRAYTYPE_P(0), function, &length);
  const auto* v = detoasted_arg<typename Kind::Value>(fcinfo, 1);
  if (length > 1) check_state_dims(length - 1, v->dim);
  float8* next = static_cast<float8*>(palloc(sizeof(float8) * (v->dim + 1)));
  next[0] = state[0] + 1.0;
  for (int i = 0; i < v->dim; ++i) {
    next[i + 1] = (length > 1 ? state[i + 1] : 0.0) + Kind::to_float(v->values()[i]);
    if (std::isinf(next[i + 1])) report_overflow("avg");
  }
  PG_RETURN_ARRAYTYPE_P(make_state(next, v->dim + 1));
}

Datum combine(FunctionCallInfo fcinfo) {
  int length_a = 0, length_b = 0;
  const float8* a = state_values(PG_GETARG_ARRAYTYPE_P(0), "vector_combine", &length_a);
  const float8* b = state_values(PG_GETARG_ARRAYTYPE_P(1), "vector_combine", &length_b);
  if (a[0] == 0.0) PG_RETURN_ARRAYTYPE_P(make_state(b, length_b));
  if (b[0] == 0.0) PG_RETURN_ARRAYTYPE_P(make_state(a, length_a));
  check_state_dims(length_a - 1, length_b - 1);
  float8* sum = static_cast<float8*>(palloc(sizeof(float8) * length_a));
  sum[0] = a[0] + b[0];
  for (int i = 1; i < length_a; ++i) {
    sum[i] = a[i] + b[i];
    if (std::isinf(sum[i])) report_overflow("avg");
  }
  PG_RETURN_ARRAYTYPE_P(make_state(sum, length_a));
}

template <class Kind>
Datum average(FunctionCallInfo fcinfo, const char* function) {
  int length = 0;
  const float8* state = state_values(PG_GETARG_ARRAYTYPE_P(0), function, &length);
  const double n = state[0];
  if (n == 0.0) PG_RETURN_NULL();
  const int dim = length - 1;
  check_dimension_count(Kind::kName, dim, Kind::kMaxDim);
  auto* result = new_dense_vector<typename Kind::Elem>(dim);
  for (int i = 0; i < dim; ++i) {
    result->values()[i] = checked_from_float<Kind>(static_cast<float>(state[i + 1] / n));
    Kind::check_element(result->values()[i]);
  }
  PG_RETURN_POINTER(result);
}

}  // namespace
}  // namespace piramid::pg

using namespace piramid::pg;

PIRAMID_FUNCTION(vector_cmp) { PG_RETURN_INT32(compare_args<VectorKind>(fcinfo)); }
PIRAMID_FUNCTION(vector_lt) { PG_RETURN_BOOL(compare_args<VectorKind>(fcinfo) < 0); }
PIRAMID_FUNCTION(vector_le) { PG_RETURN_BOOL(compare_args<VectorKind>(fcinfo) <= 0); }
PIRAMID_FUNCTION(vector_eq) { PG_RETURN_BOOL(compare_args<VectorKind>(fcinfo) == 0); }
PIRAMID_FUNCTION(vector_ne) { PG_RETURN_BOOL(compare_args<VectorKind>(fcinfo) != 0); }
PIRAMID_FUNCTION(vector_ge) { PG_RETURN_BOOL(compare_args<VectorKind>(fcinfo) >= 0); }
PIRAMID_FUNCTION(vector_gt) { PG_RETURN_BOOL(compare_args<VectorKind>(fcinfo) > 0); }
PIRAMID_FUNCTION(halfvec_cmp) { PG_RETURN_INT32(compare_args<HalfvecKind>(fcinfo)); }
PIRAMID_FUNCTION(halfvec_lt) { PG_RETURN_BOOL(compare_args<HalfvecKind>(fcinfo) < 0); }
PIRAMID_FUNCTION(halfvec_le) { PG_RETURN_BOOL(compare_args<HalfvecKind>(fcinfo) <= 0); }
PIRAMID_FUNCTION(halfvec_eq) { PG_RETURN_BOOL(compare_args<HalfvecKind>(fcinfo) == 0); }
PIRAMID_FUNCTION(halfvec_ne) { PG_RETURN_BOOL(compare_args<HalfvecKind>(fcinfo) != 0); }
PIRAMID_FUNCTION(halfvec_ge) { PG_RETURN_BOOL(compare_args<HalfvecKind>(fcinfo) >= 0); }
PIRAMID_FUNCTION(halfvec_gt) { PG_RETURN_BOOL(compare_args<HalfvecKind>(fcinfo) > 0); }

PIRAMID_FUNCTION(vector_accum) { return accumulate<VectorKind>(fcinfo, "vector_accum"); }
PIRAMID_FUNCTION(halfvec_accum) { return accumulate<HalfvecKind>(fcinfo, "halfvec_accum"); }
PIRAMID_FUNCTION(vector_combine) { return combine(fcinfo); }
PIRAMID_FUNCTION(vector_avg) { return average<VectorKind>(fcinfo, "vector_avg"); }
PIRAMID_FUNCTION(halfvec_avg) { return average<HalfvecKind>(fcinfo, "halfvec_avg"); }
