// Exact k-NN with the SIMD distance kernels (the same ones the SQL operators use), so results match
// ORDER BY <op> on the same rows. Base rows are processed in tiles that stay in cache while every query
// passes over them; each worker keeps its own top-k per query, merged at the end.
#include "piramid/compute/knn.h"

#include "piramid/distance.h"
#include "piramid/error.h"
#include "piramid/half.h"
#include "piramid/parallel.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

namespace piramid {
namespace {

constexpr size_t kTile = 128;  // base rows per tile: 128 x 768 floats = 384 KB, an L2 cache's worth

// A bounded max-heap of the k best hits (worst on top).
class HitHeap {
 public:
  void reset(size_t k) { k_ = k, hits_.clear(), hits_.reserve(k); }
  bool wants(double d) const {
    return hits_.size() < k_ || ordered_distance_bits(d) <= ordered_distance_bits(hits_.front().distance);
  }
  void push(const KnnHit& h) {
    if (hits_.size() < k_) {
      hits_.push_back(h);
      std::push_heap(hits_.begin(), hits_.end());
    } else if (h < hits_.front()) {
      std::pop_heap(hits_.begin(), hits_.end());
      hits_.back() = h;
      std::push_heap(hits_.begin(), hits_.end());
    }
  }
  const std::vector<KnnHit>& hits() const { return hits_; }

 private:
  size_t k_ = 0;
  std::vector<KnnHit> hits_;
};

}  // namespace

struct ExactKnn::Shared {
  std::vector<float> queries;
  size_t nq, dim, k;
  Metric metric;
  ComputeContext ctx;
  int threads;
  std::vector<std::vector<HitHeap>> heaps;  // [worker][query]
};

ExactKnn::ExactKnn(const float* queries, size_t nq, size_t dim, Metric metric, size_t k, const ComputeContext& ctx)
    : shared_(new Shared) {
  if (dim == 0) throw Error(ErrorKind::kInvalidParameter, "k-NN search needs vectors with at least one dimension");
  if (k == 0) throw Error(ErrorKind::kInvalidParameter, "k-NN search needs k of at least 1");
  if (metric != Metric::kL2 && metric != Metric::kInnerProduct && metric != Metric::kCosine) {
    throw Error(ErrorKind::kFeatureNotSupported,
                std::string("exact k-NN search does not support the ") + metric_name(metric) + " metric");
  }
  Shared& s = *shared_;
  s.queries.assign(queries, queries + nq * dim);
  s.nq = nq, s.dim = dim, s.k = k, s.metric = metric, s.ctx = ctx;
  s.threads = worker_count(ctx.threads, 1 << 20);
  s.heaps.resize(s.threads);
  for (auto& per_worker : s.heaps) {
    per_worker.resize(nq);
    for (auto& h : per_worker) h.reset(k);
  }
}

ExactKnn::~ExactKnn() = default;

void ExactKnn::set_context(const ComputeContext& ctx) {
  // The heaps were sized for the first thread count; more threads than that would need more heaps.
  const int threads = shared_->threads;
  shared_->ctx = ctx;
  shared_->ctx.threads = std::min(threads, worker_count(ctx.threads, 1 << 20));
}

void ExactKnn::add(const void* base, VectorType type, size_t n, const int64_t* ids) {
  Shared& s = *shared_;
  const size_t dim = s.dim, first_row = rows_seen_;
  const DistanceKernels& kern = kernels();
  std::vector<std::vector<float>> tiles(s.threads);
  std::atomic<size_t> done{0};
  const int threads = worker_count(std::min(s.threads, worker_count(s.ctx.threads, 1 << 20)), (n + kTile - 1) / kTile);
  parallel_for(
      n, threads, kTile,
      [&](size_t begin, size_t end, int worker) {
        const size_t rows = end - begin;
        const float* tile;
        if (type == VectorType::kF32) {
          tile = static_cast<const float*>(base) + begin * dim;
        } else {
          // halfvec rows widen exactly to float, so f32 kernels give the halfvec operators' results.
          std::vector<float>& buf = tiles[worker];
          buf.resize(kTile * dim);
          const uint16_t* h = static_cast<const uint16_t*>(base) + begin * dim;
          for (size_t i = 0; i < rows * dim; ++i) buf[i] = half_to_float(h[i]);
          tile = buf.data();
        }
        std::vector<HitHeap>& heaps = s.heaps[worker];
        for (size_t q = 0; q < s.nq; ++q) {
          const float* query = s.queries.data() + q * dim;
          HitHeap& heap = heaps[q];
          for (size_t r = 0; r < rows; ++r) {
            const float* row = tile + r * dim;
            // The operators' own kernels and formulas, so the distances equal theirs bit for bit.
            double d;
            if (s.metric == Metric::kL2) {
              d = kern.l2sq_f32(query, row, dim);  // ordered by the square; the root is taken in result()
            } else if (s.metric == Metric::kInnerProduct) {
              d = -static_cast<double>(kern.dot_f32(query, row, dim));
            } else {
              const CosineParts c = kern.cosine_f32(query, row, dim);
              double sim = static_cast<double>(c.dot) / std::sqrt(static_cast<double>(c.norm_a) * c.norm_b);
              if (sim > 1.0) sim = 1.0;  // NaN (a zero vector) passes through both tests
              else if (sim < -1.0) sim = -1.0;
              d = 1.0 - sim;
            }
            if (!heap.wants(d)) continue;
            const size_t global = begin + r;
            heap.push(KnnHit{d, ids != nullptr ? ids[global] : static_cast<int64_t>(first_row + global)});
          }
        }
        const size_t finished = done.fetch_add(rows) + rows;
        if (worker == 0) {
          s.ctx.report(ComputePhase::kSearch, static_cast<int64_t>(first_row + finished), -1);
        }
      },
      s.ctx.interrupt);
  rows_seen_ += n;
}

void ExactKnn::result(int64_t* ids, double* distances) const {
  const Shared& s = *shared_;
  std::vector<KnnHit> all;
  for (size_t q = 0; q < s.nq; ++q) {
    all.clear();
    for (const auto& per_worker : s.heaps) {
      const auto& hits = per_worker[q].hits();
      all.insert(all.end(), hits.begin(), hits.end());
    }
    const size_t keep = std::min(all.size(), s.k);
    std::partial_sort(all.begin(), all.begin() + keep, all.end());
    for (size_t i = 0; i < s.k; ++i) {
      const size_t at = q * s.k + i;
      if (i < keep) {
        ids[at] = all[i].id;
        distances[at] = s.metric == Metric::kL2 ? std::sqrt(all[i].distance) : all[i].distance;
      } else {
        ids[at] = -1;
        distances[at] = std::numeric_limits<double>::infinity();
      }
    }
  }
}

void exact_knn(const float* queries, size_t nq, const void* base, VectorType type, size_t n, size_t dim,
               Metric metric, size_t k, int64_t* ids, double* distances, const ComputeContext& ctx) {
  ExactKnn knn(queries, nq, dim, metric, k, ctx);
  knn.add(base, type, n, nullptr);
  knn.result(ids, distances);
}

}  // namespace piramid
