// piramid_gpu_info(): whether the GPU library loaded, why not, the device and its memory and
// temperature, and this session's counters of GPU jobs, CPU jobs and fallbacks.
#include "pg/gpu/compute.h"
#include "pg/guard.h"

extern "C" {
#include "funcapi.h"
#include "utils/tuplestore.h"
}

#include <cstdio>

using namespace piramid::pg;

namespace {

const char* mode_name(int mode) {
  switch (mode) {
    case kGpuOff: return "off";
    case kGpuOn: return "on";
    default: return "auto";
  }
}

}  // namespace

PIRAMID_FUNCTION(piramid_gpu_info) {
  // Asking for the status loads the library (as a job would), except where GPUs are switched off.
  const GpuStatus& s = gpu_status(gpu_mode != kGpuOff);
  InitMaterializedSRF(fcinfo, 0);
  auto* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
  constexpr int kColumns = 17;
  Datum values[kColumns];
  bool nulls[kColumns];
  for (int i = 0; i < kColumns; ++i) nulls[i] = false;
  const bool dev = s.device_ready;
  char capability[16];
  std::snprintf(capability, sizeof capability, "%d.%d", s.device.cc_major, s.device.cc_minor);
  const int64 mb = 1 << 20;
  values[0] = CStringGetTextDatum(mode_name(gpu_mode));
  values[1] = CStringGetTextDatum(s.library_path);
  values[2] = BoolGetDatum(s.loaded);
  values[3] = CStringGetTextDatum(dev ? "ready" : s.reason);
  values[4] = dev ? CStringGetTextDatum(s.device.name) : (nulls[4] = true, 0);
  values[5] = dev ? CStringGetTextDatum(capability) : (nulls[5] = true, 0);
  values[6] = dev ? Int64GetDatum(static_cast<int64>(s.device.memory_total / mb)) : (nulls[6] = true, 0);
  values[7] = dev ? Int64GetDatum(static_cast<int64>((s.device.memory_total - s.device.memory_free) / mb))
                  : (nulls[7] = true, 0);
  values[8] = dev ? Int64GetDatum(static_cast<int64>(s.device.memory_free / mb)) : (nulls[8] = true, 0);
  values[9] = dev && s.device.temperature_c >= 0 ? Int32GetDatum(s.device.temperature_c) : (nulls[9] = true, 0);
  values[10] = dev ? Int32GetDatum(s.device.multiprocessors) : (nulls[10] = true, 0);
  char versions[64];
  std::snprintf(versions, sizeof versions, "driver %d.%d, runtime %d.%d", s.device.driver_version / 1000,
                s.device.driver_version % 1000 / 10, s.device.runtime_version / 1000,
                s.device.runtime_version % 1000 / 10);
  values[11] = dev ? CStringGetTextDatum(versions) : (nulls[11] = true, 0);
  values[12] = Int64GetDatum(s.gpu_jobs);
  values[13] = Int64GetDatum(s.cpu_jobs);
  values[14] = Int64GetDatum(s.fallbacks);
  values[15] = s.last_fallback[0] ? CStringGetTextDatum(s.last_fallback) : (nulls[15] = true, 0);
  values[16] = Int32GetDatum(s.open_searches);
  tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
  return (Datum)0;
}
