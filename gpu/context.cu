// The device and its context: opened once per process (a context costs hundreds of milliseconds and
// hundreds of megabytes, so it is kept until the process exits), plus the error plumbing.
#include "common.cuh"

#include <cstdio>

#include <dlfcn.h>
#include <mutex>

namespace piramid::gpu {
namespace {

// The cuBLAS entry points used, resolved at run time (cublas_api.h gives the types only).
struct Blas {
  cublasStatus_t (*create)(cublasHandle_t*) = nullptr;
  cublasStatus_t (*set_stream)(cublasHandle_t, cudaStream_t) = nullptr;
  cublasStatus_t (*set_math_mode)(cublasHandle_t, cublasMath_t) = nullptr;
  cublasStatus_t (*sgemm)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int, const float*,
                          const float*, int, const float*, int, const float*, float*, int) = nullptr;
};
Blas blas;

#define PIRAMID_STR2(x) #x
#define PIRAMID_STR(x) PIRAMID_STR2(x)

// Opens libcublas of the major version this library was built with: by soname (the rpath points at the
// toolkit it was built with), then by that toolkit's absolute path.
void load_blas() {
  const char* soname = "libcublas.so." PIRAMID_STR(CUBLAS_VER_MAJOR);
  void* handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
#ifdef PIRAMID_CUDA_LIB_DIR
  if (handle == nullptr) handle = dlopen(PIRAMID_CUDA_LIB_DIR "/libcublas.so." PIRAMID_STR(CUBLAS_VER_MAJOR), RTLD_NOW | RTLD_LOCAL);
#endif
  if (handle == nullptr) fail(PMD_NO_DEVICE, std::string("cannot load cuBLAS: ") + dlerror());
  blas.create = reinterpret_cast<decltype(blas.create)>(dlsym(handle, "cublasCreate_v2"));
  blas.set_stream = reinterpret_cast<decltype(blas.set_stream)>(dlsym(handle, "cublasSetStream_v2"));
  blas.set_math_mode = reinterpret_cast<decltype(blas.set_math_mode)>(dlsym(handle, "cublasSetMathMode"));
  blas.sgemm = reinterpret_cast<decltype(blas.sgemm)>(dlsym(handle, "cublasSgemm_v2"));
  if (!blas.create || !blas.set_stream || !blas.set_math_mode || !blas.sgemm) {
    fail(PMD_NO_DEVICE, std::string("cuBLAS at ") + soname + " lacks an entry point this library needs");
  }
}

std::mutex device_mutex;
Device the_device;
bool opened = false;
std::string broken;  // why the context is unusable, after a sticky error

bool is_no_device(cudaError_t e) {
  return e == cudaErrorNoDevice || e == cudaErrorInsufficientDriver || e == cudaErrorInvalidDevice ||
         e == cudaErrorDevicesUnavailable || e == cudaErrorSystemDriverMismatch ||
         e == cudaErrorCompatNotSupportedOnDevice || e == cudaErrorInitializationError ||
         e == cudaErrorNoKernelImageForDevice || e == cudaErrorUnsupportedPtxVersion;
}

// Errors after which the context cannot be used again (CUDA reports them on every later call).
bool is_sticky(cudaError_t e) {
  return e == cudaErrorIllegalAddress || e == cudaErrorLaunchFailure || e == cudaErrorHardwareStackError ||
         e == cudaErrorIllegalInstruction || e == cudaErrorMisalignedAddress || e == cudaErrorInvalidPc ||
         e == cudaErrorECCUncorrectable || e == cudaErrorLaunchTimeout;
}

}  // namespace

void fail(pmd_status status, const std::string& message) { throw Failure(status, message); }

void check_cuda(cudaError_t error, const char* what) {
  if (error == cudaSuccess) return;
  const std::string message = std::string(what) + ": " + cudaGetErrorName(error) + " (" + cudaGetErrorString(error) + ")";
  cudaGetLastError();  // clear a non-sticky error so the next call starts clean
  if (error == cudaErrorMemoryAllocation) fail(PMD_OUT_OF_MEMORY, "out of GPU memory in " + message);
  if (is_no_device(error)) fail(PMD_NO_DEVICE, message);
  if (is_sticky(error)) mark_broken(message);
  fail(PMD_DEVICE_ERROR, message);
}

void check_cublas(cublasStatus_t status, const char* what) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  const std::string message = std::string(what) + ": cuBLAS status " + std::to_string(static_cast<int>(status));
  if (status == CUBLAS_STATUS_ALLOC_FAILED) fail(PMD_OUT_OF_MEMORY, "out of GPU memory in " + message);
  if (status == CUBLAS_STATUS_NOT_INITIALIZED || status == CUBLAS_STATUS_ARCH_MISMATCH) fail(PMD_NO_DEVICE, message);
  fail(PMD_DEVICE_ERROR, message);
}

void mark_broken(const std::string& why) {
  std::lock_guard<std::mutex> lock(device_mutex);
  if (broken.empty()) broken = why;
}

void open_device(int ordinal) {
  std::lock_guard<std::mutex> lock(device_mutex);
  if (!broken.empty()) fail(PMD_DEVICE_ERROR, "the GPU context failed earlier in this process: " + broken);
  if (opened) {
    if (ordinal != the_device.ordinal) {
      fail(PMD_UNSUPPORTED, "device " + std::to_string(the_device.ordinal) +
                                " is already open in this process; one device per process is supported");
    }
    return;
  }
  // Without the driver library the runtime only says "driver version is insufficient"; say what is missing.
  void* driver = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
  if (driver == nullptr) fail(PMD_NO_DEVICE, "no NVIDIA driver: libcuda.so.1 is not installed on this machine");
  dlclose(driver);
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    cudaGetLastError();
    std::string why = std::string(cudaGetErrorString(e)) + " (" + cudaGetErrorName(e) + ")";
    if (e == cudaErrorInsufficientDriver) {
      why += "; this library needs a driver for CUDA " + std::to_string(CUDART_VERSION / 1000) + "." +
             std::to_string(CUDART_VERSION % 1000 / 10) + " or newer";
    }
    fail(PMD_NO_DEVICE, "no usable CUDA device: " + why);
  }
  if (count == 0) fail(PMD_NO_DEVICE, "no CUDA device found");
  if (ordinal < 0 || ordinal >= count) {
    fail(PMD_NO_DEVICE, "CUDA device " + std::to_string(ordinal) + " does not exist (" + std::to_string(count) +
                            " device(s) found)");
  }
  check_cuda(cudaSetDevice(ordinal), "cudaSetDevice");
  check_cuda(cudaFree(nullptr), "creating the CUDA context");  // forces the context into existence now
  load_blas();
  Device d;
  d.ordinal = ordinal;
  check_cuda(cudaStreamCreateWithFlags(&d.stream, cudaStreamNonBlocking), "cudaStreamCreate");
  const cublasStatus_t s = blas.create(&d.blas);
  if (s != CUBLAS_STATUS_SUCCESS) {
    cudaStreamDestroy(d.stream);
    check_cublas(s, "cublasCreate");
  }
  check_cublas(blas.set_stream(d.blas, d.stream), "cublasSetStream");
  // Plain FP32 products: results must match the CPU's within float rounding, which TF32 would not.
  check_cublas(blas.set_math_mode(d.blas, CUBLAS_PEDANTIC_MATH), "cublasSetMathMode");
  size_t free_bytes = 0;
  check_cuda(cudaMemGetInfo(&free_bytes, &d.memory_total), "cudaMemGetInfo");
  the_device = d;
  opened = true;
}

bool device_is_open() {
  std::lock_guard<std::mutex> lock(device_mutex);
  return opened;
}

Device& current_device() {
  std::lock_guard<std::mutex> lock(device_mutex);
  if (!broken.empty()) fail(PMD_DEVICE_ERROR, "the GPU context failed earlier in this process: " + broken);
  if (!opened) fail(PMD_NO_DEVICE, "no CUDA device is open (open_device was not called or failed)");
  return the_device;
}

void gemm_tn(int m, int n, int k, const float* a, int lda, const float* b, int ldb, float* c, int ldc,
             const char* what) {
  const float one = 1.0f, zero = 0.0f;
  check_cublas(blas.sgemm(current_device().blas, CUBLAS_OP_T, CUBLAS_OP_N, m, n, k, &one, a, lda, b, ldb, &zero, c, ldc),
               what);
}

void synchronize(const char* what) { check_cuda(cudaStreamSynchronize(current_device().stream), what); }

void copy_to_device(void* dst, const void* src, size_t bytes) {
  if (bytes == 0) return;
  check_cuda(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, current_device().stream), "copy to device");
}

void copy_to_host(void* dst, const void* src, size_t bytes) {
  if (bytes == 0) return;
  Device& d = current_device();
  check_cuda(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, d.stream), "copy to host");
  check_cuda(cudaStreamSynchronize(d.stream), "copy to host");
}

void Hooks::check_interrupt() const {
  if (call_ != nullptr && call_->interrupted != nullptr && call_->interrupted(call_->interrupt_arg)) {
    fail(PMD_INTERRUPTED, "canceled");
  }
}

void Hooks::progress(pmd_phase phase, int64_t done, int64_t total) const {
  if (call_ != nullptr && call_->progress != nullptr) call_->progress(call_->progress_arg, phase, done, total);
}

}  // namespace piramid::gpu
