// CPU compute layer throughput (one thread unless the name says otherwise): a k-means Lloyd iteration,
// nearest-centroid assignment, PQ encoding, ADC table scans and exact k-NN. Run: build/piramid_kernel_bench
// --benchmark_filter='KMeans|Assign|Pq|Knn'. The full-size GPU target (1M x 768, 4,096 lists) is timed by
// build/piramid_compute_speed (gpu/bench/compute_speed.cpp).
#include "piramid/compute/kmeans.h"
#include "piramid/compute/knn.h"
#include "piramid/compute/pq.h"

#include <benchmark/benchmark.h>

#include <random>
#include <vector>

namespace piramid {
namespace {

std::vector<float> random_rows(size_t n, size_t dim, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(n * dim);
  for (auto& v : x) v = normal(rng);
  return x;
}

ComputeContext one_thread() {
  ComputeContext ctx;
  ctx.threads = 1;
  return ctx;
}

// One Lloyd iteration from given centroids: n x k x dim multiply-adds, reported as GFLOP/s (2 per madd).
void BM_KMeansIteration(benchmark::State& state) {
  const size_t n = 20000, dim = static_cast<size_t>(state.range(0)), k = static_cast<size_t>(state.range(1));
  const auto x = random_rows(n, dim, 1);
  KMeansOptions o;
  o.clusters = k;
  o.iterations = 1;
  o.initial_centroids = x.data();  // the first k rows
  for (auto _ : state) benchmark::DoNotOptimize(kmeans_train(x.data(), n, dim, o, one_thread()));
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * n * k * dim, benchmark::Counter::kIsIterationInvariantRate,
                                                 benchmark::Counter::kIs1000);
}
BENCHMARK(BM_KMeansIteration)->Args({128, 256})->Args({768, 1024})->Unit(benchmark::kMillisecond);

void BM_AssignNearest(benchmark::State& state) {
  const size_t n = 10000, dim = 768, k = static_cast<size_t>(state.range(0));
  const auto x = random_rows(n, dim, 2);
  const auto c = random_rows(k, dim, 3);
  std::vector<int32_t> labels(n);
  for (auto _ : state) assign_nearest(x.data(), n, dim, c.data(), k, Metric::kL2, labels.data(), nullptr, one_thread());
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}
BENCHMARK(BM_AssignNearest)->Arg(256)->Arg(4096)->Unit(benchmark::kMillisecond);

void BM_PqEncode(benchmark::State& state) {
  const size_t n = 10000, dim = 768;
  const PqShape shape{dim, static_cast<size_t>(state.range(0)), static_cast<int>(state.range(1))};
  const auto x = random_rows(n, dim, 4);
  const auto cb = random_rows(shape.m * shape.ksub(), shape.dsub(), 5);
  std::vector<uint8_t> codes(n * shape.code_size());
  for (auto _ : state) pq_encode(shape, cb.data(), x.data(), n, codes.data(), one_thread());
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}
BENCHMARK(BM_PqEncode)->Args({96, 8})->Args({192, 4})->Unit(benchmark::kMillisecond);

// Table distances to 100,000 codes per iteration: the inner loop of a PQ index scan.
void BM_PqAdcBatch(benchmark::State& state) {
  const size_t n = 100000, dim = 768;
  const PqShape shape{dim, static_cast<size_t>(state.range(0)), static_cast<int>(state.range(1))};
  std::mt19937 rng(6);
  std::vector<uint8_t> codes(n * shape.code_size());
  for (auto& c : codes) c = static_cast<uint8_t>(rng());
  const auto table = random_rows(shape.m, shape.ksub(), 7);
  std::vector<float> out(n);
  for (auto _ : state) {
    pq_adc_batch(shape, table.data(), codes.data(), n, out.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}
BENCHMARK(BM_PqAdcBatch)->Args({48, 8})->Args({96, 8})->Args({96, 4})->Unit(benchmark::kMicrosecond);

void BM_ExactKnn(benchmark::State& state) {
  const size_t n = 20000, dim = 768, nq = static_cast<size_t>(state.range(0)), k = 10;
  const auto base = random_rows(n, dim, 8);
  const auto queries = random_rows(nq, dim, 9);
  std::vector<int64_t> ids(nq * k);
  std::vector<double> dist(nq * k);
  for (auto _ : state) {
    exact_knn(queries.data(), nq, base.data(), VectorType::kF32, n, dim, Metric::kL2, k, ids.data(), dist.data(),
              one_thread());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n * nq));  // distances
}
BENCHMARK(BM_ExactKnn)->Arg(1)->Arg(16)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace piramid
