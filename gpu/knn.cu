#include "knn.cuh"

#include "assign.cuh"

#include <cuda_fp16.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

struct pmd_knn {
  int64_t nq = 0;
  int dim = 0, metric = 0, k = 0;
  int valid = 0;  // results per query so far: min(k, rows seen), the same for every query
  int64_t rows_seen = 0, chunk_rows = 0;
  piramid::gpu::DeviceBuffer<float> queries, query_norm2, best_distance;
  piramid::gpu::DeviceBuffer<int64_t> best_id, chunk_ids;
  piramid::gpu::DeviceBuffer<float> base, base_norm2, scores;
  piramid::gpu::DeviceBuffer<uint16_t> base_half;
};

namespace piramid::gpu {
namespace {

constexpr int kExtra = 32;
constexpr int kSortSize = 2048;  // >= next power of two of kMaxK + kMaxK + kExtra
constexpr unsigned kSelectThreads = 256;

// The result order (piramid::ordered_distance_bits): by distance, NaN last.
__device__ inline uint32_t ordered_bits(float d) {
  const uint32_t u = __float_as_uint(d);
  if ((u & 0x7fffffffu) > 0x7f800000u) return 0xffffffffu;
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

__global__ void half_to_float_kernel(const uint16_t* in, int64_t count, float* out) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < count) out[i] = __half2float(__ushort_as_half(in[i]));
}

// scores (column-major rows x nq: query q's scores are contiguous) become ordered keys of the GEMM
// estimate of each distance, in place.
__global__ void score_keys_kernel(float* scores, int64_t rows, int64_t nq, int metric, const float* qn,
                                  const float* xn) {
  const int64_t at = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (at >= rows * nq) return;
  const int64_t q = at / rows, i = at % rows;
  const float s = scores[at];
  float d;
  if (metric == PMD_METRIC_L2) d = fmaxf(0.0f, qn[q] + xn[i] - 2.0f * s);
  else if (metric == PMD_METRIC_INNER_PRODUCT) d = -s;
  else d = 1.0f - s / sqrtf(qn[q] * xn[i]);
  reinterpret_cast<uint32_t*>(scores)[at] = ordered_bits(d);
}

__device__ inline bool entry_less(uint32_t ka, int64_t ia, uint32_t kb, int64_t ib) {
  return ka != kb ? ka < kb : ia < ib;
}

// One block per query: select, recompute, merge (see knn.cuh).
__global__ void select_kernel(const uint32_t* keys, int64_t rows, int want, const float* base, int dim,
                              const float* queries, int metric, const int64_t* chunk_ids, int64_t id_offset,
                              float* best_distance, int64_t* best_id, int k, int valid) {
  const int64_t q = blockIdx.x;
  const uint32_t* row_keys = keys + q * rows;
  const float* query = queries + q * dim;
  const int tid = threadIdx.x, lane = tid % 32, warp = tid / 32;

  __shared__ unsigned hist[256];
  __shared__ uint32_t prefix, mask;
  __shared__ int remaining;
  __shared__ int candidate[kMaxK + kExtra];
  __shared__ uint32_t sort_key[kSortSize];
  __shared__ int64_t sort_id[kSortSize];
  __shared__ float sort_distance[kSortSize];
  __shared__ int warp_lt[kSelectThreads / 32], warp_eq[kSelectThreads / 32];
  __shared__ int taken_lt, taken_eq;

  // 1. Radix select: the want-th smallest key T, 8 bits at a time from the top.
  if (tid == 0) prefix = 0, mask = 0, remaining = want;
  for (int shift = 24; shift >= 0; shift -= 8) {
    for (int b = tid; b < 256; b += blockDim.x) hist[b] = 0;
    __syncthreads();
    for (int64_t i = tid; i < rows; i += blockDim.x) {
      const uint32_t key = row_keys[i];
      if ((key & mask) == prefix) atomicAdd(&hist[(key >> shift) & 255u], 1u);
    }
    __syncthreads();
    if (tid == 0) {
      int before = 0;
      for (int b = 0; b < 256; ++b) {
        if (before + static_cast<int>(hist[b]) >= remaining) {
          prefix |= static_cast<uint32_t>(b) << shift;
          remaining -= before;
          break;
        }
        before += static_cast<int>(hist[b]);
      }
      mask |= 255u << shift;
    }
    __syncthreads();
  }
  const uint32_t threshold = prefix;
  const int need_eq = remaining, need_lt = want - remaining;

  // 2. Gather every key below T and the first need_eq keys equal to T, in row order (deterministic ties).
  if (tid == 0) taken_lt = 0, taken_eq = 0;
  __syncthreads();
  for (int64_t tile = 0; tile < rows; tile += blockDim.x) {
    const int64_t i = tile + tid;
    const uint32_t key = i < rows ? row_keys[i] : 0xffffffffu;
    const bool lt = i < rows && key < threshold, eq = i < rows && key == threshold;
    const unsigned lt_mask = __ballot_sync(0xffffffffu, lt), eq_mask = __ballot_sync(0xffffffffu, eq);
    const unsigned below = (1u << lane) - 1u;
    if (lane == 0) warp_lt[warp] = __popc(lt_mask), warp_eq[warp] = __popc(eq_mask);
    __syncthreads();
    int lt_before = taken_lt, eq_before = taken_eq;
    for (int w = 0; w < warp; ++w) lt_before += warp_lt[w], eq_before += warp_eq[w];
    lt_before += __popc(lt_mask & below);
    eq_before += __popc(eq_mask & below);
    if (lt) candidate[lt_before] = static_cast<int>(i);
    if (eq && eq_before < need_eq) candidate[need_lt + eq_before] = static_cast<int>(i);
    __syncthreads();
    if (tid == 0) {
      for (int w = 0; w < static_cast<int>(blockDim.x / 32); ++w) taken_lt += warp_lt[w], taken_eq += warp_eq[w];
    }
    __syncthreads();
  }

  // 3. Exact distances of the candidates (warp per candidate), then 4. merge with the running best.
  for (int c = warp; c < want; c += blockDim.x / 32) {
    const int64_t i = candidate[c];
    const float* x = base + i * dim;
    float a = 0, qq = 0, xx = 0;
    if (metric == PMD_METRIC_L2) {
      for (int j = lane; j < dim; j += 32) {
        const float diff = query[j] - x[j];
        a = fmaf(diff, diff, a);
      }
    } else {
      for (int j = lane; j < dim; j += 32) {
        a = fmaf(query[j], x[j], a);
        if (metric == PMD_METRIC_COSINE) qq = fmaf(query[j], query[j], qq), xx = fmaf(x[j], x[j], xx);
      }
    }
    for (int offset = 16; offset > 0; offset >>= 1) {
      a += __shfl_xor_sync(0xffffffffu, a, offset);
      qq += __shfl_xor_sync(0xffffffffu, qq, offset);
      xx += __shfl_xor_sync(0xffffffffu, xx, offset);
    }
    if (lane == 0) {
      float d;
      if (metric == PMD_METRIC_L2) {
        d = a;  // squared; the root is taken when results are read
      } else if (metric == PMD_METRIC_INNER_PRODUCT) {
        d = -a;
      } else {
        double sim = static_cast<double>(a) / sqrt(static_cast<double>(qq) * static_cast<double>(xx));
        if (sim > 1.0) sim = 1.0;  // NaN (a zero vector) passes through both tests
        else if (sim < -1.0) sim = -1.0;
        d = static_cast<float>(1.0 - sim);
      }
      const int slot = valid + c;
      sort_key[slot] = ordered_bits(d);
      sort_distance[slot] = d;
      sort_id[slot] = chunk_ids != nullptr ? chunk_ids[i] : id_offset + i;
    }
  }
  int size = 1;
  while (size < valid + want) size <<= 1;
  for (int s = tid; s < size; s += blockDim.x) {
    if (s < valid) {
      sort_distance[s] = best_distance[q * k + s];
      sort_key[s] = ordered_bits(sort_distance[s]);
      sort_id[s] = best_id[q * k + s];
    } else if (s >= valid + want) {
      sort_key[s] = 0xffffffffu;
      sort_id[s] = INT64_MAX;
      sort_distance[s] = NAN;
    }
  }
  __syncthreads();
  // Bitonic sort by (key, id), ascending.
  for (int span = 2; span <= size; span <<= 1) {
    for (int stride = span >> 1; stride > 0; stride >>= 1) {
      for (int a = tid; a < size; a += blockDim.x) {
        const int b = a ^ stride;
        if (b <= a) continue;
        const bool ascending = (a & span) == 0;
        if (entry_less(sort_key[b], sort_id[b], sort_key[a], sort_id[a]) == ascending) {
          const uint32_t tk = sort_key[a];
          sort_key[a] = sort_key[b], sort_key[b] = tk;
          const int64_t ti = sort_id[a];
          sort_id[a] = sort_id[b], sort_id[b] = ti;
          const float td = sort_distance[a];
          sort_distance[a] = sort_distance[b], sort_distance[b] = td;
        }
      }
      __syncthreads();
    }
  }
  const int keep = min(k, valid + want);
  for (int s = tid; s < keep; s += blockDim.x) {
    best_distance[q * k + s] = sort_distance[s];
    best_id[q * k + s] = sort_id[s];
  }
}

}  // namespace

pmd_knn* knn_create(const float* queries, int64_t nq, int dim, int metric, int k) {
  if (dim <= 0 || k <= 0 || nq < 0) fail(PMD_INVALID_ARGUMENT, "k-NN search needs dimensions and k of at least 1");
  if (metric != PMD_METRIC_L2 && metric != PMD_METRIC_INNER_PRODUCT && metric != PMD_METRIC_COSINE) {
    fail(PMD_INVALID_ARGUMENT, "unknown k-NN metric " + std::to_string(metric));
  }
  if (k > kMaxK) {
    fail(PMD_UNSUPPORTED, "exact k-NN on the GPU supports k up to " + std::to_string(kMaxK) + ", not " + std::to_string(k));
  }
  auto* knn = new pmd_knn;
  try {
    knn->nq = nq, knn->dim = dim, knn->metric = metric, knn->k = k;
    const size_t qn = static_cast<size_t>(nq);
    knn->queries.allocate(qn * dim);
    knn->query_norm2.allocate(qn);
    knn->best_distance.allocate(qn * k);
    knn->best_id.allocate(qn * k);
    copy_to_device(knn->queries.get(), queries, qn * dim * sizeof(float));
    row_norms(knn->queries.get(), nq, dim, dim, knn->query_norm2.get(), false);
    // Base rows per chunk: at most 256 MB of rows and 512 MB of scores.
    const int64_t by_rows = (int64_t{256} << 20) / (4 * static_cast<int64_t>(dim));
    const int64_t by_scores = (int64_t{512} << 20) / (4 * std::max<int64_t>(nq, 1));
    knn->chunk_rows = std::max<int64_t>(kMaxK + kExtra, std::min<int64_t>({by_rows, by_scores, int64_t{1} << 20}));
    synchronize("k-NN setup");
  } catch (...) {
    delete knn;
    throw;
  }
  return knn;
}

void knn_add_rows(pmd_knn* knn, const void* base, int type, int64_t n, const int64_t* ids, const Hooks& hooks) {
  if (type != PMD_F32 && type != PMD_F16) fail(PMD_INVALID_ARGUMENT, "k-NN base vectors must be f32 or f16");
  if (n <= 0 || knn->nq == 0) {
    knn->rows_seen += std::max<int64_t>(n, 0);
    return;
  }
  Device& d = current_device();
  const int dim = knn->dim;
  // Chunk buffers grow to what the adds need, up to chunk_rows rows: small tables stay small on the device.
  const size_t need = static_cast<size_t>(std::min(n, knn->chunk_rows));
  if (knn->base_norm2.size() < need) {
    knn->base.allocate(need * dim);
    knn->base_norm2.allocate(need);
    knn->scores.allocate(need * static_cast<size_t>(knn->nq));
    knn->chunk_ids.allocate(need);
  }
  if (type == PMD_F16 && knn->base_half.size() < need * dim) knn->base_half.allocate(need * dim);
  const int64_t chunk = static_cast<int64_t>(need);
  for (int64_t begin = 0; begin < n; begin += chunk) {
    hooks.check_interrupt();
    const int64_t rows = std::min(chunk, n - begin);
    const size_t values = static_cast<size_t>(rows) * dim;
    if (type == PMD_F32) {
      copy_to_device(knn->base.get(), static_cast<const float*>(base) + begin * dim, values * sizeof(float));
    } else {
      copy_to_device(knn->base_half.get(), static_cast<const uint16_t*>(base) + begin * dim, values * sizeof(uint16_t));
      half_to_float_kernel<<<blocks_for(values, 256), 256, 0, d.stream>>>(knn->base_half.get(), values, knn->base.get());
      check_launch("half to float");
    }
    if (ids != nullptr) copy_to_device(knn->chunk_ids.get(), ids + begin, static_cast<size_t>(rows) * sizeof(int64_t));
    row_norms(knn->base.get(), rows, dim, dim, knn->base_norm2.get(), false);
    // Column-major: scores (rows x nq) = base (rows x dim) * queries^T (dim x nq).
    gemm_tn(static_cast<int>(rows), static_cast<int>(knn->nq), dim, knn->base.get(), dim, knn->queries.get(), dim,
            knn->scores.get(), static_cast<int>(rows), "cuBLAS SGEMM (k-NN)");
    const int64_t cells = rows * knn->nq;
    score_keys_kernel<<<blocks_for(cells, 256), 256, 0, d.stream>>>(knn->scores.get(), rows, knn->nq, knn->metric,
                                                                      knn->query_norm2.get(), knn->base_norm2.get());
    check_launch("k-NN score keys");
    const int want = static_cast<int>(std::min<int64_t>(rows, knn->k + kExtra));
    select_kernel<<<static_cast<unsigned>(knn->nq), kSelectThreads, 0, d.stream>>>(
        reinterpret_cast<const uint32_t*>(knn->scores.get()), rows, want, knn->base.get(), dim, knn->queries.get(),
        knn->metric, ids != nullptr ? knn->chunk_ids.get() : nullptr, knn->rows_seen + begin,
        knn->best_distance.get(), knn->best_id.get(), knn->k, knn->valid);
    check_launch("k-NN select");
    synchronize("k-NN chunk");  // the next chunk overwrites the base and score buffers
    knn->valid = std::min(knn->k, knn->valid + want);
    hooks.progress(PMD_PHASE_SEARCH, knn->rows_seen + begin + rows, -1);
  }
  knn->rows_seen += n;
}

void knn_write_result(pmd_knn* knn, int64_t* ids, double* distances) {
  const size_t cells = static_cast<size_t>(knn->nq) * knn->k;
  std::vector<float> d(cells);
  std::vector<int64_t> id(cells);
  if (knn->valid > 0) {
    copy_to_host(d.data(), knn->best_distance.get(), cells * sizeof(float));
    copy_to_host(id.data(), knn->best_id.get(), cells * sizeof(int64_t));
  }
  for (size_t at = 0; at < cells; ++at) {
    if (static_cast<int>(at % knn->k) >= knn->valid) {
      ids[at] = -1;
      distances[at] = std::numeric_limits<double>::infinity();
    } else {
      ids[at] = id[at];
      distances[at] = knn->metric == PMD_METRIC_L2 ? std::sqrt(static_cast<double>(d[at])) : d[at];
    }
  }
}

void knn_destroy(pmd_knn* knn) noexcept { delete knn; }

}  // namespace piramid::gpu
