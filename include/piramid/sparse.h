// Distances between sparse vectors: a merge walk over the two sorted index lists, accumulating in float.
#pragma once

#include "piramid/distance.h"

#include <cstdint>

namespace piramid {

struct SparseView {
  int32_t nnz;
  const int32_t* indices;  // strictly increasing
  const float* values;
};

float sparse_l2sq(const SparseView& a, const SparseView& b);
float sparse_dot(const SparseView& a, const SparseView& b);
float sparse_l1(const SparseView& a, const SparseView& b);
CosineParts sparse_cosine(const SparseView& a, const SparseView& b);

// Sign of (dense a) compared with (dense b) over their common dim positions: -1, 0 or 1. Absent
// elements are zero.
int sparse_compare_common(const SparseView& a, const SparseView& b, int32_t common_dim);

}  // namespace piramid
