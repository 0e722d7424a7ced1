// CPU and GPU backends agree: the same centroids from the same seed (within float tolerance), the same
// nearest-centroid labels, the same PQ codebooks and codes, the same exact top-k. Skipped, with the
// reason, where piramid_gpu.so or a CUDA device is missing; the library's contract without a device
// (it loads, and says "no device" instead of crashing) is checked wherever it was built.
#include "piramid/compute/backend.h"
#include "piramid/compute/kmeans.h"
#include "piramid/compute/pq.h"
#include "piramid/half.h"

#include "compute_test_data.h"
#include "gpu_library.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>

namespace piramid {
namespace {

using testing::gpu_library;

pmd_call make_call() {
  pmd_call call;
  std::memset(&call, 0, sizeof call);
  call.struct_size = sizeof call;
  return call;
}

pmd_kmeans_params kmeans_params(int clusters, int metric, int iterations, uint64_t seed) {
  pmd_kmeans_params p{};
  p.struct_size = sizeof p;
  p.clusters = clusters;
  p.metric = metric;
  p.iterations = iterations;
  p.seed = seed;
  p.init_rows_per_cluster = 16;
  return p;
}

TEST(GpuLibrary, ExportsTheVersionedTable) {
  const auto& lib = gpu_library();
  if (!lib.file_exists) GTEST_SKIP() << lib.why_not;
  ASSERT_NE(lib.api, nullptr) << lib.why_not;
  EXPECT_EQ(lib.api->abi_version, PMD_COMPUTE_ABI_VERSION);
  EXPECT_GE(lib.api->struct_size, sizeof(pmd_compute_api));
  EXPECT_STREQ(lib.api->name, "cuda");
  auto entry = reinterpret_cast<pmd_compute_entry_fn>(dlsym(lib.handle, PMD_COMPUTE_ENTRY_NAME));
  EXPECT_EQ(entry(PMD_COMPUTE_ABI_VERSION + 1), nullptr) << "an unknown ABI version must be refused";
  EXPECT_EQ(dlsym(lib.handle, "_ZN7piramid3gpu11open_deviceEi"), nullptr) << "only the entry point is exported";
}

TEST(GpuLibrary, WithoutADeviceEveryCallSaysSo) {
  const auto& lib = gpu_library();
  if (lib.api == nullptr) GTEST_SKIP() << lib.why_not;
  if (lib.device_open) GTEST_SKIP() << "a device is present; the no-device path is not reachable here";
  pmd_call call = make_call();
  EXPECT_EQ(lib.api->open_device(0, &call), PMD_NO_DEVICE);
  EXPECT_GT(std::strlen(call.message), 0u);
  const auto x = testing::random_vectors(100, 4, 1);
  std::vector<float> c(40);
  const pmd_kmeans_params p = kmeans_params(10, PMD_METRIC_L2, 2, 1);
  EXPECT_EQ(lib.api->kmeans_train(x.data(), 100, 4, &p, c.data(), nullptr, &call), PMD_NO_DEVICE);
  pmd_knn* knn = nullptr;
  EXPECT_EQ(lib.api->knn_begin(x.data(), 1, 4, PMD_METRIC_L2, 3, &knn, &call), PMD_NO_DEVICE);
  EXPECT_EQ(knn, nullptr);
  lib.api->release_cached();
}

class GpuEquivalence : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!gpu_library().device_open) GTEST_SKIP() << gpu_library().why_not;
    gpu_ = gpu_library().api;
    cpu_ = cpu_compute_api();
  }
  const pmd_compute_api* gpu_ = nullptr;
  const pmd_compute_api* cpu_ = nullptr;
};

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(static_cast<double>(a[i]) - b[i]));
  return m;
}

TEST_F(GpuEquivalence, SameCentroidsFromTheSameSeed) {
  const size_t k = 24, dim = 48;
  const auto p = testing::planted_clusters(k, 150, dim, 4.0f, 0.3f, 1);
  const int64_t n = static_cast<int64_t>(p.label.size());
  for (int metric : {PMD_METRIC_L2, PMD_METRIC_INNER_PRODUCT, PMD_METRIC_COSINE}) {
    const pmd_kmeans_params params = kmeans_params(static_cast<int>(k), metric, 8, 42);
    std::vector<float> a(k * dim), b(k * dim);
    pmd_kmeans_stats sa{}, sb{};
    pmd_call call = make_call();
    ASSERT_EQ(cpu_->kmeans_train(p.x.data(), n, dim, &params, a.data(), &sa, &call), PMD_OK) << call.message;
    ASSERT_EQ(gpu_->kmeans_train(p.x.data(), n, dim, &params, b.data(), &sb, &call), PMD_OK) << call.message;
    // Well-separated clusters: the same k-means++ draws, so the same centroids in the same order.
    EXPECT_LT(max_abs_diff(a, b), 1e-3) << "metric " << metric;
    EXPECT_EQ(sa.iterations, sb.iterations);
    EXPECT_NEAR(sa.objective, sb.objective, 1e-4 * std::fabs(sa.objective) + 1e-3);
  }
}

TEST_F(GpuEquivalence, SameLloydIterationsFromGivenCentroids) {
  const size_t n = 6000, dim = 40, k = 64;
  const auto x = testing::random_vectors(n, dim, 2);
  std::vector<float> start(k * dim);
  kmeans_plusplus(x.data(), n, dim, k, Metric::kL2, 3, 0, start.data());
  pmd_kmeans_params params = kmeans_params(static_cast<int>(k), PMD_METRIC_L2, 5, 3);
  params.flags = PMD_KMEANS_GIVEN_INIT;
  std::vector<float> a = start, b = start;
  pmd_call call = make_call();
  ASSERT_EQ(cpu_->kmeans_train(x.data(), n, dim, &params, a.data(), nullptr, &call), PMD_OK) << call.message;
  ASSERT_EQ(gpu_->kmeans_train(x.data(), n, dim, &params, b.data(), nullptr, &call), PMD_OK) << call.message;
  // Random data has near ties, where float rounding may send a row elsewhere; a few such rows move a
  // centroid by a fraction of the distance between rows.
  EXPECT_LT(max_abs_diff(a, b), 2e-2);
}

TEST_F(GpuEquivalence, SameNearestCentroids) {
  const size_t n = 20000, dim = 96, k = 300;
  const auto x = testing::random_vectors(n, dim, 4);
  const auto c = testing::random_vectors(k, dim, 5);
  for (int metric : {PMD_METRIC_L2, PMD_METRIC_INNER_PRODUCT, PMD_METRIC_COSINE}) {
    std::vector<int32_t> la(n), lb(n);
    std::vector<float> da(n), db(n);
    pmd_call call = make_call();
    ASSERT_EQ(cpu_->assign_nearest(x.data(), n, dim, c.data(), k, metric, la.data(), da.data(), &call), PMD_OK);
    ASSERT_EQ(gpu_->assign_nearest(x.data(), n, dim, c.data(), k, metric, lb.data(), db.data(), &call), PMD_OK)
        << call.message;
    size_t differ = 0;
    for (size_t i = 0; i < n; ++i) {
      differ += la[i] != lb[i];
      EXPECT_NEAR(da[i], db[i], 1e-3 * (1 + std::fabs(da[i]))) << "metric " << metric << " row " << i;
    }
    EXPECT_LE(differ, n / 1000) << "metric " << metric << ": labels differ beyond near ties";
  }
}

TEST_F(GpuEquivalence, SamePqCodebooksAndCodes) {
  const size_t dim = 64;
  const auto p = testing::planted_clusters(256, 20, dim, 2.0f, 0.05f, 6);
  const int64_t n = static_cast<int64_t>(p.label.size());
  pmd_pq_params params{};
  params.struct_size = sizeof params;
  params.m = 8;
  params.nbits = 8;
  params.iterations = 6;
  params.seed = 9;
  params.init_rows_per_cluster = 16;
  const PqShape shape{dim, 8, 8};
  std::vector<float> a(shape.codebook_floats()), b(shape.codebook_floats());
  pmd_call call = make_call();
  ASSERT_EQ(cpu_->pq_train(p.x.data(), n, dim, &params, a.data(), &call), PMD_OK) << call.message;
  ASSERT_EQ(gpu_->pq_train(p.x.data(), n, dim, &params, b.data(), &call), PMD_OK) << call.message;
  EXPECT_LT(max_abs_diff(a, b), 1e-3);
  for (int nbits : {4, 8}) {
    const PqShape s{dim, 16, nbits};
    std::vector<float> cb(s.codebook_floats());
    params.m = 16;
    params.nbits = nbits;
    ASSERT_EQ(cpu_->pq_train(p.x.data(), n, dim, &params, cb.data(), &call), PMD_OK);
    std::vector<uint8_t> ca(n * s.code_size()), cg(n * s.code_size());
    ASSERT_EQ(cpu_->pq_encode(p.x.data(), n, dim, 16, nbits, cb.data(), ca.data(), &call), PMD_OK);
    ASSERT_EQ(gpu_->pq_encode(p.x.data(), n, dim, 16, nbits, cb.data(), cg.data(), &call), PMD_OK) << call.message;
    size_t differ = 0;
    for (int64_t i = 0; i < n; ++i) {
      for (size_t j = 0; j < 16; ++j) {
        differ += pq_get_code(&ca[i * s.code_size()], j, nbits) != pq_get_code(&cg[i * s.code_size()], j, nbits);
      }
    }
    EXPECT_LE(differ, static_cast<size_t>(n) * 16 / 1000) << nbits << " bits";
  }
}

TEST_F(GpuEquivalence, SameExactTopK) {
  const size_t n = 30000, dim = 72, nq = 37, k = 25;
  const auto base = testing::random_vectors(n, dim, 7);
  const auto queries = testing::random_vectors(nq, dim, 8);
  std::vector<uint16_t> half(n * dim);
  for (size_t i = 0; i < n * dim; ++i) half[i] = float_to_half(base[i]);
  for (int type : {PMD_F32, PMD_F16}) {
    for (int metric : {PMD_METRIC_L2, PMD_METRIC_INNER_PRODUCT, PMD_METRIC_COSINE}) {
      std::vector<int64_t> ids[2];
      std::vector<double> dist[2];
      for (int side = 0; side < 2; ++side) {
        const pmd_compute_api* api = side == 0 ? cpu_ : gpu_;
        pmd_call call = make_call();
        pmd_knn* knn = nullptr;
        ASSERT_EQ(api->knn_begin(queries.data(), nq, dim, metric, k, &knn, &call), PMD_OK) << call.message;
        for (size_t at = 0; at < n; at += 7000) {  // uneven chunks, as a table scan delivers them
          const size_t rows = std::min<size_t>(7000, n - at);
          const void* chunk = type == PMD_F32 ? static_cast<const void*>(base.data() + at * dim)
                                              : static_cast<const void*>(half.data() + at * dim);
          ASSERT_EQ(api->knn_add(knn, chunk, type, rows, nullptr, &call), PMD_OK) << call.message;
        }
        ids[side].resize(nq * k);
        dist[side].resize(nq * k);
        ASSERT_EQ(api->knn_result(knn, ids[side].data(), dist[side].data(), &call), PMD_OK) << call.message;
        api->knn_free(knn);
      }
      EXPECT_EQ(ids[0], ids[1]) << "type " << type << " metric " << metric;
      for (size_t i = 0; i < nq * k; ++i) EXPECT_NEAR(dist[0][i], dist[1][i], 1e-4 * (1 + std::fabs(dist[0][i])));
    }
  }
}

TEST_F(GpuEquivalence, FewerRowsThanKAndLimits) {
  const auto base = testing::random_vectors(5, 8, 10);
  const auto q = testing::random_vectors(2, 8, 11);
  pmd_call call = make_call();
  pmd_knn* knn = nullptr;
  ASSERT_EQ(gpu_->knn_begin(q.data(), 2, 8, PMD_METRIC_L2, 9, &knn, &call), PMD_OK) << call.message;
  ASSERT_EQ(gpu_->knn_add(knn, base.data(), PMD_F32, 5, nullptr, &call), PMD_OK) << call.message;
  std::vector<int64_t> ids(18);
  std::vector<double> dist(18);
  ASSERT_EQ(gpu_->knn_result(knn, ids.data(), dist.data(), &call), PMD_OK);
  gpu_->knn_free(knn);
  for (int qi = 0; qi < 2; ++qi) {
    for (int r = 5; r < 9; ++r) EXPECT_EQ(ids[qi * 9 + r], -1);
  }
  EXPECT_EQ(gpu_->knn_begin(q.data(), 2, 8, PMD_METRIC_L2, 100000, &knn, &call), PMD_UNSUPPORTED);
}

TEST_F(GpuEquivalence, InterruptStopsTheDevice) {
  const auto x = testing::random_vectors(50000, 32, 12);
  const pmd_kmeans_params params = kmeans_params(256, PMD_METRIC_L2, 20, 1);
  std::vector<float> c(256 * 32);
  pmd_call call = make_call();
  call.interrupted = [](void*) { return 1; };
  EXPECT_EQ(gpu_->kmeans_train(x.data(), 50000, 32, &params, c.data(), nullptr, &call), PMD_INTERRUPTED);
}

}  // namespace
}  // namespace piramid
