#include "nvml.h"

#include <dlfcn.h>

#include <mutex>

namespace piramid::gpu {
namespace {

// The few NVML entry points used, declared by hand (stable since NVML 2.x; _v2 names where they exist).
using NvmlReturn = int;
using NvmlDevice = void*;
constexpr int kNvmlSuccess = 0;
constexpr int kNvmlTemperatureGpu = 0;

struct Nvml {
  bool ready = false;
  NvmlReturn (*get_by_bus_id)(const char*, NvmlDevice*) = nullptr;
  NvmlReturn (*get_temperature)(NvmlDevice, int, unsigned int*) = nullptr;
};

Nvml& nvml() {
  static Nvml lib;
  static std::once_flag once;
  std::call_once(once, [] {
    void* handle = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) return;
    auto init = reinterpret_cast<NvmlReturn (*)()>(dlsym(handle, "nvmlInit_v2"));
    lib.get_by_bus_id = reinterpret_cast<NvmlReturn (*)(const char*, NvmlDevice*)>(
        dlsym(handle, "nvmlDeviceGetHandleByPciBusId_v2"));
    lib.get_temperature = reinterpret_cast<NvmlReturn (*)(NvmlDevice, int, unsigned int*)>(
        dlsym(handle, "nvmlDeviceGetTemperature"));
    lib.ready = init != nullptr && lib.get_by_bus_id != nullptr && lib.get_temperature != nullptr &&
                init() == kNvmlSuccess;
  });
  return lib;
}

}  // namespace

int gpu_temperature(const char* pci_bus_id) noexcept {
  Nvml& lib = nvml();
  if (!lib.ready) return -1;
  NvmlDevice device = nullptr;
  unsigned int celsius = 0;
  if (lib.get_by_bus_id(pci_bus_id, &device) != kNvmlSuccess) return -1;
  if (lib.get_temperature(device, kNvmlTemperatureGpu, &celsius) != kNvmlSuccess) return -1;
  return static_cast<int>(celsius);
}

}  // namespace piramid::gpu
