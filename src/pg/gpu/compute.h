// How glue code runs compute jobs (k-means, PQ, exact k-NN) on the GPU or the CPU: the settings, the
// choice of backend, the fallback rule, and the tracking of GPU handles by resource owner. The backends
// themselves are the tables of piramid/compute/backend_api.h: the core's CPU table and, when it loads and
// finds a device, piramid_gpu.so's. See docs/gpu.md for users and gpu/README.md for the design.
#pragma once

#include "pg/postgres_headers.h"

#include "piramid/compute/backend.h"
#include "piramid/compute/backend_api.h"

namespace piramid::pg {

// piramid.gpu
enum GpuMode { kGpuOff = 0, kGpuAuto = 1, kGpuOn = 2 };
extern int gpu_mode;
extern char* gpu_library_setting;  // piramid.gpu_library
extern int gpu_device_setting;     // piramid.gpu_device
extern int gpu_min_rows_setting;   // piramid.gpu_min_rows

struct ComputeBackend {
  const pmd_compute_api* api;  // never null: the GPU library's table or the CPU's
  bool gpu;
};

// The backend for a job over about `rows` rows (negative: unknown, counted as large). The GPU when
// piramid.gpu is on, or when it is auto, the job has at least piramid.gpu_min_rows rows and the library
// loads and opens its device (tried once per backend process, never in the postmaster); otherwise the CPU.
// With on and an unusable GPU it throws piramid::Error saying why. Safe to call from C++ frames.
ComputeBackend choose_compute_backend(const char* job, double rows);

// After the GPU failed a job with `status`: with piramid.gpu = auto, logs a DEBUG1 line, counts a
// fallback and returns true, so the caller runs the job again on the CPU. Returns false for on, for a
// cancel and for an invalid argument (which the CPU would refuse too): the caller reports the failure.
bool gpu_failure_falls_back(const char* job, pmd_status status, const pmd_call& call);

// Counts a job that ran to the end on `backend` (for piramid_gpu_info()).
void count_compute_job(const ComputeBackend& backend);

// Emits the NOTICE that tells the user a job (an index build's training, say) ran on the GPU, naming it.
void notice_gpu_job(const char* job);

// Runs one compute job with the whole policy: picks the backend (choose_compute_backend), calls
// run(api, call), and when the GPU fails and piramid.gpu = auto runs it again on the CPU; throws the
// failure's Error otherwise (Interrupted on a cancel, so the guard lets Postgres raise its own error).
// ctx supplies threads, the interrupt poll and progress (called on this thread). With `notice`, a job
// that ran on the GPU says so. Returns whether it ran on the GPU. For C++ frames only (it may throw).
//
//   pmd_kmeans_params p = ...;
//   run_compute_job("IVF k-means", rows, ctx, true, [&](const pmd_compute_api* api, pmd_call* call) {
//     return api->kmeans_train(sample, rows, dim, &p, centroids, &stats, call);
//   });
template <class Run>
bool run_compute_job(const char* job, double rows, const ComputeContext& ctx, bool notice, Run&& run) {
  ComputeBackend backend = choose_compute_backend(job, rows);
  BackendCall call(ctx);
  pmd_status status = run(backend.api, call.get());
  if (status != PMD_OK && backend.gpu && gpu_failure_falls_back(job, status, *call.get())) {
    backend = ComputeBackend{cpu_compute_api(), false};
    BackendCall again(ctx);
    status = run(backend.api, again.get());
    throw_if_failed(status, *again.get(), job);
  } else {
    throw_if_failed(status, *call.get(), job);
  }
  count_compute_job(backend);
  if (backend.gpu && notice) notice_gpu_job(job);
  return backend.gpu;
}

// A pmd_call whose interrupt poll reads QueryCancelPending and ProcDiePending (safe on any thread) and that runs `threads`
// CPU worker threads (0 = one per core).
void init_postgres_call(pmd_call* call, int threads);

// Worker threads for query-time CPU jobs: the leader plus max_parallel_workers_per_gather, the same
// parallelism the planner would give one query.
int query_compute_threads();

// GPU k-NN handles hold device memory across Postgres calls (a table scan between chunks). Remembered
// ones are freed when the resource owner that was current at remember time is released: on commit (with
// a leak WARNING), on error and on cancel. forget_knn frees one at once.
void remember_knn(const pmd_compute_api* api, pmd_knn* knn);
void forget_knn(pmd_knn* knn);
int open_knn_count();

// What piramid_gpu_info() reports.
struct GpuStatus {
  bool library_found;    // the file exists
  bool loaded;           // dlopen and the ABI check succeeded
  bool device_ready;     // open_device succeeded
  char library_path[1024];
  char reason[512];      // why not ready ("" when ready)
  pmd_device_info device;  // valid when device_ready
  int64 gpu_jobs, cpu_jobs, fallbacks;
  int open_searches;     // k-NN handles not yet freed (0 between statements)
  char last_fallback[512];
};

// The current status; with `try_load`, attempts loading first (as a job would).
const GpuStatus& gpu_status(bool try_load);

}  // namespace piramid::pg
