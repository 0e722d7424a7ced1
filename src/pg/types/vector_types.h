// In-memory layouts of vector, halfvec and sparsevec (the same as pgvector's, so the binary send/recv
// formats map one to one) and the helpers every function on them uses.
#pragma once

#include "pg/postgres_headers.h"

#include <cstdint>

namespace piramid::pg {

constexpr int kVectorMaxDim = 16000;
constexpr int kHalfvecMaxDim = 16000;
constexpr int kSparsevecMaxDim = 1000000000;
constexpr int kSparsevecMaxNnz = 16000;

// vector (Elem = float) and halfvec (Elem = uint16_t holding IEEE binary16): a varlena header, the
// number of dimensions, a reserved int16 that is always 0, then the elements.
template <class Elem>
struct DenseVector {
  int32 vl_len_;
  int16 dim;
  int16 unused;

  Elem* values() { return reinterpret_cast<Elem*>(this + 1); }
  const Elem* values() const { return reinterpret_cast<const Elem*>(this + 1); }
  static size_t size_for(int dim) { return sizeof(DenseVector) + sizeof(Elem) * static_cast<size_t>(dim); }
};
static_assert(sizeof(DenseVector<float>) == 8, "vector header must be 8 bytes");

using Vector = DenseVector<float>;
using HalfVector = DenseVector<uint16_t>;

// sparsevec: a varlena header, dimensions, number of stored elements, a reserved int32 (0), then nnz
// strictly increasing 0-based indices followed by their nnz float values (never zero).
struct SparseVector {
  int32 vl_len_;
  int32 dim;
  int32 nnz;
  int32 unused;

  int32* indices() { return reinterpret_cast<int32*>(this + 1); }
  const int32* indices() const { return reinterpret_cast<const int32*>(this + 1); }
  float* values() { return reinterpret_cast<float*>(indices() + nnz); }
  const float* values() const { return reinterpret_cast<const float*>(indices() + nnz); }
  static size_t size_for(int nnz) { return sizeof(SparseVector) + 8 * static_cast<size_t>(nnz); }
};
static_assert(sizeof(SparseVector) == 16, "sparsevec header must be 16 bytes");

// A zeroed dense vector of dim elements, palloc'd in the current memory context.
template <class Elem>
DenseVector<Elem>* new_dense_vector(int dim) {
  const size_t size = DenseVector<Elem>::size_for(dim);
  auto* v = static_cast<DenseVector<Elem>*>(palloc0(size));
  SET_VARSIZE(v, size);
  v->dim = static_cast<int16>(dim);
  return v;
}

inline SparseVector* new_sparse_vector(int dim, int nnz) {
  const size_t size = SparseVector::size_for(nnz);
  auto* v = static_cast<SparseVector*>(palloc0(size));
  SET_VARSIZE(v, size);
  v->dim = dim;
  v->nnz = nnz;
  return v;
}

template <class T>
T* detoasted_arg(FunctionCallInfo fcinfo, int n) {
  return reinterpret_cast<T*>(PG_DETOAST_DATUM(PG_GETARG_DATUM(n)));
}

}  // namespace piramid::pg
