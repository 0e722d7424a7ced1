// Loading piramid_gpu.so and choosing a backend per job. Everything here keeps plain-data frames and
// never raises a Postgres error; failures become a reason string shown by piramid_gpu_info().
#include "pg/gpu/compute.h"

#include "pg/guard.h"
#include "piramid/compute/backend.h"
#include "piramid/error.h"

extern "C" {
#include "miscadmin.h"
#include "optimizer/cost.h"
}

#include <cstdio>
#include <cstring>
#include <string>

#include <dlfcn.h>
#include <sys/stat.h>

namespace piramid::pg {
namespace {

GpuStatus status;
const pmd_compute_api* gpu_api = nullptr;
bool attempted = false;
char attempted_path[1024];
int attempted_device = -1;

// "$libdir/piramid_gpu" -> "<pkglibdir>/piramid_gpu.so", as Postgres expands module paths.
void expand_library_path(const char* setting, char* out, size_t size) {
  const char* name = setting != nullptr && setting[0] != '\0' ? setting : "$libdir/piramid_gpu";
  if (std::strncmp(name, "$libdir", 7) == 0) {
    std::snprintf(out, size, "%s%s", pkglib_path, name + 7);
  } else {
    std::snprintf(out, size, "%s", name);
  }
  const size_t len = std::strlen(out), suffix = std::strlen(DLSUFFIX);
  if (len < suffix || std::strcmp(out + len - suffix, DLSUFFIX) != 0) {
    std::snprintf(out + len, size - len, "%s", DLSUFFIX);
  }
}

// Loads the library and opens the device, once per library path and device number in this process.
void try_load() {
  char path[1024];
  expand_library_path(gpu_library_setting, path, sizeof path);
  if (attempted && std::strcmp(path, attempted_path) == 0 && gpu_device_setting == attempted_device) return;
  attempted = true;
  std::snprintf(attempted_path, sizeof attempted_path, "%s", path);
  attempted_device = gpu_device_setting;
  gpu_api = nullptr;
  status.library_found = status.loaded = status.device_ready = false;
  std::snprintf(status.library_path, sizeof status.library_path, "%s", path);
  status.reason[0] = '\0';

  // CUDA must never be initialised in the postmaster: every backend would inherit a broken context.
  if (IsPostmasterEnvironment && !IsUnderPostmaster) {
    std::snprintf(status.reason, sizeof status.reason, "the GPU library is never loaded in the postmaster");
    attempted = false;  // a backend forked later tries again
    return;
  }
  struct stat st;
  if (stat(path, &st) != 0) {
    std::snprintf(status.reason, sizeof status.reason,
                  "the GPU library is not installed (%.300s not found); build it with \"make gpu install-gpu\" on a "
                  "machine with the CUDA toolkit",
                  path);
    return;
  }
  status.library_found = true;
  void* handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    std::snprintf(status.reason, sizeof status.reason, "could not load the GPU library: %.450s", dlerror());
    return;
  }
  auto entry = reinterpret_cast<pmd_compute_entry_fn>(dlsym(handle, PMD_COMPUTE_ENTRY_NAME));
  const pmd_compute_api* api = entry != nullptr ? entry(PMD_COMPUTE_ABI_VERSION) : nullptr;
  if (api == nullptr || api->abi_version != PMD_COMPUTE_ABI_VERSION || api->struct_size < sizeof(pmd_compute_api)) {
    // The handle stays open: unloading code that may have started threads is not worth the risk.
    std::snprintf(status.reason, sizeof status.reason,
                  "%.300s does not provide compute interface version %u; install the GPU library built with this "
                  "piramid version",
                  path, PMD_COMPUTE_ABI_VERSION);
    return;
  }
  status.loaded = true;
  pmd_call call;
  init_postgres_call(&call, 1);
  const pmd_status opened = api->open_device(gpu_device_setting, &call);
  if (opened != PMD_OK) {
    std::snprintf(status.reason, sizeof status.reason, "%s", call.message[0] ? call.message : status_name(opened));
    return;
  }
  if (api->device_info(&status.device, &call) != PMD_OK) std::memset(&status.device, 0, sizeof status.device);
  status.device_ready = true;
  gpu_api = api;
}

// Cancel and terminate only: InterruptPending also flags work CHECK_FOR_INTERRUPTS does quietly.
int interrupt_pending(void*) { return (QueryCancelPending || ProcDiePending) ? 1 : 0; }

}  // namespace

void init_postgres_call(pmd_call* call, int threads) {
  std::memset(call, 0, sizeof *call);
  call->struct_size = sizeof *call;
  call->threads = threads;
  call->interrupted = interrupt_pending;
}

int query_compute_threads() { return 1 + (max_parallel_workers_per_gather > 0 ? max_parallel_workers_per_gather : 0); }

ComputeBackend choose_compute_backend(const char* job, double rows) {
  const ComputeBackend cpu{cpu_compute_api(), false};
  if (gpu_mode == kGpuOff) return cpu;
  if (gpu_mode == kGpuAuto && rows >= 0 && rows < gpu_min_rows_setting) return cpu;
  try_load();
  if (gpu_api != nullptr) return ComputeBackend{gpu_api, true};
  if (gpu_mode == kGpuOn) {
    throw Error(ErrorKind::kFeatureNotSupported,
                std::string("piramid.gpu is on, but the GPU cannot be used for ") + job + ": " + status.reason, {},
                "Set piramid.gpu to auto to fall back to the CPU, or see piramid_gpu_info().");
  }
  status.fallbacks++;
  std::snprintf(status.last_fallback, sizeof status.last_fallback, "%.60s: %.400s", job, status.reason);
  call_postgres([&] { elog(DEBUG1, "piramid: %s runs on the CPU: %s", job, status.reason); });
  return cpu;
}

bool gpu_failure_falls_back(const char* job, pmd_status failed, const pmd_call& call) {
  if (gpu_mode != kGpuAuto || failed == PMD_INTERRUPTED || failed == PMD_INVALID_ARGUMENT) return false;
  status.fallbacks++;
  std::snprintf(status.last_fallback, sizeof status.last_fallback, "%.60s: %.300s (%.40s)", job,
                call.message[0] ? call.message : "failed", status_name(failed));
  // DEBUG1 cannot raise an error, but stay inside the wall anyway: this runs in C++ frames.
  call_postgres([&] { elog(DEBUG1, "piramid: GPU %s failed, running it on the CPU: %s", job, status.last_fallback); });
  return true;
}

void notice_gpu_job(const char* job) {
  const char* device = status.device_ready ? status.device.name : "GPU";
  call_postgres([&] { ereport(NOTICE, (errmsg("piramid: %s ran on the GPU (%s)", job, device))); });
}

void count_compute_job(const ComputeBackend& backend) {
  if (backend.gpu) status.gpu_jobs++;
  else status.cpu_jobs++;
}

const GpuStatus& gpu_status(bool load) {
  if (load) try_load();
  if (!attempted && status.reason[0] == '\0') {
    expand_library_path(gpu_library_setting, status.library_path, sizeof status.library_path);
    std::snprintf(status.reason, sizeof status.reason, "not loaded yet in this session");
  }
  status.open_searches = open_knn_count();
  if (status.device_ready && gpu_api != nullptr) {
    pmd_call call;
    init_postgres_call(&call, 1);
    gpu_api->device_info(&status.device, &call);  // memory and temperature change; keep the old on failure
  }
  return status;
}

}  // namespace piramid::pg
