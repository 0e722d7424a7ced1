#include "kmeans.cuh"

#include "assign.cuh"
#include "piramid/compute/kmeans_steps.h"

#include <cmath>
#include <cstring>
#include <vector>

namespace piramid::gpu {
namespace {

constexpr unsigned kWarpsPerBlock = 8;

// D^2 from each sampled row to the newest seed, kept as the minimum over seeds. As on the CPU: squared
// Euclidean distance, or 2 - 2 cos for cosine (rows scaled to unit length).
__global__ void seed_distance_kernel(const float* x, int dim, const uint32_t* rows, int64_t s, uint32_t seed_row,
                                     const float* scale, bool first, float* d2) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (i >= s) return;
  const float* r = x + static_cast<int64_t>(rows[i]) * dim;
  const float* p = x + static_cast<int64_t>(seed_row) * dim;
  float acc = 0;
  if (scale == nullptr) {
    for (int j = lane; j < dim; j += 32) {
      const float diff = r[j] - p[j];
      acc = fmaf(diff, diff, acc);
    }
  } else {
    for (int j = lane; j < dim; j += 32) acc = fmaf(r[j], p[j], acc);
  }
  for (int offset = 16; offset > 0; offset >>= 1) acc += __shfl_xor_sync(0xffffffffu, acc, offset);
  if (lane != 0) return;
  float d = acc;
  if (scale != nullptr) d = fmaxf(0.0f, 2.0f - 2.0f * scale[rows[i]] * scale[seed_row] * acc);
  if (first || d < d2[i]) d2[i] = d;
}

// One block per cluster: sums its rows (grouped by the host's counting sort) in double, in row order,
// without fused multiply-adds, so the sums equal the CPU's bit for bit. Then the mean, or for spherical
// k-means the unit direction. A cluster without rows, or with a zero spherical sum, keeps its centroid.
__global__ void update_kernel(const float* x, int dim, const uint32_t* order, const uint32_t* start,
                              const float* row_scale, bool spherical, double* sum, float* centroids) {
  const int c = blockIdx.x;
  const uint32_t begin = start[c], end = start[c + 1];
  if (begin == end) return;
  double* s = sum + static_cast<int64_t>(c) * dim;
  for (int j = threadIdx.x; j < dim; j += blockDim.x) {
    double acc = 0;
    for (uint32_t p = begin; p < end; ++p) {
      const uint32_t i = order[p];
      const double w = row_scale != nullptr ? static_cast<double>(row_scale[i]) : 1.0;
      acc = __dadd_rn(acc, __dmul_rn(w, static_cast<double>(x[static_cast<int64_t>(i) * dim + j])));
    }
    s[j] = acc;
  }
  __shared__ double scale;
  __syncthreads();
  if (threadIdx.x == 0) {
    if (spherical) {
      double norm2 = 0;
      for (int j = 0; j < dim; ++j) norm2 = __dadd_rn(norm2, __dmul_rn(s[j], s[j]));
      scale = norm2 > 0 ? 1.0 / sqrt(norm2) : 0.0;
    } else {
      scale = 1.0 / static_cast<double>(end - begin);
    }
  }
  __syncthreads();
  if (scale == 0.0) return;
  float* out = centroids + static_cast<int64_t>(c) * dim;
  for (int j = threadIdx.x; j < dim; j += blockDim.x) out[j] = __double2float_rn(__dmul_rn(s[j], scale));
}

bool is_spherical(int metric) { return metric == PMD_METRIC_INNER_PRODUCT || metric == PMD_METRIC_COSINE; }

// k-means++ as seed_plusplus() on the CPU: returns the seeds in the seeding geometry, on the host.
void seed_plusplus(const KMeansInput& in, const pmd_kmeans_params& params, const float* device_scale,
                   const std::vector<float>& host_scale, float* centroids, const Hooks& hooks, bool report) {
  const int k = params.clusters, dim = in.dim;
  SplitMix64 rng(params.seed);
  const size_t per_cluster = params.init_rows_per_cluster < 0 ? 0 : static_cast<size_t>(params.init_rows_per_cluster);
  const std::vector<uint32_t> rows = sample_rows(static_cast<size_t>(in.n), init_sample_size(in.n, k, per_cluster), rng);
  const int64_t s = static_cast<int64_t>(rows.size());
  DeviceBuffer<uint32_t> device_rows(rows.size());
  copy_to_device(device_rows.get(), rows.data(), rows.size() * sizeof(uint32_t));
  DeviceBuffer<float> d2(rows.size());
  PinnedBuffer<float> host_d2(rows.size());
  std::vector<uint32_t> chosen(k);
  chosen[0] = rows[rng.below(static_cast<uint64_t>(s))];
  Device& d = current_device();
  for (int c = 0; c < k; ++c) {
    hooks.check_interrupt();
    seed_distance_kernel<<<blocks_for(s, kWarpsPerBlock), kWarpsPerBlock * 32, 0, d.stream>>>(
        in.device_x, dim, device_rows.get(), s, chosen[c], device_scale, c == 0, d2.get());
    check_launch("seed_distance");
    if (report && ((c & 15) == 15 || c + 1 == k)) hooks.progress(PMD_PHASE_KMEANS_INIT, c + 1, k);
    if (c + 1 == k) break;
    copy_to_host(host_d2.get(), d2.get(), rows.size() * sizeof(float));
    chosen[c + 1] = rows[pick_weighted(host_d2.get(), rows.size(), rng.uniform())];
  }
  for (int c = 0; c < k; ++c) {
    float* out = centroids + static_cast<int64_t>(c) * dim;
    std::memcpy(out, in.host_x + static_cast<int64_t>(chosen[c]) * in.host_stride, dim * sizeof(float));
    if (!host_scale.empty()) {
      for (int j = 0; j < dim; ++j) out[j] *= host_scale[chosen[c]];
    }
    if (is_spherical(params.metric)) normalize_row(out, dim);
  }
}

}  // namespace

void kmeans_on_device(const KMeansInput& in, const pmd_kmeans_params& params, float* centroids,
                      pmd_kmeans_stats* stats, const Hooks& hooks, bool report) {
  const int k = params.clusters, dim = in.dim, metric = params.metric;
  const int64_t n = in.n;
  const size_t rows = static_cast<size_t>(n);
  if (k <= 0 || dim <= 0) fail(PMD_INVALID_ARGUMENT, "k-means needs at least one cluster and one dimension");
  if (metric != PMD_METRIC_L2 && !is_spherical(metric)) fail(PMD_INVALID_ARGUMENT, "unknown k-means metric");
  if (n < k) {
    fail(PMD_INVALID_ARGUMENT, "k-means needs at least as many vectors as clusters: " + std::to_string(n) +
                                   " vectors for " + std::to_string(k) + " clusters");
  }
  if (n > UINT32_MAX) fail(PMD_UNSUPPORTED, "k-means on the GPU takes at most 2^32 - 1 rows");

  // Per-row norms: |x|^2 for L2 distances, 1/|x| for cosine (the update weighs rows by it).
  DeviceBuffer<float> norm2, scale;
  std::vector<float> host_scale;
  if (metric == PMD_METRIC_L2) {
    norm2.allocate(rows);
    row_norms(in.device_x, n, dim, dim, norm2.get(), false);
  } else if (metric == PMD_METRIC_COSINE) {
    scale.allocate(rows);
    row_norms(in.device_x, n, dim, dim, scale.get(), true);
    host_scale.resize(rows);
    copy_to_host(host_scale.data(), scale.get(), rows * sizeof(float));
  }

  if (params.flags & PMD_KMEANS_GIVEN_INIT) {
    if (is_spherical(metric)) {
      for (int c = 0; c < k; ++c) normalize_row(centroids + static_cast<int64_t>(c) * dim, dim);
    }
  } else {
    seed_plusplus(in, params, scale.get(), host_scale, centroids, hooks, report);
  }

  DeviceCentroids device_centroids(k, dim, metric, n);
  copy_to_device(device_centroids.data(), centroids, static_cast<size_t>(k) * dim * sizeof(float));
  DeviceBuffer<int32_t> labels(rows);
  DeviceBuffer<float> distance(rows);
  DeviceBuffer<uint32_t> order(rows), start(static_cast<size_t>(k) + 1);
  DeviceBuffer<double> sums(static_cast<size_t>(k) * dim);
  PinnedBuffer<int32_t> host_labels(rows);
  PinnedBuffer<float> host_distance(rows);
  PinnedBuffer<uint32_t> host_order(rows), host_start(static_cast<size_t>(k) + 1);
  std::vector<int64_t> counts(k);
  std::vector<uint32_t> fill(k);
  std::vector<double> objective;
  int reseeded = 0, iterations = 0;
  Device& d = current_device();

  for (int it = 0; it < params.iterations; ++it) {
    device_centroids.refresh_terms();
    device_centroids.assign(in.device_x, n, dim, norm2.get(), scale.get(), labels.get(), distance.get(), hooks);
    copy_to_host(host_labels.get(), labels.get(), rows * sizeof(int32_t));
    copy_to_host(host_distance.get(), distance.get(), rows * sizeof(float));

    // The host part, shared with the CPU backend: objective, counts, re-seeding, rows grouped by cluster.
    double total = 0;
    for (size_t i = 0; i < rows; ++i) total += host_distance[i];
    objective.push_back(total);
    std::fill(counts.begin(), counts.end(), 0);
    for (size_t i = 0; i < rows; ++i) counts[host_labels[i]]++;
    reseeded += static_cast<int>(reseed_empty_clusters(host_labels.get(), host_distance.get(), rows, counts.data(), k));
    host_start[0] = 0;
    for (int c = 0; c < k; ++c) host_start[c + 1] = host_start[c] + static_cast<uint32_t>(counts[c]);
    for (int c = 0; c < k; ++c) fill[c] = host_start[c];
    for (size_t i = 0; i < rows; ++i) host_order[fill[host_labels[i]]++] = static_cast<uint32_t>(i);
    copy_to_device(order.get(), host_order.get(), rows * sizeof(uint32_t));
    copy_to_device(start.get(), host_start.get(), (static_cast<size_t>(k) + 1) * sizeof(uint32_t));

    const unsigned threads = dim >= 256 ? 256 : static_cast<unsigned>((dim + 31) / 32 * 32);
    update_kernel<<<k, threads, 0, d.stream>>>(in.device_x, dim, order.get(), start.get(),
                                               metric == PMD_METRIC_COSINE ? scale.get() : nullptr,
                                               is_spherical(metric), sums.get(), device_centroids.data());
    check_launch("centroid update");
    synchronize("centroid update");  // the pinned order/start buffers are rewritten next iteration
    iterations = it + 1;
    if (report) hooks.progress(PMD_PHASE_KMEANS_ITERATE, it + 1, params.iterations);
    if (params.tolerance > 0 && it > 0) {
      const double previous = objective[objective.size() - 2];
      if (previous - total <= params.tolerance * std::fabs(previous)) break;
    }
  }
  copy_to_host(centroids, device_centroids.data(), static_cast<size_t>(k) * dim * sizeof(float));
  if (stats != nullptr) {
    stats->iterations = iterations;
    stats->reseeded = reseeded;
    stats->objective = objective.empty() ? 0.0 : objective.back();
  }
}

}  // namespace piramid::gpu
