// PQ training, encoding, decoding and lookup tables. Distances to codes (ADC) are in pq_adc.cpp.
#include "piramid/compute/pq.h"

#include "gemm.h"
#include "piramid/compute/kmeans.h"
#include "piramid/compute/random.h"
#include "piramid/distance.h"
#include "piramid/error.h"
#include "piramid/parallel.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

namespace piramid {

void PqShape::validate() const {
  if (dim == 0) throw Error(ErrorKind::kInvalidParameter, "PQ needs vectors with at least one dimension");
  if (nbits < kPqMinBits || nbits > kPqMaxBits) {
    throw Error(ErrorKind::kInvalidParameter, "PQ bits per code must be between 4 and 8, not " + std::to_string(nbits));
  }
  if (m == 0 || m > dim || dim % m != 0) {
    throw Error(ErrorKind::kInvalidParameter,
                "PQ subvectors must divide the " + std::to_string(dim) + " dimensions, not " + std::to_string(m),
                {}, "Choose a number of subvectors that divides the vector's dimensions.");
  }
}

void pq_train(const PqShape& shape, const float* x, size_t n, const PqTrainOptions& options, float* codebooks,
              const ComputeContext& ctx) {
  shape.validate();
  const size_t ksub = shape.ksub(), dsub = shape.dsub(), m = shape.m;
  if (n < ksub) {
    throw Error(ErrorKind::kInvalidParameter,
                "PQ training with " + std::to_string(shape.nbits) + "-bit codes needs at least " +
                    std::to_string(ksub) + " vectors, not " + std::to_string(n),
                {}, "Train on more rows or use fewer bits per code.");
  }
  // Subspaces train independently: spread them over the threads, each k-means single-threaded, which
  // suits the small subspace dimension better than splitting one k-means. Results do not depend on it.
  const int threads = worker_count(ctx.threads, m);
  std::atomic<size_t> trained{0};
  parallel_for(
      m, threads, 1,
      [&](size_t begin, size_t end, int worker) {
        std::vector<float> sub(n * dsub);
        for (size_t j = begin; j < end; ++j) {
          for (size_t i = 0; i < n; ++i) std::memcpy(&sub[i * dsub], x + i * shape.dim + j * dsub, dsub * sizeof(float));
          KMeansOptions km;
          km.clusters = ksub;
          km.metric = Metric::kL2;
          km.iterations = options.iterations;
          km.seed = derive_seed(options.seed, j);
          km.init_rows_per_cluster = options.init_rows_per_cluster;
          ComputeContext inner;
          inner.threads = 1;
          inner.interrupt = ctx.interrupt;
          const KMeansResult r = kmeans_train(sub.data(), n, dsub, km, inner);
          std::memcpy(codebooks + j * ksub * dsub, r.centroids.data(), ksub * dsub * sizeof(float));
          const size_t done = trained.fetch_add(1) + 1;
          if (worker == 0) ctx.report(ComputePhase::kPqTrain, static_cast<int64_t>(done), static_cast<int64_t>(m));
        }
      },
      ctx.interrupt);
  ctx.report(ComputePhase::kPqTrain, static_cast<int64_t>(m), static_cast<int64_t>(m));
}

void pq_encode(const PqShape& shape, const float* codebooks, const float* x, size_t n, uint8_t* codes,
               const ComputeContext& ctx) {
  shape.validate();
  const size_t ksub = shape.ksub(), dsub = shape.dsub(), m = shape.m, code_size = shape.code_size();
  std::vector<float> norm2(m * ksub);
  for (size_t c = 0; c < m * ksub; ++c) norm2[c] = kernels().dot_f32(codebooks + c * dsub, codebooks + c * dsub, dsub);
  constexpr size_t kBlock = 256;
  const int threads = worker_count(ctx.threads, (n + kBlock - 1) / kBlock);
  std::vector<std::vector<float>> scratch(threads);
  std::atomic<size_t> done{0};
  parallel_for(
      n, threads, kBlock,
      [&](size_t begin, size_t end, int worker) {
        std::vector<float>& g = scratch[worker];
        g.resize(kBlock * ksub);
        const size_t rows = end - begin;
        std::memset(codes + begin * code_size, 0, rows * code_size);
        for (size_t j = 0; j < m; ++j) {
          compute::gemm_abt(x + begin * shape.dim + j * dsub, rows, shape.dim, codebooks + j * ksub * dsub, ksub,
                            dsub, g.data());
          const float* cn = norm2.data() + j * ksub;
          for (size_t r = 0; r < rows; ++r) {
            const float* gr = g.data() + r * ksub;
            uint32_t best = 0;
            float best_key = std::numeric_limits<float>::infinity();
            for (size_t c = 0; c < ksub; ++c) {
              const float key = cn[c] - 2.0f * gr[c];
              if (key < best_key) best_key = key, best = static_cast<uint32_t>(c);
            }
            pq_put_code(codes + (begin + r) * code_size, j, shape.nbits, best);
          }
        }
        const size_t finished = done.fetch_add(rows) + rows;
        if (worker == 0) ctx.report(ComputePhase::kPqEncode, static_cast<int64_t>(finished), static_cast<int64_t>(n));
      },
      ctx.interrupt);
  ctx.report(ComputePhase::kPqEncode, static_cast<int64_t>(n), static_cast<int64_t>(n));
}

void pq_decode(const PqShape& shape, const float* codebooks, const uint8_t* codes, size_t n, float* x) {
  shape.validate();
  const size_t ksub = shape.ksub(), dsub = shape.dsub(), code_size = shape.code_size();
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* code = codes + i * code_size;
    for (size_t j = 0; j < shape.m; ++j) {
      const uint32_t c = pq_get_code(code, j, shape.nbits);
      std::memcpy(x + i * shape.dim + j * dsub, codebooks + (j * ksub + c) * dsub, dsub * sizeof(float));
    }
  }
}

void pq_lookup_table(const PqShape& shape, const float* codebooks, const float* query, Metric metric,
                     float* table) {
  shape.validate();
  const std::vector<float> transposed = pq_transpose_codebooks(shape, codebooks);
  pq_lookup_table_transposed(shape, transposed.data(), query, metric, table);
}

std::vector<float> pq_transpose_codebooks(const PqShape& shape, const float* codebooks) {
  shape.validate();
  const size_t ksub = shape.ksub(), dsub = shape.dsub();
  std::vector<float> out(shape.codebook_floats());
  for (size_t j = 0; j < shape.m; ++j) {
    const float* block = codebooks + j * ksub * dsub;
    float* t = out.data() + j * ksub * dsub;
    for (size_t c = 0; c < ksub; ++c) {
      for (size_t d = 0; d < dsub; ++d) t[d * ksub + c] = block[c * dsub + d];
    }
  }
  return out;
}

}  // namespace piramid
