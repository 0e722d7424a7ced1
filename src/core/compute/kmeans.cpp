// k-means: k-means++ seeding (with a triangle-inequality skip), Lloyd iterations on GEMM distances, a
// deterministic centroid update and empty-cluster re-seeding. The steps that must match the GPU backend
// bit for bit (row sampling, the D^2 draw, re-seeding) live in piramid/compute/kmeans_steps.h.
#include "piramid/compute/kmeans.h"

#include "nearest.h"
#include "piramid/compute/kmeans_steps.h"
#include "piramid/distance.h"
#include "piramid/error.h"
#include "piramid/parallel.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

namespace piramid {
namespace {

using compute::CentroidSet;

void check_shape(size_t n, size_t dim, size_t clusters) {
  if (clusters == 0) throw Error(ErrorKind::kInvalidParameter, "k-means needs at least one cluster");
  if (dim == 0) throw Error(ErrorKind::kInvalidParameter, "k-means needs vectors with at least one dimension");
  if (clusters > static_cast<size_t>(INT32_MAX)) {
    throw Error(ErrorKind::kProgramLimitExceeded, "too many k-means clusters: " + std::to_string(clusters));
  }
  if (n > UINT32_MAX) {
    throw Error(ErrorKind::kProgramLimitExceeded, "k-means takes at most 4294967295 rows, not " + std::to_string(n));
  }
  if (n < clusters) {
    throw Error(ErrorKind::kInvalidParameter,
                "k-means needs at least as many vectors as clusters: " + std::to_string(n) + " vectors for " +
                    std::to_string(clusters) + " clusters",
                {}, "Use fewer lists or train on more rows.");
  }
}

bool spherical(Metric metric) { return metric == Metric::kInnerProduct || metric == Metric::kCosine; }

// The seeding geometry: rows as given (kL2, kInnerProduct) or scaled to unit length (kCosine). D^2 is
// the squared Euclidean distance in that geometry; for unit rows it is 2 - 2 cos.
struct SeedSpace {
  const float* x;
  size_t dim;
  const float* scale;  // 1/|x| for kCosine, else null

  void point(size_t row, float* out) const {
    std::memcpy(out, x + row * dim, dim * sizeof(float));
    if (scale != nullptr) {
      for (size_t j = 0; j < dim; ++j) out[j] *= scale[row];
    }
  }
  float d2(size_t row, const float* p) const {
    if (scale == nullptr) return kernels().l2sq_f32(x + row * dim, p, dim);
    return std::max(0.0f, 2.0f - 2.0f * scale[row] * kernels().dot_f32(x + row * dim, p, dim));
  }
};

// k-means++ over the sampled rows. A row whose nearest seed is farther from the new seed than twice its
// own D^2 distance cannot get closer (triangle inequality), so most rows are skipped in later rounds.
void seed_plusplus(const SeedSpace& space, size_t n, size_t clusters, Metric metric, uint64_t seed,
                   size_t per_cluster, float* centroids, const ComputeContext& ctx) {
  const size_t dim = space.dim;
  SplitMix64 rng(seed);
  const std::vector<uint32_t> rows = sample_rows(n, init_sample_size(n, clusters, per_cluster), rng);
  const size_t s = rows.size();
  std::vector<float> seeds(clusters * dim);  // chosen points in the seeding geometry
  std::vector<float> d2(s);
  std::vector<int32_t> owner(s, 0);
  std::vector<float> seed_gap(clusters);  // squared distance from the new seed to each earlier seed
  const int threads = worker_count(ctx.threads, s / 1024 + 1);

  space.point(rows[rng.below(s)], seeds.data());
  for (size_t c = 0; c < clusters; ++c) {
    const float* p = seeds.data() + c * dim;
    if (c > 0) {
      for (size_t e = 0; e < c; ++e) seed_gap[e] = kernels().l2sq_f32(p, seeds.data() + e * dim, dim);
    }
    parallel_for(
        s, threads, 1024,
        [&](size_t begin, size_t end, int) {
          for (size_t i = begin; i < end; ++i) {
            // 4.0001: a margin so rounding in the bound can never skip a row that would have moved.
            if (c > 0 && seed_gap[owner[i]] >= 4.0001f * d2[i]) continue;
            const float d = space.d2(rows[i], p);
            if (c == 0 || d < d2[i]) d2[i] = d, owner[i] = static_cast<int32_t>(c);
          }
        },
        ctx.interrupt);
    if ((c & 15) == 15 || c + 1 == clusters) {
      ctx.report(ComputePhase::kKMeansInit, static_cast<int64_t>(c + 1), static_cast<int64_t>(clusters));
    }
    if (c + 1 < clusters) {
      const size_t pick = pick_weighted(d2.data(), s, rng.uniform());
      space.point(rows[pick], seeds.data() + (c + 1) * dim);
    }
  }
  std::memcpy(centroids, seeds.data(), seeds.size() * sizeof(float));
  if (spherical(metric)) {
    for (size_t c = 0; c < clusters; ++c) normalize_row(centroids + c * dim, dim);
  }
}

// New centroids from the labels: rows grouped by cluster (a counting sort, so each sum runs in row order
// and the result does not depend on the thread count), summed in double. Spherical centroids are scaled
// to unit length; a cluster with no rows, or a zero spherical sum, keeps its previous centroid.
void update_centroids(const float* x, size_t n, size_t dim, const int32_t* labels, const int64_t* counts,
                      size_t k, Metric metric, const float* row_scale, float* centroids,
                      const ComputeContext& ctx) {
  std::vector<size_t> start(k + 1, 0);
  for (size_t c = 0; c < k; ++c) start[c + 1] = start[c] + static_cast<size_t>(counts[c]);
  std::vector<uint32_t> order(n);
  {
    std::vector<size_t> fill(start.begin(), start.end() - 1);
    for (size_t i = 0; i < n; ++i) order[fill[labels[i]]++] = static_cast<uint32_t>(i);
  }
  parallel_for(
      k, worker_count(ctx.threads, k), 16,
      [&](size_t begin, size_t end, int) {
        std::vector<double> sum(dim);
        for (size_t c = begin; c < end; ++c) {
          if (counts[c] == 0) continue;
          std::fill(sum.begin(), sum.end(), 0.0);
          for (size_t p = start[c]; p < start[c + 1]; ++p) {
            const size_t i = order[p];
            const float* row = x + i * dim;
            const double w = row_scale != nullptr ? row_scale[i] : 1.0;
            for (size_t j = 0; j < dim; ++j) sum[j] += w * row[j];
          }
          double scale = 1.0 / static_cast<double>(counts[c]);
          if (spherical(metric)) {
            double norm2 = 0;
            for (size_t j = 0; j < dim; ++j) norm2 += sum[j] * sum[j];
            if (!(norm2 > 0)) continue;
            scale = 1.0 / std::sqrt(norm2);
          }
          float* out = centroids + c * dim;
          for (size_t j = 0; j < dim; ++j) out[j] = static_cast<float>(sum[j] * scale);
        }
      },
      ctx.interrupt);
}

}  // namespace

void kmeans_plusplus(const float* x, size_t n, size_t dim, size_t clusters, Metric metric, uint64_t seed,
                     size_t init_rows_per_cluster, float* centroids, const ComputeContext& ctx) {
  check_shape(n, dim, clusters);
  std::vector<float> scale;
  if (metric == Metric::kCosine) scale = compute::inverse_norms(x, n, dim, ctx);
  const SeedSpace space{x, dim, scale.empty() ? nullptr : scale.data()};
  seed_plusplus(space, n, clusters, metric, seed, init_rows_per_cluster, centroids, ctx);
}

KMeansResult kmeans_train(const float* x, size_t n, size_t dim, const KMeansOptions& options,
                          const ComputeContext& ctx) {
  const size_t k = options.clusters;
  check_shape(n, dim, k);
  if (options.metric != Metric::kL2 && !spherical(options.metric)) {
    throw Error(ErrorKind::kFeatureNotSupported,
                std::string("k-means does not support the ") + metric_name(options.metric) + " metric");
  }
  KMeansResult result;
  result.centroids.resize(k * dim);
  std::vector<float> scale;
  if (options.metric == Metric::kCosine) scale = compute::inverse_norms(x, n, dim, ctx);
  const float* row_scale = scale.empty() ? nullptr : scale.data();

  if (options.initial_centroids != nullptr) {
    std::memcpy(result.centroids.data(), options.initial_centroids, k * dim * sizeof(float));
    if (spherical(options.metric)) {
      for (size_t c = 0; c < k; ++c) normalize_row(result.centroids.data() + c * dim, dim);
    }
  } else {
    seed_plusplus(SeedSpace{x, dim, row_scale}, n, k, options.metric, options.seed, options.init_rows_per_cluster,
                  result.centroids.data(), ctx);
  }

  std::vector<int32_t> labels(n);
  std::vector<float> distance(n);
  std::vector<int64_t> counts(k);
  for (int it = 0; it < options.iterations; ++it) {
    const CentroidSet set(result.centroids.data(), k, dim, options.metric);
    compute::assign_rows(set, x, n, row_scale, labels.data(), distance.data(), ctx, false);
    double objective = 0;
    for (size_t i = 0; i < n; ++i) objective += distance[i];
    result.objective.push_back(objective);

    std::fill(counts.begin(), counts.end(), 0);
    for (size_t i = 0; i < n; ++i) counts[labels[i]]++;
    result.reseeded += reseed_empty_clusters(labels.data(), distance.data(), n, counts.data(), k);
    update_centroids(x, n, dim, labels.data(), counts.data(), k, options.metric, row_scale,
                     result.centroids.data(), ctx);
    result.iterations = it + 1;
    ctx.report(ComputePhase::kKMeansIterate, it + 1, options.iterations);
    if (options.tolerance > 0 && it > 0) {
      const double previous = result.objective[result.objective.size() - 2];
      if (previous - objective <= options.tolerance * std::fabs(previous)) break;
    }
  }
  return result;
}

void assign_nearest(const float* x, size_t n, size_t dim, const float* centroids, size_t k, Metric metric,
                    int32_t* labels, float* distance, const ComputeContext& ctx) {
  if (k == 0) throw Error(ErrorKind::kInvalidParameter, "cannot assign vectors to zero centroids");
  if (dim == 0) throw Error(ErrorKind::kInvalidParameter, "cannot assign vectors with zero dimensions");
  if (metric != Metric::kL2 && !spherical(metric)) {
    throw Error(ErrorKind::kFeatureNotSupported,
                std::string("nearest-centroid assignment does not support the ") + metric_name(metric) + " metric");
  }
  std::vector<float> scale;
  if (metric == Metric::kCosine && distance != nullptr) scale = compute::inverse_norms(x, n, dim, ctx);
  const CentroidSet set(centroids, k, dim, metric);
  compute::assign_rows(set, x, n, scale.empty() ? nullptr : scale.data(), labels, distance, ctx, true);
}

}  // namespace piramid
