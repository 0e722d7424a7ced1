// Finds and opens piramid_gpu.so for the GPU tests: $PIRAMID_GPU_LIBRARY, else gpu/piramid_gpu.so of the
// source tree (built by `make gpu`). Every GPU test skips, saying why, when the library or a device is
// missing, so the suite passes on machines without CUDA.
#pragma once

#include "piramid/compute/backend_api.h"

#include <cstdlib>
#include <cstring>
#include <string>

#include <dlfcn.h>
#include <sys/stat.h>

namespace piramid::testing {

struct GpuLibrary {
  std::string path;
  bool file_exists = false;
  void* handle = nullptr;
  const pmd_compute_api* api = nullptr;  // the table, if the library loaded
  bool device_open = false;
  std::string why_not;  // when api is null or no device opened
};

inline const GpuLibrary& gpu_library() {
  static const GpuLibrary lib = [] {
    GpuLibrary l;
    const char* env = std::getenv("PIRAMID_GPU_LIBRARY");
#ifdef PIRAMID_SOURCE_DIR
    l.path = env != nullptr ? env : std::string(PIRAMID_SOURCE_DIR) + "/gpu/piramid_gpu.so";
#else
    l.path = env != nullptr ? env : "gpu/piramid_gpu.so";
#endif
    struct stat st;
    l.file_exists = stat(l.path.c_str(), &st) == 0;
    if (!l.file_exists) {
      l.why_not = l.path + " was not built (no nvcc, or `make gpu` not run)";
      return l;
    }
    l.handle = dlopen(l.path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (l.handle == nullptr) {
      l.why_not = std::string("dlopen failed: ") + dlerror();
      return l;
    }
    auto entry = reinterpret_cast<pmd_compute_entry_fn>(dlsym(l.handle, PMD_COMPUTE_ENTRY_NAME));
    l.api = entry != nullptr ? entry(PMD_COMPUTE_ABI_VERSION) : nullptr;
    if (l.api == nullptr) {
      l.why_not = "the library has no usable " PMD_COMPUTE_ENTRY_NAME;
      return l;
    }
    pmd_call call;
    std::memset(&call, 0, sizeof call);
    call.struct_size = sizeof call;
    const pmd_status s = l.api->open_device(0, &call);
    l.device_open = s == PMD_OK;
    if (!l.device_open) l.why_not = std::string("no GPU: ") + call.message;
    return l;
  }();
  return lib;
}

}  // namespace piramid::testing
