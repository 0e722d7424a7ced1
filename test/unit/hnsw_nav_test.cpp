// Navigation codes (nav.h) and the beam search over them (search.h): block packing round-trips, block
// scans equal the table's own sums, estimates track true distances, and BeamSearch over a graph whose
// lists carry navigation codes finds the true neighbours, resumably.
#include "piramid/compute/pq.h"
#include "piramid/distance.h"
#include "piramid/hnsw/graph.h"
#include "piramid/hnsw/nav.h"
#include "piramid/hnsw/search.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>

namespace piramid::hnsw {
namespace {

std::vector<float> random_clusters(size_t n, size_t dims, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.0f, 0.2f);
  std::uniform_real_distribution<float> centre(-1.0f, 1.0f);
  std::vector<float> centres(16 * dims), data(n * dims);
  for (auto& c : centres) c = centre(rng);
  for (size_t i = 0; i < n; ++i) {
    const size_t c = rng() % 16;
    for (size_t d = 0; d < dims; ++d) data[i * dims + d] = centres[c * dims + d] + noise(rng);
  }
  return data;
}

TEST(NavCodes, SubspacesAreEvenAndFitTheBudget) {
  EXPECT_EQ(nav_subspaces(784, 16, 4096), 98u);
  EXPECT_EQ(nav_subspaces(3, 16, 4096), 2u);
  EXPECT_EQ(nav_subspaces(8, 16, 4096), 8u);    // one dimension per subspace for small vectors
  EXPECT_EQ(nav_subspaces(40, 16, 4096), 16u);
  EXPECT_EQ(nav_subspaces(16000, 16, 4096), 128u);
  const size_t m100 = nav_subspaces(784, 100, 4096);
  EXPECT_EQ(m100 % 2, 0u);
  EXPECT_LE((nav_blocks(200) + nav_blocks(100)) * nav_block_bytes(m100), 4096u);
}

TEST(NavCodes, BlockSlotsRoundTrip) {
  const size_t m = 10;
  std::vector<uint8_t> block(nav_block_bytes(m), 0);
  std::vector<std::vector<uint8_t>> codes(kNavBlockEntries, std::vector<uint8_t>(nav_code_bytes(m)));
  std::mt19937 rng(3);
  for (size_t j = 0; j < kNavBlockEntries; ++j) {
    for (auto& b : codes[j]) b = static_cast<uint8_t>(rng());
    nav_block_put(block.data(), m, j, codes[j].data());
  }
  std::vector<uint8_t> out(nav_code_bytes(m));
  for (size_t j = 0; j < kNavBlockEntries; ++j) {
    nav_block_get(block.data(), m, j, out.data());
    EXPECT_EQ(out, codes[j]) << "slot " << j;
  }
}

TEST(NavCodes, EstimatesTrackTrueDistances) {
  const size_t n = 2000, dims = 40;
  const std::vector<float> data = random_clusters(n, dims, 4);
  const size_t m = nav_subspaces(dims, 16, 4096);
  const NavQuantizer nav = NavQuantizer::train(data.data(), n, dims, m, 9);
  EXPECT_EQ(nav.subspaces(), m);
  const DistanceKernels& k = kernels();
  for (Metric metric : {Metric::kL2, Metric::kInnerProduct}) {
    const float* query = &data[7 * dims];
    const NavTable table = nav.table(query, metric);
    std::vector<uint8_t> block(nav_block_bytes(m), 0), code(nav.code_bytes());
    double error = 0, scale = 0;
    for (size_t j = 0; j < kNavBlockEntries; ++j) {
      nav.encode(&data[(100 + j) * dims], code.data());
      nav_block_put(block.data(), m, j, code.data());
    }
    float approx[kNavBlockEntries];
    nav.scan_block(table, block.data(), approx);
    for (size_t j = 0; j < kNavBlockEntries; ++j) {
      const float* v = &data[(100 + j) * dims];
      const float truth = metric == Metric::kL2 ? k.l2sq_f32(query, v, dims) : -k.dot_f32(query, v, dims);
      error += std::fabs(approx[j] - truth);
      scale += std::fabs(truth);
    }
    EXPECT_LT(error / scale, 0.25) << metric_name(metric);  // estimates, not exact values
  }
}

TEST(NavCodes, EncodeMatchesBatchPqEncode) {
  const size_t n = 500, dims = 37;  // not a multiple of the subspace width: the last one is zero-padded
  const std::vector<float> data = random_clusters(n, dims, 6);
  const size_t m = 6, dsub = (dims + m - 1) / m;
  const NavQuantizer nav = NavQuantizer::train(data.data(), n, dims, m, 3, ComputeContext(), NavRotationChoice::kAlways);
  std::vector<float> padded(n * m * dsub, 0.0f);
  for (size_t i = 0; i < n; ++i) std::copy(&data[i * dims], &data[i * dims] + dims, &padded[i * m * dsub]);
  ASSERT_FALSE(nav.rotation().empty());  // 6 subspaces of 7 dims: rotated, so batch-encode rotated rows
  std::vector<float> rotated(m * dsub);
  for (size_t i = 0; i < n; ++i) {
    nav.rotation().apply(&padded[i * m * dsub], rotated.data());
    std::copy(rotated.begin(), rotated.end(), &padded[i * m * dsub]);
  }
  std::vector<uint8_t> batch(n * nav.code_bytes(), 0), one(nav.code_bytes());
  pq_encode(PqShape{m * dsub, m, 4}, nav.codebooks().data(), padded.data(), n, batch.data());
  size_t same = 0;
  for (size_t i = 0; i < n; ++i) {
    nav.encode(&data[i * dims], one.data());
    same += std::equal(one.begin(), one.end(), &batch[i * nav.code_bytes()]);
  }
  EXPECT_GE(same, n - 2);  // the two computations may break exact distance ties differently
}

// A reader over an in-memory graph whose lists carry navigation codes, like index pages.
struct NavGraphReader {
  using Id = uint32_t;
  const Graph& graph;
  const std::vector<float>& data;
  size_t dims;
  const NavQuantizer& nav;
  const std::vector<uint8_t>& codes;  // per node
  const float* query = nullptr;
  NavTable table;
  std::vector<char> seen;
  size_t expanded = 0;

  void prefetch(Id) const {}
  void prefetch_soon(Id) const {}
  bool same_value(Id) const { return false; }
  bool visit(Id id) {
    if (seen[id]) return false;
    seen[id] = 1;
    return true;
  }
  bool expand(Id id, int level, float* precise, std::vector<Candidate<Id>>& fresh) {
    ++expanded;
    *precise = kernels().l2sq_f32(query, &data[id * dims], dims);
    size_t count = 0;
    const uint32_t* links = graph.link_data(id, level, &count);
    std::vector<uint8_t> block(nav_block_bytes(nav.subspaces()), 0);
    float approx[kNavBlockEntries];
    for (size_t base = 0; base < count; base += kNavBlockEntries) {
      std::fill(block.begin(), block.end(), 0);
      for (size_t j = base; j < count && j < base + kNavBlockEntries; ++j)
        nav_block_put(block.data(), nav.subspaces(), j - base, &codes[links[j] * nav.code_bytes()]);
      nav.scan_block(table, block.data(), approx);
      for (size_t j = base; j < count && j < base + kNavBlockEntries; ++j)
        if (visit(links[j])) fresh.push_back({approx[j - base], links[j]});
    }
    return true;
  }
};

// Clustered rows, a float-coded graph over them and every row's navigation code: what the beam-search
// tests read through NavGraphReader. Not copyable (the graph points at the space and code store).
struct NavGraphData {
  NavGraphData(size_t n, size_t dims, uint64_t data_seed, int m, int ef_construction, int threads,
               uint64_t graph_seed)
      : dims(dims),
        data(random_clusters(n, dims, data_seed)),
        space(make_float_space(Metric::kL2, dims)),
        store(encode_rows(*space, data, dims)),
        graph(*space, store, GraphParams{m, ef_construction}, graph_seed),
        nav(NavQuantizer::train(data.data(), n, dims, nav_subspaces(dims, m, 4096), 2)),
        codes(n * nav.code_bytes()) {
    graph.build(threads, InterruptCheck(), nullptr);
    for (size_t i = 0; i < n; ++i) nav.encode(&data[i * dims], &codes[i * nav.code_bytes()]);
  }
  NavGraphData(const NavGraphData&) = delete;
  NavGraphData& operator=(const NavGraphData&) = delete;

  size_t dims;
  std::vector<float> data;
  std::unique_ptr<Space> space;
  CodeStore store;
  Graph graph;
  NavQuantizer nav;
  std::vector<uint8_t> codes;

 private:
  static CodeStore encode_rows(const Space& space, const std::vector<float>& rows, size_t dims) {
    CodeStore out(space.code_size());
    for (size_t i = 0; i * dims < rows.size(); ++i) space.encode(&rows[i * dims], out.append(space.code_size()));
    return out;
  }
};

TEST(BeamSearch, FindsTrueNeighboursAndResumes) {
  const size_t n = 4000, dims = 32, queries = 40, k = 10;
  const NavGraphData g(n, dims, 11, 16, 64, 2, 5);
  const std::vector<float>& data = g.data;
  const Graph& graph = g.graph;
  const NavQuantizer& nav = g.nav;
  const std::vector<uint8_t>& codes = g.codes;

  size_t hits = 0;
  for (size_t q = 0; q < queries; ++q) {
    const float* query = &data[(q * 97 + 13) % n * dims];
    NavGraphReader reader{graph, data, dims, nav, codes, query, nav.table(query, Metric::kL2),
                          std::vector<char>(n, 0), 0};
    Candidate<uint32_t> current{0, graph.entry_point()};
    for (int l = graph.max_level(); l > 0; --l) {
      std::fill(reader.seen.begin(), reader.seen.end(), 0);
      reader.visit(current.id);
      BeamSearch<NavGraphReader> greedy(reader, l);
      greedy.seed(current);
      greedy.run(1, SIZE_MAX);
      current = greedy.take(1).at(0);
    }
    std::fill(reader.seen.begin(), reader.seen.end(), 0);
    reader.visit(current.id);
    BeamSearch<NavGraphReader> search(reader, 0);
    search.seed(current);
    ASSERT_TRUE(search.run(64, SIZE_MAX));
    const auto first = search.take(k);
    ASSERT_EQ(first.size(), k);
    for (size_t i = 1; i < first.size(); ++i) EXPECT_LE(first[i - 1].distance, first[i].distance);

    std::vector<std::pair<float, uint32_t>> truth;
    for (uint32_t i = 0; i < n; ++i) truth.push_back({kernels().l2sq_f32(query, &data[i * dims], dims), i});
    std::partial_sort(truth.begin(), truth.begin() + k, truth.end());
    std::set<uint32_t> top;
    for (size_t i = 0; i < k; ++i) top.insert(truth[i].second);
    for (const auto& c : first) {
      hits += top.count(c.id);
      EXPECT_FLOAT_EQ(c.distance, kernels().l2sq_f32(query, &data[c.id * dims], dims));  // precise distances
    }

    // Resuming with a larger ef returns further nodes, nearest first, none of them again (they may be
    // nearer than nodes taken before: the glue's strict order drops those).
    const size_t before = reader.expanded;
    ASSERT_TRUE(search.run(1000, SIZE_MAX));
    EXPECT_GT(reader.expanded, before);
    const auto more = search.take(k);
    ASSERT_FALSE(more.empty());
    for (size_t i = 1; i < more.size(); ++i) EXPECT_LE(more[i - 1].distance, more[i].distance);
    for (const auto& c : more) {
      EXPECT_TRUE(std::none_of(first.begin(), first.end(), [&](const auto& f) { return f.id == c.id; }));
    }
    // A budget of expansions stops the search early and says so.
    BeamSearch<NavGraphReader> bounded(reader, 0);
    std::fill(reader.seen.begin(), reader.seen.end(), 0);
    reader.visit(current.id);
    bounded.seed(current);
    EXPECT_FALSE(bounded.run(64, 5));
    EXPECT_EQ(bounded.expanded_count(), 5u);
  }
  EXPECT_GE(static_cast<double>(hits) / (queries * k), 0.9);  // 4-subspace codes on 32 dimensions: coarse
}

// restart() keeps the containers' memory and nothing else: a search reused after one on another level
// (with its frontier, results, error statistics and deferred candidates left over) finds exactly what
// a fresh search finds, with the same expansions.
TEST(BeamSearch, RestartForgetsThePreviousSearch) {
  const size_t n = 3000, dims = 24;
  const NavGraphData g(n, dims, 4, 8, 32, 1, 3);
  const std::vector<float>& data = g.data;
  const Graph& graph = g.graph;
  const NavQuantizer& nav = g.nav;
  ASSERT_GT(graph.max_level(), 0);
  const std::vector<uint8_t>& codes = g.codes;
  NavGraphReader reader{graph, data, dims, nav, codes, nullptr, NavTable(), std::vector<char>(n, 0), 0};
  const Candidate<uint32_t> start{0, graph.entry_point()};
  auto search_for = [&](size_t row, BeamSearch<NavGraphReader>& search, size_t ef, size_t budget,
                        size_t take) {
    reader.query = &data[row * dims];
    reader.table = nav.table(reader.query, Metric::kL2);
    std::fill(reader.seen.begin(), reader.seen.end(), 0);
    reader.visit(start.id);
    search.seed(start);
    search.run(ef, budget);
    return search.take(take);
  };
  for (size_t q = 0; q < 10; ++q) {
    BeamSearch<NavGraphReader> fresh(reader, 0);
    reader.expanded = 0;
    const auto expected = search_for(q * 211 + 5, fresh, 20, SIZE_MAX, 20);
    const size_t expected_expansions = reader.expanded;

    // The same object first searches level 1 for another row with a small ef, stopped early and
    // nothing taken (frontier, deferred candidates, results and error statistics left behind), then
    // restarts on level 0.
    BeamSearch<NavGraphReader> reused(reader, 1);
    search_for(q * 211 + 1500, reused, 3, 40, 0);
    reused.restart(0);
    reader.expanded = 0;
    const auto got = search_for(q * 211 + 5, reused, 20, SIZE_MAX, 20);
    EXPECT_EQ(reader.expanded, expected_expansions) << "query " << q;
    EXPECT_EQ(reused.expanded_count(), fresh.expanded_count()) << "query " << q;
    ASSERT_EQ(got.size(), expected.size());
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].id, expected[i].id) << i;
      EXPECT_EQ(got[i].distance, expected[i].distance) << i;
    }
  }
}

}  // namespace
}  // namespace piramid::hnsw
