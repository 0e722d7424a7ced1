// Times the compute backends on one problem size, CPU and (when gpu/piramid_gpu.so loads and finds a
// device) GPU, for the GPU issue's targets: k-means on 1M x 768 with 4,096 lists and 10 iterations against
// the CPU on one core, and batched exact k-NN over 1M x 768 f32 with 1,000-query batches as a fraction of
// the device's memory bandwidth. Built by CMake as build/piramid_compute_speed.
//
//   piramid_compute_speed --task kmeans --n 1000000 --dim 768 --k 4096 --iters 10 --threads 1
//   piramid_compute_speed --task knn --n 1000000 --dim 768 --nq 1000 --knn-k 10 --peak-gbs 3350
//   options: --backend cpu|gpu|both (both)  --task kmeans|knn|pq|all (all)  --gpu-library PATH
#include "piramid/compute/backend.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <dlfcn.h>

namespace {

struct Options {
  std::string task = "all", backend = "both", library;
  long n = 100000, dim = 768, k = 1024, iters = 10, nq = 1000, knn_k = 10, threads = 1, pq_m = 96, pq_bits = 8;
  double peak_gbs = 0;  // device memory bandwidth, for the k-NN efficiency line
};

Options parse(int argc, char** argv) {
  Options o;
#ifdef PIRAMID_SOURCE_DIR
  o.library = std::string(PIRAMID_SOURCE_DIR) + "/gpu/piramid_gpu.so";
#endif
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--task") o.task = value;
    else if (key == "--backend") o.backend = value;
    else if (key == "--gpu-library") o.library = value;
    else if (key == "--n") o.n = std::atol(value.c_str());
    else if (key == "--dim") o.dim = std::atol(value.c_str());
    else if (key == "--k") o.k = std::atol(value.c_str());
    else if (key == "--iters") o.iters = std::atol(value.c_str());
    else if (key == "--nq") o.nq = std::atol(value.c_str());
    else if (key == "--knn-k") o.knn_k = std::atol(value.c_str());
    else if (key == "--threads") o.threads = std::atol(value.c_str());
    else if (key == "--pq-m") o.pq_m = std::atol(value.c_str());
    else if (key == "--pq-bits") o.pq_bits = std::atol(value.c_str());
    else if (key == "--peak-gbs") o.peak_gbs = std::atof(value.c_str());
    else std::fprintf(stderr, "unknown option %s\n", key.c_str()), std::exit(2);
  }
  return o;
}

// Rows scattered around 256 random centers, so k-means has structure to find.
std::vector<float> make_rows(long n, long dim, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> centers(256 * static_cast<size_t>(dim));
  for (auto& c : centers) c = 3.0f * normal(rng);
  std::vector<float> x(static_cast<size_t>(n) * dim);
  for (long i = 0; i < n; ++i) {
    const float* c = &centers[(static_cast<size_t>(rng()) % 256) * dim];
    for (long j = 0; j < dim; ++j) x[static_cast<size_t>(i) * dim + j] = c[j] + normal(rng);
  }
  return x;
}

pmd_call make_call(int threads) {
  pmd_call call;
  std::memset(&call, 0, sizeof call);
  call.struct_size = sizeof call;
  call.threads = threads;
  return call;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

const pmd_compute_api* load_gpu(const std::string& path) {
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) return std::printf("gpu: not available (%s)\n", dlerror()), nullptr;
  auto entry = reinterpret_cast<pmd_compute_entry_fn>(dlsym(handle, PMD_COMPUTE_ENTRY_NAME));
  const pmd_compute_api* api = entry != nullptr ? entry(PMD_COMPUTE_ABI_VERSION) : nullptr;
  if (api == nullptr) return std::printf("gpu: %s has no usable entry point\n", path.c_str()), nullptr;
  pmd_call call = make_call(0);
  const auto start = std::chrono::steady_clock::now();
  if (api->open_device(0, &call) != PMD_OK) return std::printf("gpu: no device (%s)\n", call.message), nullptr;
  pmd_device_info info;
  api->device_info(&info, &call);
  std::printf("gpu: %s, compute capability %d.%d, %.1f GiB, context opened in %.3f s\n", info.name, info.cc_major,
              info.cc_minor, info.memory_total / 1073741824.0, seconds_since(start));
  return api;
}

void run_kmeans(const pmd_compute_api* api, const Options& o, const std::vector<float>& x) {
  pmd_kmeans_params p{};
  p.struct_size = sizeof p;
  p.clusters = static_cast<int32_t>(o.k);
  p.metric = PMD_METRIC_L2;
  p.iterations = static_cast<int32_t>(o.iters);
  p.seed = 1;
  p.init_rows_per_cluster = 16;
  std::vector<float> centroids(static_cast<size_t>(o.k) * o.dim);
  pmd_kmeans_stats stats{};
  pmd_call call = make_call(static_cast<int>(o.threads));
  const auto start = std::chrono::steady_clock::now();
  const pmd_status s = api->kmeans_train(x.data(), o.n, static_cast<int32_t>(o.dim), &p, centroids.data(), &stats, &call);
  const double t = seconds_since(start);
  if (s != PMD_OK) return (void)std::printf("%s kmeans: failed: %s\n", api->name, call.message);
  const double flops = 2.0 * o.n * o.k * o.dim * stats.iterations;
  std::printf("%s kmeans n=%ld dim=%ld k=%ld iters=%d threads=%ld: %.2f s (%.1f GFLOP/s in Lloyd steps), objective %.6g\n",
              api->name, o.n, o.dim, o.k, stats.iterations, o.threads, t, flops / t / 1e9, stats.objective);
}

void run_knn(const pmd_compute_api* api, const Options& o, const std::vector<float>& x) {
  const std::vector<float> queries = make_rows(o.nq, o.dim, 99);
  std::vector<int64_t> ids(static_cast<size_t>(o.nq) * o.knn_k);
  std::vector<double> dist(ids.size());
  pmd_call call = make_call(static_cast<int>(o.threads));
  pmd_knn* knn = nullptr;
  const auto start = std::chrono::steady_clock::now();
  pmd_status s = api->knn_begin(queries.data(), o.nq, static_cast<int32_t>(o.dim), PMD_METRIC_L2,
                                static_cast<int32_t>(o.knn_k), &knn, &call);
  if (s == PMD_OK) s = api->knn_add(knn, x.data(), PMD_F32, o.n, nullptr, &call);
  if (s == PMD_OK) s = api->knn_result(knn, ids.data(), dist.data(), &call);
  const double t = seconds_since(start);
  api->knn_free(knn);
  if (s != PMD_OK) return (void)std::printf("%s knn: failed: %s\n", api->name, call.message);
  const double gbs = static_cast<double>(o.n) * o.dim * 4 / t / 1e9;
  std::printf("%s knn n=%ld dim=%ld queries=%ld k=%ld threads=%ld: %.3f s, %.0f queries/s, base read at %.1f GB/s",
              api->name, o.n, o.dim, o.nq, o.knn_k, o.threads, t, o.nq / t, gbs);
  if (o.peak_gbs > 0) std::printf(" (%.0f%% of %.0f GB/s)", 100 * gbs / o.peak_gbs, o.peak_gbs);
  std::printf(" [includes copying the base from host memory]\n");
}

void run_pq(const pmd_compute_api* api, const Options& o, const std::vector<float>& x) {
  pmd_pq_params p{};
  p.struct_size = sizeof p;
  p.m = static_cast<int32_t>(o.pq_m);
  p.nbits = static_cast<int32_t>(o.pq_bits);
  p.iterations = 25;
  p.seed = 1;
  p.init_rows_per_cluster = 16;
  const long train = std::min(o.n, 256L << o.pq_bits);  // 256 rows per centroid, as FAISS samples
  std::vector<float> codebooks(static_cast<size_t>(o.dim) << o.pq_bits);
  pmd_call call = make_call(static_cast<int>(o.threads));
  auto start = std::chrono::steady_clock::now();
  pmd_status s = api->pq_train(x.data(), train, static_cast<int32_t>(o.dim), &p, codebooks.data(), &call);
  const double t_train = seconds_since(start);
  if (s != PMD_OK) return (void)std::printf("%s pq: failed: %s\n", api->name, call.message);
  std::vector<uint8_t> codes(static_cast<size_t>(o.n) * ((o.pq_m * o.pq_bits + 7) / 8));
  start = std::chrono::steady_clock::now();
  s = api->pq_encode(x.data(), o.n, static_cast<int32_t>(o.dim), p.m, p.nbits, codebooks.data(), codes.data(), &call);
  const double t_encode = seconds_since(start);
  if (s != PMD_OK) return (void)std::printf("%s pq encode: failed: %s\n", api->name, call.message);
  std::printf("%s pq m=%ld bits=%ld: train on %ld rows %.2f s, encode %ld rows %.2f s (%.0f rows/s)\n", api->name,
              o.pq_m, o.pq_bits, train, t_train, o.n, t_encode, o.n / t_encode);
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  std::printf("generating %ld x %ld rows...\n", o.n, o.dim);
  const std::vector<float> x = make_rows(o.n, o.dim, 1);
  std::vector<const pmd_compute_api*> backends;
  if (o.backend != "gpu") backends.push_back(piramid::cpu_compute_api());
  if (o.backend != "cpu") {
    if (const pmd_compute_api* gpu = load_gpu(o.library)) backends.push_back(gpu);
  }
  for (const pmd_compute_api* api : backends) {
    if (o.task == "kmeans" || o.task == "all") run_kmeans(api, o, x);
    if (o.task == "knn" || o.task == "all") run_knn(api, o, x);
    if (o.task == "pq" || o.task == "all") run_pq(api, o, x);
  }
  return 0;
}
