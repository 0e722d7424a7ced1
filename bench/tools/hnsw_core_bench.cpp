// In-process benchmark of the HNSW core on raw float files: build time, then recall@10 and queries per
// second at several ef values (single thread, exact re-rank of the ef candidates). No Postgres involved:
// this is the ceiling the index can reach through SQL.
// Usage: hnsw_core_bench TRAIN.f32 QUERIES.f32 TRUTH.i32 DIMS [m] [ef_construction] [threads] [sq8|float]
//   With NAV=1 in the environment it also runs the beam search over navigation codes the index pages
//   use (nav.h), reporting nodes expanded per query; NAV_SUB=n sets the subspaces, NAV_ROT=0 turns the
//   rotation off, NAV_ROT=1 forces it (unset: measured, as builds choose).
//   (raw little-endian float32 rows; TRUTH holds 100 int32 neighbour ids per query, ann-benchmarks style)
#include "piramid/distance.h"
#include "piramid/hnsw/graph.h"
#include "piramid/hnsw/nav.h"

#include <map>

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

// Beam search over navigation codes, as the index pages store them (one block per neighbour list).
struct NavMemReader {
  using Id = uint32_t;
  const Graph& g;
  const CodeStore& codes;
  const NavQuantizer& nav;
  const std::vector<std::vector<std::vector<uint8_t>>>& blocks;  // [level][node] -> packed blocks
  const QueryDistance* query = nullptr;
  const NavTable* table = nullptr;
  std::vector<uint32_t> marks;
  uint32_t epoch = 1;
  size_t expanded = 0;

  bool visit(Id id) {
    if (marks[id] == epoch) return false;
    marks[id] = epoch;
    return true;
  }
  void prefetch(Id) const {}
  void prefetch_soon(Id) const {}
  bool same_value(Id) const { return false; }
  bool expand(Id id, int level, float* precise, std::vector<Candidate<Id>>& fresh) {
    ++expanded;
    *precise = (*query)(codes.code(id));
    size_t count = 0;
    const uint32_t* links = g.link_data(id, level, &count);
    const std::vector<uint8_t>& b = blocks[level][id];
    float approx[kNavBlockEntries];
    for (size_t base = 0; base < count; base += kNavBlockEntries) {
      nav.scan_block(*table, &b[(base / kNavBlockEntries) * nav_block_bytes(nav.subspaces())], approx);
      for (size_t j = base; j < count && j < base + kNavBlockEntries; ++j)
        if (visit(links[j])) fresh.push_back(Candidate<Id>{approx[j - base], links[j]});
    }
    return true;
  }
};

void run_nav(const Graph& graph, const Space& space, const CodeStore& codes, const std::vector<float>& train,
             const std::vector<float>& queries, const std::vector<int32_t>& truth, size_t dims, int m) {
  const size_t n = train.size() / dims, nq = queries.size() / dims;
  auto t0 = std::chrono::steady_clock::now();
  const size_t sub = std::getenv("NAV_SUB") ? std::stoul(std::getenv("NAV_SUB")) : nav_subspaces(dims, m, 4096);
  // NAV_ROT=0: never rotate, 1: always, unset: measure (as builds do).
  const char* rot = std::getenv("NAV_ROT");
  const NavRotationChoice choice = rot == nullptr                ? NavRotationChoice::kMeasure
                                   : std::string(rot) == "0" ? NavRotationChoice::kNever
                                                             : NavRotationChoice::kAlways;
  NavQuantizer nav = NavQuantizer::train(train.data(), std::min<size_t>(n, 20000), dims, sub, 7, ComputeContext(), choice);
  std::vector<uint8_t> navcodes(n * nav.code_bytes());
  for (size_t i = 0; i < n; ++i) nav.encode(&train[i * dims], &navcodes[i * nav.code_bytes()]);
  std::vector<std::vector<std::vector<uint8_t>>> blocks(static_cast<size_t>(graph.max_level() + 1),
                                                        std::vector<std::vector<uint8_t>>(n));
  for (uint32_t id = 0; id < n; ++id) {
    for (int l = 0; l <= graph.level(id); ++l) {
      size_t count = 0;
      const uint32_t* links = graph.link_data(id, l, &count);
      auto& b = blocks[static_cast<size_t>(l)][id];
      b.assign(nav_blocks(graph.capacity(l)) * nav_block_bytes(sub), 0);
      for (size_t j = 0; j < count; ++j)
        nav_block_put(&b[(j / kNavBlockEntries) * nav_block_bytes(sub)], sub, j % kNavBlockEntries,
                      &navcodes[links[j] * nav.code_bytes()]);
    }
  }
  std::printf("nav: %zu subspaces (%zu bytes/code, rotation blocks of %zu dims), trained+encoded in %.2fs\n", sub,
              nav.code_bytes(), nav.rotation().block_dims(), seconds_since(t0));
  const DistanceKernels& k = kernels();
  NavMemReader reader{graph, codes, nav, blocks, nullptr, nullptr, {}, 1, 0};
  reader.marks.assign(n, 0);
  for (size_t ef : {10, 16, 20, 32, 40, 64, 100}) {
    size_t hits = 0;
    reader.expanded = 0;
    auto t1 = std::chrono::steady_clock::now();
    for (size_t qi = 0; qi < nq; ++qi) {
      const float* q = &queries[qi * dims];
      auto prepared = space.prepare(q);
      NavTable table = nav.table(q, Metric::kL2);
      reader.query = prepared.get();
      reader.table = &table;
      Candidate<uint32_t> current{0, graph.entry_point()};
      for (int l = graph.max_level(); l >= 0; --l) {
        ++reader.epoch;
        reader.visit(current.id);
        BeamSearch<NavMemReader> search(reader, l);
        search.seed(current);
        if (l > 0) {
          search.run(1, SIZE_MAX);
          current = search.take(1)[0];
          continue;
        }
        search.run(ef, SIZE_MAX);
        auto found = search.take(ef);
        for (auto& c : found) c.distance = k.l2sq_f32(q, &train[c.id * dims], dims);
        std::sort(found.begin(), found.end(), [](auto& a, auto& b) { return a.distance < b.distance; });
        std::set<int32_t> top(&truth[qi * 100], &truth[qi * 100] + 10);
        for (size_t i = 0; i < 10 && i < found.size(); ++i) hits += top.count(static_cast<int32_t>(found[i].id));
      }
    }
    const double s = seconds_since(t1);
    std::printf("nav ef=%3zu recall@10=%.4f qps=%.0f (%.1f us/query) expanded/query=%.0f\n", ef,
                double(hits) / (nq * 10.0), nq / s, 1e6 * s / nq, double(reader.expanded) / nq);
  }
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

  if (std::getenv("NAV") != nullptr) run_nav(graph, *space, codes, train, queries, truth, dims, m);
  return 0;
}
