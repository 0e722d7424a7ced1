// The CPU backend table behaves as backend_api.h promises: statuses instead of exceptions, messages
// that name the problem, interrupts, progress on the calling thread, and the same results as the core.
#include "piramid/compute/backend.h"
#include "piramid/compute/kmeans.h"
#include "piramid/compute/knn.h"

#include "compute_test_data.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace piramid {
namespace {

pmd_call make_call() {
  pmd_call call;
  std::memset(&call, 0, sizeof call);
  call.struct_size = sizeof call;
  return call;
}

TEST(CpuBackend, TableIsVersionedAndComplete) {
  const pmd_compute_api* api = cpu_compute_api();
  EXPECT_EQ(api->abi_version, PMD_COMPUTE_ABI_VERSION);
  EXPECT_EQ(api->struct_size, sizeof(pmd_compute_api));
  EXPECT_STREQ(api->name, "cpu");
  pmd_call call = make_call();
  EXPECT_EQ(api->open_device(0, &call), PMD_OK);
  pmd_device_info info;
  EXPECT_EQ(api->device_info(&info, &call), PMD_OK);
  EXPECT_STREQ(info.name, "CPU");
}

TEST(CpuBackend, KMeansThroughTheTableEqualsTheCore) {
  const auto x = testing::random_vectors(1200, 10, 1);
  pmd_kmeans_params p{};
  p.struct_size = sizeof p;
  p.clusters = 12;
  p.metric = PMD_METRIC_COSINE;
  p.iterations = 4;
  p.seed = 5;
  p.init_rows_per_cluster = 16;
  std::vector<float> centroids(12 * 10);
  pmd_kmeans_stats stats{};
  pmd_call call = make_call();
  ASSERT_EQ(cpu_compute_api()->kmeans_train(x.data(), 1200, 10, &p, centroids.data(), &stats, &call), PMD_OK)
      << call.message;
  KMeansOptions o;
  o.clusters = 12;
  o.metric = Metric::kCosine;
  o.iterations = 4;
  o.seed = 5;
  const KMeansResult r = kmeans_train(x.data(), 1200, 10, o);
  EXPECT_EQ(centroids, r.centroids);
  EXPECT_EQ(stats.iterations, 4);
  EXPECT_DOUBLE_EQ(stats.objective, r.objective.back());
}

TEST(CpuBackend, FailuresAreStatusesWithMessages) {
  const pmd_compute_api* api = cpu_compute_api();
  const auto x = testing::random_vectors(10, 4, 2);
  pmd_kmeans_params p{};
  p.struct_size = sizeof p;
  p.clusters = 20;  // more clusters than rows
  p.iterations = 3;
  std::vector<float> centroids(20 * 4);
  pmd_call call = make_call();
  EXPECT_EQ(api->kmeans_train(x.data(), 10, 4, &p, centroids.data(), nullptr, &call), PMD_INVALID_ARGUMENT);
  EXPECT_NE(std::string(call.message).find("at least as many vectors as clusters"), std::string::npos) << call.message;

  pmd_pq_params pq{};
  pq.struct_size = sizeof pq;
  pq.m = 3;  // does not divide 4
  pq.nbits = 8;
  EXPECT_EQ(api->pq_train(x.data(), 10, 4, &pq, centroids.data(), &call), PMD_INVALID_ARGUMENT);
  EXPECT_NE(std::string(call.message).find("divide"), std::string::npos) << call.message;

  pmd_knn* knn = nullptr;
  EXPECT_EQ(api->knn_begin(x.data(), 1, 4, 7, 3, &knn, &call), PMD_INVALID_ARGUMENT);  // no metric 7
  EXPECT_EQ(knn, nullptr);
  EXPECT_EQ(api->kmeans_train(nullptr, 10, 4, &p, centroids.data(), nullptr, &call), PMD_INVALID_ARGUMENT);
  api->knn_free(nullptr);  // allowed
}

TEST(CpuBackend, InterruptStopsWithStatus) {
  const auto x = testing::random_vectors(50000, 8, 3);
  pmd_kmeans_params p{};
  p.struct_size = sizeof p;
  p.clusters = 100;
  p.iterations = 50;
  std::vector<float> centroids(100 * 8);
  pmd_call call = make_call();
  call.interrupted = [](void*) { return 1; };
  EXPECT_EQ(cpu_compute_api()->kmeans_train(x.data(), 50000, 8, &p, centroids.data(), nullptr, &call), PMD_INTERRUPTED);
}

TEST(CpuBackend, StreamingKnnThroughTheTableWithProgress) {
  const size_t n = 900, dim = 16, nq = 4, k = 7;
  const auto base = testing::random_vectors(n, dim, 4);
  const auto queries = testing::random_vectors(nq, dim, 5);
  const pmd_compute_api* api = cpu_compute_api();
  pmd_call call = make_call();
  int64_t last_done = 0;
  call.progress = [](void* arg, int32_t phase, int64_t done, int64_t) {
    if (phase == PMD_PHASE_SEARCH) *static_cast<int64_t*>(arg) = done;
  };
  call.progress_arg = &last_done;
  pmd_knn* knn = nullptr;
  ASSERT_EQ(api->knn_begin(queries.data(), nq, dim, PMD_METRIC_L2, k, &knn, &call), PMD_OK) << call.message;
  ASSERT_EQ(api->knn_add(knn, base.data(), PMD_F32, 500, nullptr, &call), PMD_OK);
  ASSERT_EQ(api->knn_add(knn, base.data() + 500 * dim, PMD_F32, 400, nullptr, &call), PMD_OK);
  std::vector<int64_t> ids(nq * k), want_ids(nq * k);
  std::vector<double> dist(nq * k), want_dist(nq * k);
  ASSERT_EQ(api->knn_result(knn, ids.data(), dist.data(), &call), PMD_OK);
  api->knn_free(knn);
  exact_knn(queries.data(), nq, base.data(), VectorType::kF32, n, dim, Metric::kL2, k, want_ids.data(), want_dist.data());
  EXPECT_EQ(ids, want_ids);
  EXPECT_EQ(dist, want_dist);
  EXPECT_EQ(last_done, 900);
}

TEST(CpuBackend, StatusesBecomeErrors) {
  pmd_call call = make_call();
  std::snprintf(call.message, sizeof call.message, "bad shape");
  EXPECT_NO_THROW(throw_if_failed(PMD_OK, call, "x"));
  EXPECT_THROW(throw_if_failed(PMD_INTERRUPTED, call, "x"), Interrupted);
  try {
    throw_if_failed(PMD_INVALID_ARGUMENT, call, "x");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidParameter);
    EXPECT_STREQ(e.what(), "bad shape");
  }
  EXPECT_STREQ(status_name(PMD_NO_DEVICE), "no device");
}

}  // namespace
}  // namespace piramid
