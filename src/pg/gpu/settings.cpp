// The piramid.gpu* settings (docs/gpu.md).
#include "pg/gpu/compute.h"
#include "pg/settings.h"

#include <climits>

extern "C" {
#include "utils/guc.h"
}

namespace piramid::pg {

int gpu_mode = kGpuAuto;
char* gpu_library_setting = nullptr;
int gpu_device_setting = 0;
int gpu_min_rows_setting = 50000;

namespace {

const struct config_enum_entry gpu_mode_options[] = {
    {"off", kGpuOff, false},   {"auto", kGpuAuto, false}, {"on", kGpuOn, false},
    {"false", kGpuOff, true},  {"true", kGpuOn, true},    {"0", kGpuOff, true},
    {"1", kGpuOn, true},       {nullptr, 0, false},
};

}  // namespace

void register_gpu_settings() {
  DefineCustomEnumVariable("piramid.gpu", "Whether compute jobs (exact scans, IVF training) use the GPU.",
                           "off: never. auto: when piramid_gpu.so loads, finds a device and the job is large "
                           "enough (piramid.gpu_min_rows), else the CPU. on: always, and an error when the GPU "
                           "cannot be used.",
                           &gpu_mode, kGpuAuto, gpu_mode_options, PGC_USERSET, 0, nullptr, nullptr, nullptr);
  // Loading a shared library is a superuser decision, like dynamic_library_path.
  DefineCustomStringVariable("piramid.gpu_library", "Path of the GPU library.",
                             "$libdir/ stands for the server's package library directory.", &gpu_library_setting,
                             "$libdir/piramid_gpu", PGC_SUSET, 0, nullptr, nullptr, nullptr);
  DefineCustomIntVariable("piramid.gpu_device", "CUDA device number the GPU library uses.",
                          "Read when the device is first opened in a session.", &gpu_device_setting, 0, 0, 63,
                          PGC_USERSET, 0, nullptr, nullptr, nullptr);
  DefineCustomIntVariable("piramid.gpu_min_rows",
                          "Smallest job, in rows, that piramid.gpu = auto sends to the GPU.",
                          "Opening the GPU costs hundreds of milliseconds once per session; smaller jobs are "
                          "faster on the CPU.",
                          &gpu_min_rows_setting, 50000, 0, INT_MAX, PGC_USERSET, 0, nullptr, nullptr, nullptr);
}

}  // namespace piramid::pg
