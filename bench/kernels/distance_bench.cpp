// Nanoseconds per distance for every kernel variant this CPU supports, at the dimensions our users store
// (128 SIFT, 784 Fashion-MNIST, 1536 and 3072 text embeddings). Run: build/piramid_kernel_bench
// The data set is a few thousand vectors so the numbers include realistic cache behaviour, not one hot pair.
#include "piramid/distance.h"
#include "piramid/half.h"

#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

namespace piramid {
namespace {

constexpr size_t kVectors = 256;

template <class T>
std::vector<T> random_data(size_t dims) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<T> data(kVectors * dims);
  for (auto& x : data) {
    if constexpr (std::is_same_v<T, float>) x = dist(rng);
    else x = float_to_half(dist(rng));
  }
  return data;
}

template <class T, class Fn>
void run(benchmark::State& state, Fn fn) {
  const size_t dims = static_cast<size_t>(state.range(0));
  const std::vector<T> data = random_data<T>(dims);
  const std::vector<T> query = random_data<T>(dims);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(fn(query.data(), data.data() + i * dims, dims));
    i = (i + 1) % kVectors;
  }
  state.SetItemsProcessed(state.iterations());
}

void register_all() {
  for (SimdLevel level : {SimdLevel::kScalar, SimdLevel::kAvx2, SimdLevel::kAvx512}) {
    const DistanceKernels* k = kernels_for(level);
    if (k == nullptr) continue;
    const std::string v = k->name;
    auto dims = [](benchmark::internal::Benchmark* b) { b->Arg(128)->Arg(784)->Arg(1536)->Arg(3072); };
    dims(benchmark::RegisterBenchmark(("l2sq_f32/" + v).c_str(), [k](benchmark::State& s) {
      run<float>(s, k->l2sq_f32);
    }));
    dims(benchmark::RegisterBenchmark(("dot_f32/" + v).c_str(), [k](benchmark::State& s) {
      run<float>(s, k->dot_f32);
    }));
    dims(benchmark::RegisterBenchmark(("l1_f32/" + v).c_str(), [k](benchmark::State& s) {
      run<float>(s, k->l1_f32);
    }));
    dims(benchmark::RegisterBenchmark(("cosine_f32/" + v).c_str(), [k](benchmark::State& s) {
      run<float>(s, k->cosine_f32);
    }));
    dims(benchmark::RegisterBenchmark(("l2sq_f16/" + v).c_str(), [k](benchmark::State& s) {
      run<uint16_t>(s, k->l2sq_f16);
    }));
    dims(benchmark::RegisterBenchmark(("dot_f16/" + v).c_str(), [k](benchmark::State& s) {
      run<uint16_t>(s, k->dot_f16);
    }));
    dims(benchmark::RegisterBenchmark(("l1_f16/" + v).c_str(), [k](benchmark::State& s) {
      run<uint16_t>(s, k->l1_f16);
    }));
    dims(benchmark::RegisterBenchmark(("cosine_f16/" + v).c_str(), [k](benchmark::State& s) {
      run<uint16_t>(s, k->cosine_f16);
    }));
    dims(benchmark::RegisterBenchmark(("hamming_bits/" + v).c_str(), [k](benchmark::State& s) {
      // dims bits = dims / 8 bytes
      const size_t nbytes = static_cast<size_t>(s.range(0)) / 8;
      std::vector<uint8_t> data(kVectors * nbytes, 0x5a), query(nbytes, 0xa5);
      size_t i = 0;
      for (auto _ : s) {
        benchmark::DoNotOptimize(k->hamming(query.data(), data.data() + i * nbytes, nbytes));
        i = (i + 1) % kVectors;
      }
    }));
  }
}

}  // namespace
}  // namespace piramid

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  piramid::register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
