// The library's one exported symbol, PMD_COMPUTE_ENTRY, and the table behind it. Every entry point
// catches everything: no exception leaves the library (DESIGN.md section 3.1).
#include "common.cuh"
#include "kmeans.cuh"
#include "knn.cuh"
#include "nvml.h"
#include "pq.cuh"

#include "assign.cuh"

#include <cstdio>
#include <cstring>
#include <new>

namespace piramid::gpu {
namespace {

void set_message(pmd_call* call, const char* text) {
  if (call != nullptr) std::snprintf(call->message, sizeof call->message, "%s", text);
}

template <class Body>
pmd_status guarded(pmd_call* call, Body&& body) noexcept {
  set_message(call, "");
  try {
    body();
    return PMD_OK;
  } catch (const Failure& f) {
    set_message(call, f.what());
    return f.status();
  } catch (const std::bad_alloc&) {
    set_message(call, "out of host memory in the GPU library");
    return PMD_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    set_message(call, e.what());
    return PMD_INTERNAL;
  } catch (...) {
    set_message(call, "unknown error in the GPU library");
    return PMD_INTERNAL;
  }
}

void require(bool ok, const char* what) {
  if (!ok) fail(PMD_INVALID_ARGUMENT, what);
}

pmd_status api_open_device(int32_t device, pmd_call* call) noexcept {
  return guarded(call, [&] { open_device(device); });
}

pmd_status api_device_info(pmd_device_info* info, pmd_call* call) noexcept {
  return guarded(call, [&] {
    require(info != nullptr, "device_info needs an output struct");
    Device& d = current_device();
    std::memset(info, 0, sizeof *info);
    info->struct_size = sizeof *info;
    info->device = d.ordinal;
    cudaDeviceProp prop;
    check_cuda(cudaGetDeviceProperties(&prop, d.ordinal), "cudaGetDeviceProperties");
    std::snprintf(info->name, sizeof info->name, "%.127s", prop.name);
    info->cc_major = prop.major;
    info->cc_minor = prop.minor;
    info->multiprocessors = prop.multiProcessorCount;
    size_t free_bytes = 0, total_bytes = 0;
    check_cuda(cudaMemGetInfo(&free_bytes, &total_bytes), "cudaMemGetInfo");
    info->memory_total = total_bytes;
    info->memory_free = free_bytes;
    cudaDriverGetVersion(&info->driver_version);
    cudaRuntimeGetVersion(&info->runtime_version);
    char bus[32] = {0};
    info->temperature_c = cudaDeviceGetPCIBusId(bus, sizeof bus, d.ordinal) == cudaSuccess ? gpu_temperature(bus) : -1;
  });
}

pmd_status api_kmeans_train(const float* x, int64_t n, int32_t dim, const pmd_kmeans_params* params, float* centroids,
                            pmd_kmeans_stats* stats, pmd_call* call) noexcept {
  return guarded(call, [&] {
    require(x != nullptr && params != nullptr && centroids != nullptr, "k-means needs data, parameters and output");
    require(n >= 0 && dim > 0 && params->clusters > 0, "k-means needs rows, dimensions and clusters");
    current_device();
    DeviceBuffer<float> device_x(static_cast<size_t>(n) * dim);
    copy_to_device(device_x.get(), x, static_cast<size_t>(n) * dim * sizeof(float));
    kmeans_on_device(KMeansInput{x, dim, device_x.get(), n, dim}, *params, centroids, stats, Hooks(call), true);
  });
}

pmd_status api_assign_nearest(const float* x, int64_t n, int32_t dim, const float* centroids, int32_t k, int32_t metric,
                              int32_t* labels, float* distances, pmd_call* call) noexcept {
  return guarded(call, [&] {
    require(x != nullptr && centroids != nullptr && labels != nullptr, "assignment needs data, centroids and labels");
    require(n >= 0 && dim > 0 && k > 0, "assignment needs rows, dimensions and centroids");
    require(metric == PMD_METRIC_L2 || metric == PMD_METRIC_INNER_PRODUCT || metric == PMD_METRIC_COSINE,
            "unknown assignment metric");
    const Hooks hooks(call);
    // The rows stream through in blocks of at most 256 MB, so any number of rows fits.
    const int64_t block = std::max<int64_t>(1, std::min<int64_t>(n, (int64_t{256} << 20) / (4 * int64_t{dim})));
    DeviceCentroids c(k, dim, metric, block);
    copy_to_device(c.data(), centroids, static_cast<size_t>(k) * dim * sizeof(float));
    c.refresh_terms();
    DeviceBuffer<float> rows(static_cast<size_t>(block) * dim), norm(static_cast<size_t>(block)), dist(static_cast<size_t>(block));
    DeviceBuffer<int32_t> lab(static_cast<size_t>(block));
    for (int64_t begin = 0; begin < n; begin += block) {
      const int64_t count = std::min(block, n - begin);
      copy_to_device(rows.get(), x + begin * dim, static_cast<size_t>(count) * dim * sizeof(float));
      if (distances != nullptr && metric != PMD_METRIC_INNER_PRODUCT) {
        row_norms(rows.get(), count, dim, dim, norm.get(), metric == PMD_METRIC_COSINE);
      }
      c.assign(rows.get(), count, dim, metric == PMD_METRIC_L2 ? norm.get() : nullptr,
               metric == PMD_METRIC_COSINE ? norm.get() : nullptr, lab.get(), distances ? dist.get() : nullptr, hooks);
      copy_to_host(labels + begin, lab.get(), static_cast<size_t>(count) * sizeof(int32_t));
      if (distances != nullptr) copy_to_host(distances + begin, dist.get(), static_cast<size_t>(count) * sizeof(float));
      hooks.progress(PMD_PHASE_ASSIGN, begin + count, n);
    }
  });
}

pmd_status api_pq_train(const float* x, int64_t n, int32_t dim, const pmd_pq_params* params, float* codebooks,
                        pmd_call* call) noexcept {
  return guarded(call, [&] {
    require(x != nullptr && params != nullptr && codebooks != nullptr, "PQ training needs data, parameters and output");
    require(n >= 0 && dim > 0, "PQ training needs rows and dimensions");
    current_device();
    pq_train_on_device(x, n, dim, *params, codebooks, Hooks(call));
  });
}

pmd_status api_pq_encode(const float* x, int64_t n, int32_t dim, int32_t m, int32_t nbits, const float* codebooks,
                         uint8_t* codes, pmd_call* call) noexcept {
  return guarded(call, [&] {
    require(x != nullptr && codebooks != nullptr && codes != nullptr, "PQ encoding needs data, codebooks and output");
    require(n >= 0 && dim > 0, "PQ encoding needs rows and dimensions");
    current_device();
    pq_encode_on_device(x, n, dim, m, nbits, codebooks, codes, Hooks(call));
  });
}

pmd_status api_knn_begin(const float* queries, int64_t nq, int32_t dim, int32_t metric, int32_t k, pmd_knn** out,
                         pmd_call* call) noexcept {
  return guarded(call, [&] {
    require(out != nullptr && (queries != nullptr || nq == 0), "k-NN search needs queries and an output handle");
    *out = nullptr;
    current_device();
    *out = knn_create(queries, nq, dim, metric, k);
  });
}

pmd_status api_knn_add(pmd_knn* knn, const void* base, int32_t type, int64_t n, const int64_t* ids,
                       pmd_call* call) noexcept {
  return guarded(call, [&] {
    require(knn != nullptr, "k-NN add needs a search handle");
    require(n >= 0 && (base != nullptr || n == 0), "k-NN add needs base vectors");
    knn_add_rows(knn, base, type, n, ids, Hooks(call));
  });
}

pmd_status api_knn_result(pmd_knn* knn, int64_t* ids, double* distances, pmd_call* call) noexcept {
  return guarded(call, [&] {
    require(knn != nullptr && ids != nullptr && distances != nullptr, "k-NN result needs a search handle and outputs");
    knn_write_result(knn, ids, distances);
  });
}

void api_knn_free(pmd_knn* knn) noexcept { knn_destroy(knn); }

void api_release_cached() noexcept {
  // Nothing is cached between calls today; give the driver's pool back to the device anyway.
  if (!device_is_open()) return;
  int device = 0;
  if (cudaGetDevice(&device) != cudaSuccess) return;
  cudaMemPool_t pool;
  if (cudaDeviceGetDefaultMemPool(&pool, device) == cudaSuccess) cudaMemPoolTrimTo(pool, 0);
  cudaGetLastError();
}

const pmd_compute_api kCudaApi = {
    PMD_COMPUTE_ABI_VERSION, sizeof(pmd_compute_api), "cuda",         api_open_device, api_device_info,
    api_kmeans_train,        api_assign_nearest,      api_pq_train,   api_pq_encode,   api_knn_begin,
    api_knn_add,             api_knn_result,          api_knn_free,   api_release_cached,
};

}  // namespace
}  // namespace piramid::gpu

extern "C" __attribute__((visibility("default"))) const pmd_compute_api* PMD_COMPUTE_ENTRY(uint32_t abi_version) {
  return abi_version == PMD_COMPUTE_ABI_VERSION ? &piramid::gpu::kCudaApi : nullptr;
}
