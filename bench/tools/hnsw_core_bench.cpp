// In-process benchmark of the HNSW core on raw float files: build time, then recall@10 and queries per
// second at several ef values (single thread, exact re-rank of the ef candidates). No Postgres involved:
// this is the ceiling the index can reach through SQL.
// Usage: hnsw_core_bench TRAIN.f32 QUERIES.f32 TRUTH.i32 DIMS [m] [ef_construction] [threads] [sq8|float]
//   (raw little-endian float32 rows; TRUTH holds 100 int32 neighbour ids per query, ann-benchmarks style)
#include "piramid/distance.h"
#include "piramid/hnsw/graph.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <string>
#include <vector>

using namespace piramid;
using namespace piramid::hnsw;

template <class T>
std::vector<T> read_all(const char* path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path);
    std::exit(1);
  }
  std::vector<T> v(static_cast<size_t>(in.tellg()) / sizeof(T));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(T)));
  return v;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s TRAIN.f32 QUERIES.f32 TRUTH.i32 DIMS [m] [ef_construction] [threads] [sq8|float]\n", argv[0]);
    return 2;
  }
  const size_t dims = std::stoul(argv[4]);
  const int m = argc > 5 ? std::atoi(argv[5]) : 16;
  const int efc = argc > 6 ? std::atoi(argv[6]) : 64;
  const int threads = argc > 7 ? std::atoi(argv[7]) : 2;
  const bool sq8 = argc <= 8 || std::string(argv[8]) == "sq8";
  const std::vector<float> train = read_all<float>(argv[1]);
  const std::vector<float> queries = read_all<float>(argv[2]);
  const std::vector<int32_t> truth = read_all<int32_t>(argv[3]);
  const size_t n = train.size() / dims, nq = queries.size() / dims;

  auto t0 = std::chrono::steady_clock::now();
  std::unique_ptr<Space> space = sq8 ? make_sq8_space(Metric::kL2, Sq8Quantizer::train(train.data(), n, dims))
                                     : make_float_space(Metric::kL2, dims);
  CodeStore codes(space->code_size());
  codes.reserve(n, 0);
  size_t exact = 0;
  for (size_t i = 0; i < n; ++i) exact += space->encode(&train[i * dims], codes.append(space->code_size()));
  const double encode_s = seconds_since(t0);
  Graph graph(*space, codes, GraphParams{m, efc}, 42);
  graph.build(threads, InterruptCheck(), nullptr);
  std::printf("n=%zu dims=%zu codes=%s (%zu exact) encode %.2fs build %.2fs (%d threads), graph %.1f MB, codes %.1f MB\n",
              n, dims, sq8 ? "sq8" : "float", exact, encode_s, seconds_since(t0), threads,
              graph.memory_bytes() / 1e6, codes.memory_bytes() / 1e6);

  const DistanceKernels& k = kernels();
  for (size_t ef : {10, 16, 20, 32, 40, 64, 100}) {
    size_t hits = 0;
    auto t1 = std::chrono::steady_clock::now();
    for (size_t qi = 0; qi < nq; ++qi) {
      const float* q = &queries[qi * dims];
      auto found = graph.search(*space->prepare(q), ef, ef);
      for (auto& c : found) c.distance = k.l2sq_f32(q, &train[c.id * dims], dims);
      std::sort(found.begin(), found.end(), [](auto& a, auto& b) { return a.distance < b.distance; });
      std::set<int32_t> top(&truth[qi * 100], &truth[qi * 100] + 10);
      for (size_t i = 0; i < 10 && i < found.size(); ++i) hits += top.count(static_cast<int32_t>(found[i].id));
    }
    const double s = seconds_since(t1);
    std::printf("ef=%3zu recall@10=%.4f qps=%.0f (%.1f us/query)\n", ef, double(hits) / (nq * 10.0), nq / s, 1e6 * s / nq);
  }
  return 0;
}
