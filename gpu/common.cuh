// Shared by every file of the GPU library: failures as exceptions inside the library (turned into a
// pmd_status at the API boundary, api.cu), RAII device and pinned buffers, the open device, and the
// caller's interrupt and progress callbacks.
#pragma once

#include "piramid/compute/backend_api.h"

#include <cublas_api.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>

namespace piramid::gpu {

// A failure inside the library. Never crosses the C interface: api.cu catches it.
class Failure : public std::exception {
 public:
  Failure(pmd_status status, std::string message) : status_(status), message_(std::move(message)) {}
  const char* what() const noexcept override { return message_.c_str(); }
  pmd_status status() const noexcept { return status_; }

 private:
  pmd_status status_;
  std::string message_;
};

[[noreturn]] void fail(pmd_status status, const std::string& message);
// Throws a Failure for a CUDA error: out of memory, no device, or a device error. `what` names the step.
void check_cuda(cudaError_t error, const char* what);
void check_cublas(cublasStatus_t status, const char* what);
// After a kernel launch: reports a bad launch configuration at once (execution errors surface at the
// next synchronisation).
inline void check_launch(const char* kernel) { check_cuda(cudaGetLastError(), kernel); }

// c (m x n) = a^T (m x k) * b (k x n) in cuBLAS's column-major terms, in plain FP32: the one product
// every kernel here needs. cuBLAS is opened with dlopen by open_device(), so loading this library stays
// cheap on machines without a GPU.
void gemm_tn(int m, int n, int k, const float* a, int lda, const float* b, int ldb, float* c, int ldc,
             const char* what);

// The device every call uses, opened by open_device() (context.cu).
struct Device {
  int ordinal = -1;
  cudaStream_t stream = nullptr;
  cublasHandle_t blas = nullptr;
  size_t memory_total = 0;
};
// The open device; throws Failure(PMD_NO_DEVICE) when open_device() has not succeeded.
Device& current_device();
void open_device(int ordinal);
// Whether open_device() has succeeded in this process (nothing touches CUDA before it has).
bool device_is_open();
// After a device error that may have left the context unusable (a sticky error), later calls fail fast.
void mark_broken(const std::string& why);
void synchronize(const char* what);

template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t count) { allocate(count); }
  ~DeviceBuffer() { reset(); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  void allocate(size_t count) {
    reset();
    if (count == 0) return;
    check_cuda(cudaMalloc(reinterpret_cast<void**>(&ptr_), count * sizeof(T)), "cudaMalloc");
    count_ = count;
  }
  void reset() noexcept {
    if (ptr_ != nullptr) cudaFree(ptr_);
    ptr_ = nullptr;
    count_ = 0;
  }
  T* get() const { return ptr_; }
  size_t size() const { return count_; }

 private:
  T* ptr_ = nullptr;
  size_t count_ = 0;
};

// Page-locked host memory: copies from it run at full bus speed and may be asynchronous.
template <class T>
class PinnedBuffer {
 public:
  explicit PinnedBuffer(size_t count) {
    if (count > 0) check_cuda(cudaMallocHost(reinterpret_cast<void**>(&ptr_), count * sizeof(T)), "cudaMallocHost");
    count_ = count;
  }
  ~PinnedBuffer() {
    if (ptr_ != nullptr) cudaFreeHost(ptr_);
  }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  T* get() const { return ptr_; }
  T& operator[](size_t i) const { return ptr_[i]; }
  size_t size() const { return count_; }

 private:
  T* ptr_ = nullptr;
  size_t count_ = 0;
};

void copy_to_device(void* dst, const void* src, size_t bytes);
void copy_to_host(void* dst, const void* src, size_t bytes);  // waits for the stream first

// The caller's callbacks for one call.
class Hooks {
 public:
  explicit Hooks(pmd_call* call) : call_(call) {}
  // Throws Failure(PMD_INTERRUPTED) when the caller asks to stop.
  void check_interrupt() const;
  void progress(pmd_phase phase, int64_t done, int64_t total) const;

 private:
  pmd_call* call_;
};

inline unsigned blocks_for(size_t items, unsigned threads) {
  return static_cast<unsigned>((items + threads - 1) / threads);
}

}  // namespace piramid::gpu
