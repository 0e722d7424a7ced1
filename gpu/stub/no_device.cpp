// A stand-in for piramid_gpu.so that loads everywhere (built with the C++ compiler, no CUDA) and
// answers like the real library on a machine without a GPU: every call returns PMD_NO_DEVICE. The SQL
// tests point piramid.gpu_library at it to check the "library present, no device" path the same way on
// every machine, with or without nvcc. Installed as $libdir/piramid_gpu_stub.so.
#include "piramid/compute/backend_api.h"

#include <cstdio>

namespace {

pmd_status no_device(pmd_call* call) noexcept {
  if (call != nullptr) std::snprintf(call->message, sizeof call->message, "no CUDA device (piramid test stub)");
  return PMD_NO_DEVICE;
}

pmd_status open_device(int32_t, pmd_call* call) noexcept { return no_device(call); }
pmd_status device_info(pmd_device_info*, pmd_call* call) noexcept { return no_device(call); }
pmd_status kmeans_train(const float*, int64_t, int32_t, const pmd_kmeans_params*, float*, pmd_kmeans_stats*,
                        pmd_call* call) noexcept {
  return no_device(call);
}
pmd_status assign_nearest(const float*, int64_t, int32_t, const float*, int32_t, int32_t, int32_t*, float*,
                          pmd_call* call) noexcept {
  return no_device(call);
}
pmd_status pq_train(const float*, int64_t, int32_t, const pmd_pq_params*, float*, pmd_call* call) noexcept {
  return no_device(call);
}
pmd_status pq_encode(const float*, int64_t, int32_t, int32_t, int32_t, const float*, uint8_t*, pmd_call* call) noexcept {
  return no_device(call);
}
pmd_status knn_begin(const float*, int64_t, int32_t, int32_t, int32_t, pmd_knn**, pmd_call* call) noexcept {
  return no_device(call);
}
pmd_status knn_add(pmd_knn*, const void*, int32_t, int64_t, const int64_t*, pmd_call* call) noexcept {
  return no_device(call);
}
pmd_status knn_result(pmd_knn*, int64_t*, double*, pmd_call* call) noexcept { return no_device(call); }
void knn_free(pmd_knn*) noexcept {}
void release_cached() noexcept {}

const pmd_compute_api kStub = {
    PMD_COMPUTE_ABI_VERSION, sizeof(pmd_compute_api), "stub", open_device, device_info, kmeans_train, assign_nearest,
    pq_train, pq_encode, knn_begin, knn_add, knn_result, knn_free, release_cached,
};

}  // namespace

extern "C" __attribute__((visibility("default"))) const pmd_compute_api* PMD_COMPUTE_ENTRY(uint32_t abi_version) {
  return abi_version == PMD_COMPUTE_ABI_VERSION ? &kStub : nullptr;
}
