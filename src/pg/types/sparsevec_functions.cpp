// Distances, norm, normalisation and btree comparison of sparsevec.
#include "pg/guard.h"
#include "pg/types/type_checks.h"
#include "pg/types/vector_types.h"
#include "piramid/sparse.h"

#include <cmath>

namespace piramid::pg {
namespace {

SparseView view_of(const SparseVector* v) { return SparseView{v->nnz, v->indices(), v->values()}; }

struct SparsePair {
  SparseView a, b;
};

SparsePair same_size_args(FunctionCallInfo fcinfo) {
  const auto* a = detoasted_arg<SparseVector>(fcinfo, 0);
  const auto* b = detoasted_arg<SparseVector>(fcinfo, 1);
  check_same_dimensions("sparsevec", a->dim, b->dim);
  return SparsePair{view_of(a), view_of(b)};
}

double norm_of(const SparseVector* v) {
  double sum = 0.0;
  for (int i = 0; i < v->nnz; ++i) sum += static_cast<double>(v->values()[i]) * v->values()[i];
  return std::sqrt(sum);
}

int compare_args(FunctionCallInfo fcinfo) {
  const auto* a = detoasted_arg<SparseVector>(fcinfo, 0);
  const auto* b = detoasted_arg<SparseVector>(fcinfo, 1);
  const int common = sparse_compare_common(view_of(a), view_of(b), a->dim < b->dim ? a->dim : b->dim);
  if (common != 0) return common;
  return a->dim < b->dim ? -1 : (a->dim > b->dim ? 1 : 0);
}

}  // namespace
}  // namespace piramid::pg

using namespace piramid::pg;

PIRAMID_FUNCTION(sparsevec_l2_distance) {
  SparsePair p = same_size_args(fcinfo);
  PG_RETURN_FLOAT8(std::sqrt(static_cast<double>(piramid::sparse_l2sq(p.a, p.b))));
}

PIRAMID_FUNCTION(sparsevec_l2_squared_distance) {
  SparsePair p = same_size_args(fcinfo);
  PG_RETURN_FLOAT8(static_cast<double>(piramid::sparse_l2sq(p.a, p.b)));
}

PIRAMID_FUNCTION(sparsevec_inner_product) {
  SparsePair p = same_size_args(fcinfo);
  PG_RETURN_FLOAT8(static_cast<double>(piramid::sparse_dot(p.a, p.b)));
}

PIRAMID_FUNCTION(sparsevec_negative_inner_product) {
  SparsePair p = same_size_args(fcinfo);
  PG_RETURN_FLOAT8(-static_cast<double>(piramid::sparse_dot(p.a, p.b)));
}

PIRAMID_FUNCTION(sparsevec_cosine_distance) {
  SparsePair p = same_size_args(fcinfo);
  const piramid::CosineParts c = piramid::sparse_cosine(p.a, p.b);
  double similarity = static_cast<double>(c.dot) / std::sqrt(static_cast<double>(c.norm_a) * c.norm_b);
  if (similarity > 1.0) similarity = 1.0;
  else if (similarity < -1.0) similarity = -1.0;
  PG_RETURN_FLOAT8(1.0 - similarity);
}

PIRAMID_FUNCTION(sparsevec_l1_distance) {
  SparsePair p = same_size_args(fcinfo);
  PG_RETURN_FLOAT8(static_cast<double>(piramid::sparse_l1(p.a, p.b)));
}

PIRAMID_FUNCTION(sparsevec_l2_norm) { PG_RETURN_FLOAT8(norm_of(detoasted_arg<SparseVector>(fcinfo, 0))); }

// Elements that become zero after division are dropped, so the result stays a valid sparsevec.
PIRAMID_FUNCTION(sparsevec_l2_normalize) {
  const auto* v = detoasted_arg<SparseVector>(fcinfo, 0);
  const double norm = norm_of(v);
  int nnz = 0;
  float* values = static_cast<float*>(palloc(sizeof(float) * (v->nnz + 1)));
  int32* indices = static_cast<int32*>(palloc(sizeof(int32) * (v->nnz + 1)));
  if (norm > 0) {
    for (int i = 0; i < v->nnz; ++i) {
      const float x = static_cast<float>(v->values()[i] / norm);
      if (std::isinf(x)) report_overflow("l2_normalize");
      if (x != 0.0f) {
        indices[nnz] = v->indices()[i];
        values[nnz] = x;
        ++nnz;
      }
    }
  }
  SparseVector* result = new_sparse_vector(v->dim, nnz);
  memcpy(result->indices(), indices, sizeof(int32) * nnz);
  memcpy(result->values(), values, sizeof(float) * nnz);
  PG_RETURN_POINTER(result);
}

PIRAMID_FUNCTION(sparsevec_cmp) { PG_RETURN_INT32(compare_args(fcinfo)); }
PIRAMID_FUNCTION(sparsevec_lt) { PG_RETURN_BOOL(compare_args(fcinfo) < 0); }
PIRAMID_FUNCTION(sparsevec_le) { PG_RETURN_BOOL(compare_args(fcinfo) <= 0); }
PIRAMID_FUNCTION(sparsevec_eq) { PG_RETURN_BOOL(compare_args(fcinfo) == 0); }
PIRAMID_FUNCTION(sparsevec_ne) { PG_RETURN_BOOL(compare_args(fcinfo) != 0); }
PIRAMID_FUNCTION(sparsevec_ge) { PG_RETURN_BOOL(compare_args(fcinfo) >= 0); }
PIRAMID_FUNCTION(sparsevec_gt) { PG_RETURN_BOOL(compare_args(fcinfo) > 0); }
