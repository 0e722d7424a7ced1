// The in-memory HNSW graph: recall against brute force on clustered data for each kind of code, graph
// invariants, and reproducibility of levels.
#include "piramid/distance.h"
#include "piramid/hnsw/graph.h"
#include "piramid/sq8.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>

namespace piramid::hnsw {
namespace {

std::vector<float> clustered(size_t n, size_t dims, uint32_t seed, size_t clusters = 20) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.0f, 0.15f);
  std::uniform_real_distribution<float> centre(-1.0f, 1.0f);
  std::vector<float> centres(clusters * dims);
  for (auto& c : centres) c = centre(rng);
  std::vector<float> data(n * dims);
  for (size_t i = 0; i < n; ++i) {
    const size_t c = rng() % clusters;
    for (size_t d = 0; d < dims; ++d) data[i * dims + d] = centres[c * dims + d] + noise(rng);
  }
  return data;
}

float exact_key(Metric metric, const float* a, const float* b, size_t dims) {
  const DistanceKernels& k = *kernels_for(SimdLevel::kScalar);
  if (metric == Metric::kL2) return k.l2sq_f32(a, b, dims);
  if (metric == Metric::kL1) return k.l1_f32(a, b, dims);
  return -k.dot_f32(a, b, dims);
}

void normalize(float* v, size_t dims) {
  double s = 0;
  for (size_t d = 0; d < dims; ++d) s += double(v[d]) * v[d];
  const float inv = static_cast<float>(1.0 / std::sqrt(s));
  for (size_t d = 0; d < dims; ++d) v[d] *= inv;
}

// Recall@10 of graph search (with an exact re-rank of the ef candidates) against brute force.
double dense_recall(Metric metric, bool use_sq8) {
  const size_t n = 3000, dims = 48, queries = 50, k = 10;
  std::vector<float> data = clustered(n, dims, 1);
  // queries: data points moved a little, so each has a meaningful neighbourhood
  std::vector<float> query_data(queries * dims);
  std::mt19937 rng(2);
  std::normal_distribution<float> jitter(0.0f, 0.05f);
  for (size_t i = 0; i < queries; ++i)
    for (size_t d = 0; d < dims; ++d) query_data[i * dims + d] = data[(i * 53) % n * dims + d] + jitter(rng);
  if (metric == Metric::kCosine) {
    for (size_t i = 0; i < n; ++i) normalize(&data[i * dims], dims);
    for (size_t i = 0; i < queries; ++i) normalize(&query_data[i * dims], dims);
  }
  std::unique_ptr<Space> space = use_sq8 ? make_sq8_space(metric, Sq8Quantizer::train(data.data(), n, dims))
                                         : make_float_space(metric, dims);
  CodeStore codes(space->code_size());
  for (size_t i = 0; i < n; ++i) space->encode(&data[i * dims], codes.append(space->code_size()));
  Graph graph(*space, codes, GraphParams{16, 64}, 7);
  graph.build(2, InterruptCheck(), nullptr);

  size_t hits = 0;
  for (size_t qi = 0; qi < queries; ++qi) {
    const float* q = &query_data[qi * dims];
    std::vector<std::pair<float, uint32_t>> truth;
    for (uint32_t i = 0; i < n; ++i) truth.push_back({exact_key(metric, q, &data[i * dims], dims), i});
    std::sort(truth.begin(), truth.end());
    auto found = graph.search(*space->prepare(q), 40, 40);
    for (auto& c : found) c.distance = exact_key(metric, q, &data[c.id * dims], dims);  // re-rank
    std::sort(found.begin(), found.end(), [](auto& a, auto& b) { return a.distance < b.distance; });
    std::set<uint32_t> top;
    for (size_t i = 0; i < k; ++i) top.insert(truth[i].second);
    for (size_t i = 0; i < k && i < found.size(); ++i) hits += top.count(found[i].id);
  }
  return double(hits) / double(queries * k);
}

TEST(HnswGraph, Sq8RecallL2) { EXPECT_GE(dense_recall(Metric::kL2, true), 0.98); }
TEST(HnswGraph, Sq8RecallInnerProduct) { EXPECT_GE(dense_recall(Metric::kInnerProduct, true), 0.95); }
TEST(HnswGraph, Sq8RecallCosine) { EXPECT_GE(dense_recall(Metric::kCosine, true), 0.98); }
TEST(HnswGraph, Sq8RecallL1) { EXPECT_GE(dense_recall(Metric::kL1, true), 0.98); }
TEST(HnswGraph, FloatRecallL2) { EXPECT_GE(dense_recall(Metric::kL2, false), 0.98); }

TEST(HnswGraph, BitRecallHamming) {
  const size_t n = 3000, nbytes = 16;
  std::mt19937 rng(3);
  // clustered bit strings: flip a few bits of 30 prototypes
  std::vector<uint8_t> protos(30 * nbytes), data(n * nbytes);
  for (auto& b : protos) b = static_cast<uint8_t>(rng());
  for (size_t i = 0; i < n; ++i) {
    std::copy_n(&protos[(rng() % 30) * nbytes], nbytes, &data[i * nbytes]);
    for (int f = 0; f < 12; ++f) data[i * nbytes + rng() % nbytes] ^= static_cast<uint8_t>(1u << (rng() % 8));
  }
  auto space = make_bit_space(Metric::kHamming, nbytes);
  CodeStore codes(nbytes);
  for (size_t i = 0; i < n; ++i) space->encode(&data[i * nbytes], codes.append(nbytes));
  Graph graph(*space, codes, GraphParams{16, 64}, 1);
  graph.build(2, InterruptCheck(), nullptr);
  size_t hits = 0, total = 0;
  for (size_t qi = 0; qi < 30; ++qi) {
    const uint8_t* q = &data[qi * 97 * nbytes];
    auto query = space->prepare(q);
    std::vector<float> all(n);
    for (size_t i = 0; i < n; ++i) all[i] = (*query)(&data[i * nbytes]);
    std::vector<float> sorted = all;
    std::nth_element(sorted.begin(), sorted.begin() + 9, sorted.end());
    const float tenth = sorted[9];
    for (const auto& c : graph.search(*query, 10, 64)) hits += all[c.id] <= tenth;  // ties count as hits
    total += 10;
  }
  EXPECT_GE(double(hits) / double(total), 0.97);
}

TEST(HnswGraph, LinksRespectCapacityAndLevels) {
  const size_t n = 2000, dims = 16;
  std::vector<float> data = clustered(n, dims, 5);
  auto space = make_sq8_space(Metric::kL2, Sq8Quantizer::train(data.data(), n, dims));
  CodeStore codes(space->code_size());
  for (size_t i = 0; i < n; ++i) space->encode(&data[i * dims], codes.append(space->code_size()));
  Graph graph(*space, codes, GraphParams{8, 32}, 9);
  graph.build(2, InterruptCheck(), nullptr);
  EXPECT_EQ(graph.level(graph.entry_point()), graph.max_level());
  size_t isolated = 0;
  for (uint32_t id = 0; id < n; ++id) {
    for (int l = 0; l <= graph.level(id); ++l) {
      const auto links = graph.links(id, l);
      ASSERT_LE(links.size(), graph.capacity(l));
      for (uint32_t to : links) {
        ASSERT_LT(to, n);
        ASSERT_NE(to, id);
        ASSERT_GE(graph.level(to), l) << "a link at level " << l << " must point to a node that has that level";
      }
      if (l == 0 && links.empty()) ++isolated;
    }
  }
  EXPECT_EQ(isolated, 0u);
}

// Every node is named by some level-0 list (else no search could reach it), even for data with groups
// of identical values and with concurrent inserts; and no group of copies links only to itself.
TEST(HnswGraph, EveryNodeIsLinkedAndCopiesLinkOut) {
  const size_t groups = 40, copies = 50, dims = 8, n = groups * copies;
  std::vector<float> distinct = clustered(groups, dims, 13);
  std::vector<float> data(n * dims);
  for (size_t i = 0; i < n; ++i)
    std::copy(&distinct[(i % groups) * dims], &distinct[(i % groups) * dims] + dims, &data[i * dims]);
  auto space = make_float_space(Metric::kL2, dims);
  CodeStore codes(space->code_size());
  for (size_t i = 0; i < n; ++i) space->encode(&data[i * dims], codes.append(space->code_size()));
  Graph graph(*space, codes, GraphParams{8, 32}, 3);
  graph.build(2, InterruptCheck(), nullptr);
  std::vector<size_t> named(n, 0);
  size_t copies_linking_out = 0;
  for (uint32_t id = 0; id < n; ++id) {
    bool out = false;
    for (uint32_t to : graph.links(id, 0)) {
      named[to]++;
      out = out || (to % groups) != (id % groups);
    }
    copies_linking_out += out;
  }
  for (uint32_t id = 0; id < n; ++id) {
    if (id != graph.entry_point()) {
      EXPECT_GT(named[id], 0u) << "node " << id << " is named by no list";
    }
  }
  EXPECT_GT(copies_linking_out, n / 2);
}

// Following level-0 links from the entry point reaches every node, for threaded builds over data that
// tends to form islands (tight clusters, many copies of few values, small lists) and over spread data.
TEST(HnswGraph, EveryNodeIsReachableFromTheEntryPoint) {
  struct Case {
    size_t groups, copies, dims;
    int m;
    uint32_t seed;
  };
  for (const Case& c : {Case{40, 50, 8, 4, 3}, Case{200, 10, 16, 4, 5}, Case{3000, 1, 12, 4, 8}, Case{500, 4, 32, 8, 9}}) {
    const size_t n = c.groups * c.copies;
    std::vector<float> distinct = clustered(c.groups, c.dims, c.seed);
    std::vector<float> data(n * c.dims);
    for (size_t i = 0; i < n; ++i)
      std::copy(&distinct[(i % c.groups) * c.dims], &distinct[(i % c.groups) * c.dims] + c.dims, &data[i * c.dims]);
    auto space = make_float_space(Metric::kL2, c.dims);
    CodeStore codes(space->code_size());
    for (size_t i = 0; i < n; ++i) space->encode(&data[i * c.dims], codes.append(space->code_size()));
    Graph graph(*space, codes, GraphParams{c.m, 2 * c.m}, c.seed);
    graph.build(4, InterruptCheck(), nullptr);
    std::vector<uint8_t> reached(n, 0);
    std::vector<uint32_t> stack{graph.entry_point()};
    reached[graph.entry_point()] = 1;
    while (!stack.empty()) {
      const uint32_t id = stack.back();
      stack.pop_back();
      for (uint32_t to : graph.links(id, 0)) {
        if (!reached[to]) {
          reached[to] = 1;
          stack.push_back(to);
        }
      }
    }
    EXPECT_EQ(static_cast<size_t>(std::count(reached.begin(), reached.end(), 1)), n)
        << c.groups << " groups of " << c.copies << " copies, " << c.dims << " dims, m " << c.m;
  }
}

TEST(HnswGraph, LevelsAreReproducibleAndGeometric) {
  size_t above0 = 0;
  for (uint64_t i = 0; i < 100000; ++i) {
    EXPECT_EQ(random_level(42, i, 16), random_level(42, i, 16));
    above0 += random_level(42, i, 16) > 0;
  }
  // P(level > 0) = 1/m
  EXPECT_NEAR(double(above0) / 100000.0, 1.0 / 16.0, 0.005);
}

TEST(Sq8Quantizer, IntegerDataIsLossless) {
  std::vector<float> data = {0, 255, 3, 7, 100, 12, 255, 0, 9};
  Sq8Quantizer q = Sq8Quantizer::train(data.data(), 3, 3);
  EXPECT_EQ(q.step(), 1.0f);
  std::vector<uint8_t> code(3);
  std::vector<float> back(3);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(q.encode(&data[i * 3], code.data()));
    q.decode(code.data(), back.data());
    for (size_t d = 0; d < 3; ++d) EXPECT_EQ(back[d], data[i * 3 + d]);
  }
  const float outside[3] = {300, 1, 1};
  EXPECT_FALSE(q.encode(outside, code.data())) << "a clamped value is not exact";
}

TEST(Sq8Quantizer, ErrorIsAtMostHalfAStep) {
  std::vector<float> data = clustered(500, 32, 4);
  Sq8Quantizer q = Sq8Quantizer::train(data.data(), 500, 32);
  std::vector<uint8_t> code(32);
  std::vector<float> back(32);
  for (size_t i = 0; i < 500; ++i) {
    q.encode(&data[i * 32], code.data());
    q.decode(code.data(), back.data());
    for (size_t d = 0; d < 32; ++d) ASSERT_LE(std::fabs(back[d] - data[i * 32 + d]), q.step() * 0.5001f);
  }
}

// encode() rounds without libm; it must pick exactly the codes nearbyint-then-clamp picks, ties to even
// included, for values on, between, halfway between and outside the grid.
TEST(Sq8Quantizer, RoundsLikeNearbyintThenClamps) {
  const Sq8Quantizer q(std::vector<float>(8, -2.0f), 0.5f);
  std::vector<float> values = {-3.0f, -2.25f, -2.0f,  -1.75f,  -1.25f, 0.0f,    0.2499f, 0.25f,
                               0.75f, 1.25f,  63.25f, 125.25f, 125.5f, 125.75f, 126.0f,  200.0f};
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> any(-10.0f, 140.0f);
  for (int i = 0; i < 4000; ++i) values.push_back(any(rng));
  values.resize((values.size() + 7) / 8 * 8, 1.0f);
  std::vector<uint8_t> code(8);
  for (size_t at = 0; at < values.size(); at += 8) {
    bool exact = true;
    for (size_t d = 0; d < 8; ++d) {
      const float c = std::min(255.0f, std::max(0.0f, std::nearbyint((values[at + d] + 2.0f) * 2.0f)));
      exact = exact && -2.0f + 0.5f * c == values[at + d];
    }
    EXPECT_EQ(q.encode(&values[at], code.data()), exact) << "row at " << at;
    for (size_t d = 0; d < 8; ++d) {
      const float c = std::min(255.0f, std::max(0.0f, std::nearbyint((values[at + d] + 2.0f) * 2.0f)));
      ASSERT_EQ(code[d], static_cast<uint8_t>(c)) << "value " << values[at + d];
    }
  }
}

}  // namespace
}  // namespace piramid::hnsw
