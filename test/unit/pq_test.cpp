// PQ: code packing, shape checks, encode/decode error bounds, ADC equal to the direct distance to the
// decoded vector (for L2, inner product and cosine, every bit width), the SIMD batch equal to one-by-one.
#include "piramid/compute/pq.h"
#include "piramid/compute/knn.h"

#include "compute_test_data.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace piramid {
namespace {

using testing::dot;
using testing::l2sq;
using testing::planted_clusters;
using testing::random_vectors;

TEST(PqCodes, PackAndUnpackEveryWidth) {
  std::mt19937 rng(1);
  for (int nbits = kPqMinBits; nbits <= kPqMaxBits; ++nbits) {
    for (size_t m : {1u, 3u, 8u, 13u, 96u}) {
      std::vector<uint32_t> values(m);
      for (auto& v : values) v = rng() & ((1u << nbits) - 1);
      std::vector<uint8_t> code(pq_code_size(m, nbits) + 1, 0);
      code.back() = 0xAB;  // a guard byte that must survive
      for (size_t j = 0; j < m; ++j) pq_put_code(code.data(), j, nbits, values[j]);
      for (size_t j = 0; j < m; ++j) ASSERT_EQ(pq_get_code(code.data(), j, nbits), values[j]) << nbits << " " << m;
      EXPECT_EQ(code.back(), 0xAB);
    }
  }
  EXPECT_EQ(pq_code_size(96, 8), 96u);
  EXPECT_EQ(pq_code_size(96, 4), 48u);
  EXPECT_EQ(pq_code_size(5, 6), 4u);
}

TEST(Pq, RejectsBadShapes) {
  EXPECT_THROW((PqShape{10, 3, 8}.validate()), Error);  // 3 does not divide 10
  EXPECT_THROW((PqShape{16, 4, 3}.validate()), Error);
  EXPECT_THROW((PqShape{16, 4, 9}.validate()), Error);
  EXPECT_THROW((PqShape{16, 0, 8}.validate()), Error);
  EXPECT_NO_THROW((PqShape{16, 16, 4}.validate()));
  const auto x = random_vectors(100, 16, 1);
  std::vector<float> cb(PqShape{16, 4, 8}.codebook_floats());
  EXPECT_THROW(pq_train(PqShape{16, 4, 8}, x.data(), 100, {}, cb.data()), Error) << "fewer rows than centroids";
}

// Trains on data with structure per subspace and checks reconstruction error is far below the data's
// variance, and exactly the distance to the chosen centroid (encoding picks the nearest one).
TEST(Pq, EncodeDecodeErrorIsSmallAndNearest) {
  const size_t dim = 32, n = 64 * 60;
  const auto p = planted_clusters(64, 60, dim, 3.0f, 0.05f, 2);
  for (int nbits : {4, 6, 8}) {
    const PqShape shape{dim, 8, nbits};
    std::vector<float> cb(shape.codebook_floats());
    PqTrainOptions o;
    o.iterations = 12;
    pq_train(shape, p.x.data(), n, o, cb.data());
    std::vector<uint8_t> codes(n * shape.code_size());
    pq_encode(shape, cb.data(), p.x.data(), n, codes.data());
    std::vector<float> back(n * dim);
    pq_decode(shape, cb.data(), codes.data(), n, back.data());
    double err = 0, var = 0;
    for (size_t i = 0; i < n; ++i) {
      err += l2sq(&p.x[i * dim], &back[i * dim], dim);
      var += dot(&p.x[i * dim], &p.x[i * dim], dim);
      // No other centroid of a subspace is closer than the one encoded (up to float rounding).
      for (size_t j = 0; j < shape.m; j += 3) {
        const float* sub = &p.x[i * dim + j * shape.dsub()];
        const double chosen = l2sq(sub, &back[i * dim + j * shape.dsub()], shape.dsub());
        for (size_t c = 0; c < shape.ksub(); c += 5) {
          ASSERT_GE(l2sq(sub, &cb[(j * shape.ksub() + c) * shape.dsub()], shape.dsub()), chosen - 1e-4);
        }
      }
    }
    // 16 (4-bit) centroids per 4-d subspace for 64 clusters leave real error; more bits leave less.
    const double bound = nbits == 4 ? 0.2 : 0.05;
    EXPECT_LT(err / var, bound) << nbits << " bits: relative squared error " << err / var;
  }
}

TEST(Pq, AdcEqualsDistanceToTheDecodedVector) {
  const size_t dim = 48, n = 600;
  const auto x = random_vectors(n, dim, 3);
  const auto queries = random_vectors(5, dim, 4);
  for (int nbits : {4, 5, 7, 8}) {
    for (size_t m : {6u, 8u, 16u}) {
      const PqShape shape{dim, m, nbits};
      std::vector<float> cb(shape.codebook_floats());
      PqTrainOptions o;
      o.iterations = 4;
      pq_train(shape, x.data(), n, o, cb.data());
      std::vector<uint8_t> codes(n * shape.code_size());
      pq_encode(shape, cb.data(), x.data(), n, codes.data());
      std::vector<float> back(n * dim), table(shape.table_floats()), batch(n);
      pq_decode(shape, cb.data(), codes.data(), n, back.data());
      for (Metric metric : {Metric::kL2, Metric::kInnerProduct, Metric::kCosine}) {
        for (size_t q = 0; q < 5; ++q) {
          const float* query = &queries[q * dim];
          pq_lookup_table(shape, cb.data(), query, metric, table.data());
          pq_adc_batch(shape, table.data(), codes.data(), n, batch.data());
          for (size_t i = 0; i < n; ++i) {
            const float* v = &back[i * dim];
            double want;
            if (metric == Metric::kL2) want = l2sq(query, v, dim);
            else if (metric == Metric::kInnerProduct) want = -dot(query, v, dim);
            else want = 1 - dot(query, v, dim) / std::sqrt(dot(query, query, dim));
            const float one = pq_adc(shape, table.data(), codes.data() + i * shape.code_size());
            ASSERT_NEAR(one, want, 1e-4 * (1 + std::fabs(want))) << metric_name(metric) << " bits " << nbits << " m " << m;
            ASSERT_NEAR(batch[i], one, 1e-5 * (1 + std::fabs(one))) << "batch vs single, bits " << nbits << " m " << m;
          }
        }
      }
    }
  }
}

TEST(Pq, TrainingIsDeterministic) {
  const auto x = random_vectors(1000, 16, 5);
  const PqShape shape{16, 4, 6};
  std::vector<float> a(shape.codebook_floats()), b(shape.codebook_floats());
  ComputeContext one, two;
  one.threads = 1;
  two.threads = 2;
  PqTrainOptions o;
  o.iterations = 5;
  pq_train(shape, x.data(), 1000, o, a.data(), one);
  pq_train(shape, x.data(), 1000, o, b.data(), two);
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace piramid
