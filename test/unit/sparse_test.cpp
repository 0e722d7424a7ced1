// Sparse distances must equal the dense distances of the same vectors.
#include "piramid/distance.h"
#include "piramid/sparse.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace piramid {
namespace {

struct Sparse {
  std::vector<int32_t> indices;
  std::vector<float> values;
  SparseView view() const { return SparseView{static_cast<int32_t>(indices.size()), indices.data(), values.data()}; }
};

Sparse sparsify(const std::vector<float>& dense) {
  Sparse s;
  for (size_t i = 0; i < dense.size(); ++i) {
    if (dense[i] != 0.0f) s.indices.push_back(static_cast<int32_t>(i)), s.values.push_back(dense[i]);
  }
  return s;
}

TEST(SparseDistance, EqualsDenseDistance) {
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> small(-4, 4);
  std::bernoulli_distribution present(0.3);
  const DistanceKernels& k = *kernels_for(SimdLevel::kScalar);
  for (int trial = 0; trial < 200; ++trial) {
    const size_t dim = 1 + static_cast<size_t>(trial);
    std::vector<float> a(dim, 0.0f), b(dim, 0.0f);
    for (size_t i = 0; i < dim; ++i) {
      if (present(rng)) a[i] = static_cast<float>(small(rng));
      if (present(rng)) b[i] = static_cast<float>(small(rng));
    }
    const Sparse sa = sparsify(a), sb = sparsify(b);
    // small integers: every sum is exact, so the results must be identical
    EXPECT_EQ(sparse_l2sq(sa.view(), sb.view()), k.l2sq_f32(a.data(), b.data(), dim));
    EXPECT_EQ(sparse_dot(sa.view(), sb.view()), k.dot_f32(a.data(), b.data(), dim));
    EXPECT_EQ(sparse_l1(sa.view(), sb.view()), k.l1_f32(a.data(), b.data(), dim));
    const CosineParts cs = sparse_cosine(sa.view(), sb.view()), cd = k.cosine_f32(a.data(), b.data(), dim);
    EXPECT_EQ(cs.dot, cd.dot);
    EXPECT_EQ(cs.norm_a, cd.norm_a);
    EXPECT_EQ(cs.norm_b, cd.norm_b);
    const int expected = a < b ? -1 : (b < a ? 1 : 0);  // lexicographic, same length
    EXPECT_EQ(sparse_compare_common(sa.view(), sb.view(), static_cast<int32_t>(dim)), expected);
  }
}

}  // namespace
}  // namespace piramid
