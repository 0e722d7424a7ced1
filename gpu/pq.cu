#include "pq.cuh"

#include "assign.cuh"
#include "kmeans.cuh"
#include "piramid/compute/pq_codes.h"
#include "piramid/compute/random.h"

#include <algorithm>
#include <cfloat>
#include <climits>
#include <string>

namespace piramid::gpu {
namespace {

constexpr unsigned kWarpsPerBlock = 8;

void check_shape(int dim, int m, int nbits) {
  if (nbits < kPqMinBits || nbits > kPqMaxBits) {
    fail(PMD_INVALID_ARGUMENT, "PQ bits per code must be between 4 and 8, not " + std::to_string(nbits));
  }
  if (dim <= 0 || m <= 0 || m > dim || dim % m != 0) {
    fail(PMD_INVALID_ARGUMENT,
         "PQ subvectors must divide the " + std::to_string(dim) + " dimensions, not " + std::to_string(m));
  }
}

// Nearest centroid of subspace j for each row (warp per row, lowest number on ties), as one byte.
__global__ void pq_argmin_kernel(const float* products, int64_t rows, int ksub, const float* norm2, uint8_t* sub,
                                 int m, int j) {
  const int64_t row = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= rows) return;
  const float* g = products + row * ksub;
  float best = INFINITY;
  int best_index = INT_MAX;
  for (int c = lane; c < ksub; c += 32) {
    const float key = norm2[c] - 2.0f * g[c];
    if (key < best) best = key, best_index = c;
  }
  for (int offset = 16; offset > 0; offset >>= 1) {
    const float k2 = __shfl_xor_sync(0xffffffffu, best, offset);
    const int i2 = __shfl_xor_sync(0xffffffffu, best_index, offset);
    if (k2 < best || (k2 == best && i2 < best_index)) best = k2, best_index = i2;
  }
  if (lane == 0) sub[row * m + j] = static_cast<uint8_t>(best_index == INT_MAX ? 0 : best_index);
}

__global__ void pq_pack_kernel(const uint8_t* sub, int64_t rows, int m, int nbits, uint8_t* codes) {
  const int64_t row = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (row >= rows) return;
  const size_t size = pq_code_size(static_cast<size_t>(m), nbits);
  uint8_t* code = codes + row * static_cast<int64_t>(size);
  for (size_t b = 0; b < size; ++b) code[b] = 0;
  for (int j = 0; j < m; ++j) pq_put_code(code, static_cast<size_t>(j), nbits, sub[row * m + j]);
}

}  // namespace

void pq_train_on_device(const float* x, int64_t n, int dim, const pmd_pq_params& params, float* codebooks,
                        const Hooks& hooks) {
  check_shape(dim, params.m, params.nbits);
  const int m = params.m, dsub = dim / m, ksub = 1 << params.nbits;
  if (n < ksub) {
    fail(PMD_INVALID_ARGUMENT, "PQ training with " + std::to_string(params.nbits) + "-bit codes needs at least " +
                                   std::to_string(ksub) + " vectors, not " + std::to_string(n));
  }
  DeviceBuffer<float> sub(static_cast<size_t>(n) * dsub);
  Device& d = current_device();
  for (int j = 0; j < m; ++j) {
    hooks.check_interrupt();
    // The subspace's columns, gathered into contiguous rows by a strided copy.
    check_cuda(cudaMemcpy2DAsync(sub.get(), dsub * sizeof(float), x + static_cast<int64_t>(j) * dsub,
                                 static_cast<size_t>(dim) * sizeof(float), dsub * sizeof(float), static_cast<size_t>(n),
                                 cudaMemcpyHostToDevice, d.stream),
               "copy PQ subspace");
    pmd_kmeans_params km{};
    km.struct_size = sizeof km;
    km.clusters = ksub;
    km.metric = PMD_METRIC_L2;
    km.iterations = params.iterations;
    km.seed = derive_seed(params.seed, static_cast<uint64_t>(j));
    km.init_rows_per_cluster = params.init_rows_per_cluster;
    const KMeansInput in{x + static_cast<int64_t>(j) * dsub, dim, sub.get(), n, dsub};
    kmeans_on_device(in, km, codebooks + static_cast<int64_t>(j) * ksub * dsub, nullptr, hooks, false);
    hooks.progress(PMD_PHASE_PQ_TRAIN, j + 1, m);
  }
}

void pq_encode_on_device(const float* x, int64_t n, int dim, int m, int nbits, const float* codebooks,
                         uint8_t* codes, const Hooks& hooks) {
  check_shape(dim, m, nbits);
  const int dsub = dim / m, ksub = 1 << nbits;
  const size_t code_size = pq_code_size(static_cast<size_t>(m), nbits);
  Device& d = current_device();
  DeviceBuffer<float> cb(static_cast<size_t>(m) * ksub * dsub), norm2(static_cast<size_t>(m) * ksub);
  copy_to_device(cb.get(), codebooks, cb.size() * sizeof(float));
  row_norms(cb.get(), static_cast<int64_t>(m) * ksub, dsub, dsub, norm2.get(), false);
  // Rows per block: at most 256 MB of input rows and 64 MB of products.
  const int64_t block = std::max<int64_t>(1, std::min<int64_t>({n, (int64_t{256} << 20) / (4 * dim),
                                                                 (int64_t{64} << 20) / (4 * ksub)}));
  DeviceBuffer<float> rows_buf(static_cast<size_t>(block) * dim), products(static_cast<size_t>(block) * ksub);
  DeviceBuffer<uint8_t> sub(static_cast<size_t>(block) * m), packed(static_cast<size_t>(block) * code_size);
  for (int64_t begin = 0; begin < n; begin += block) {
    hooks.check_interrupt();
    const int64_t rows = std::min(block, n - begin);
    copy_to_device(rows_buf.get(), x + begin * dim, static_cast<size_t>(rows) * dim * sizeof(float));
    for (int j = 0; j < m; ++j) {
      gemm_tn(ksub, static_cast<int>(rows), dsub, cb.get() + static_cast<int64_t>(j) * ksub * dsub, dsub,
              rows_buf.get() + j * dsub, dim, products.get(), ksub, "cuBLAS SGEMM (PQ encoding)");
      pq_argmin_kernel<<<blocks_for(rows, kWarpsPerBlock), kWarpsPerBlock * 32, 0, d.stream>>>(
          products.get(), rows, ksub, norm2.get() + static_cast<int64_t>(j) * ksub, sub.get(), m, j);
      check_launch("PQ argmin");
    }
    pq_pack_kernel<<<blocks_for(rows, 256), 256, 0, d.stream>>>(sub.get(), rows, m, nbits, packed.get());
    check_launch("PQ pack");
    copy_to_host(codes + begin * static_cast<int64_t>(code_size), packed.get(), static_cast<size_t>(rows) * code_size);
    hooks.progress(PMD_PHASE_PQ_ENCODE, begin + rows, n);
  }
}

}  // namespace piramid::gpu
