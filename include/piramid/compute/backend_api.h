/* The compute backend interface: one table of entry points that both the CPU core and the optional GPU
 * library (gpu/, piramid_gpu.so) implement, so a caller (an index build, an exact scan) is written once
 * and runs on either. This header is the whole contract between piramid.so and piramid_gpu.so; it is
 * plain C types only, so the two can be built by different compilers (g++ and nvcc) and versions.
 *
 * Rules every implementation follows:
 *  - every entry point is noexcept and reports failure as a pmd_status plus a message in call->message;
 *  - all pointers are host memory owned by the caller, valid only for the duration of the call (device
 *    memory never crosses this interface, except inside an opaque pmd_knn handle);
 *  - matrices are row-major float32 (or IEEE binary16 for PMD_F16 base vectors) without alignment needs;
 *  - no entry point calls back into Postgres except through the two callbacks in pmd_call, which the
 *    glue implements without raising errors (interrupted() may be called from any thread, progress()
 *    only on the calling thread).
 *
 * Versioning: piramid_gpu.so exports one C function, PMD_COMPUTE_ENTRY (below), that returns the table
 * for the ABI version the caller asks for, or NULL when it cannot serve it. abi_version changes when an
 * existing entry or struct changes meaning; new entries are appended to the tables and structs, whose
 * struct_size fields tell each side how much the other one knows about. */
#ifndef PIRAMID_COMPUTE_BACKEND_API_H
#define PIRAMID_COMPUTE_BACKEND_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define PMD_NOEXCEPT noexcept
extern "C" {
#else
#define PMD_NOEXCEPT
#endif

#define PMD_COMPUTE_ABI_VERSION 1u
#define PMD_COMPUTE_ENTRY piramid_compute_api
#define PMD_COMPUTE_ENTRY_NAME "piramid_compute_api"

typedef enum pmd_status {
  PMD_OK = 0,
  PMD_INVALID_ARGUMENT = 1, /* a shape or option out of range; the message names it */
  PMD_UNSUPPORTED = 2,      /* valid, but not by this backend (the caller may use the CPU instead) */
  PMD_NO_DEVICE = 3,        /* no usable device: no driver, no GPU, or the device refused a context */
  PMD_OUT_OF_MEMORY = 4,    /* host or device memory */
  PMD_INTERRUPTED = 5,      /* call->interrupted() asked to stop; nothing was written */
  PMD_DEVICE_ERROR = 6,     /* a CUDA or cuBLAS call failed (launch failure, timeout, ECC error, ...) */
  PMD_INTERNAL = 7
} pmd_status;

typedef enum pmd_metric {
  PMD_METRIC_L2 = 0,            /* k-means: ordinary; k-NN: Euclidean distance */
  PMD_METRIC_INNER_PRODUCT = 1, /* k-means: spherical; k-NN: negative inner product */
  PMD_METRIC_COSINE = 2         /* k-means: spherical on unit rows; k-NN: 1 - cosine similarity */
} pmd_metric;

typedef enum pmd_vector_type { PMD_F32 = 0, PMD_F16 = 1 } pmd_vector_type;

/* Phases of progress reports (the same numbers as piramid::ComputePhase). */
typedef enum pmd_phase {
  PMD_PHASE_KMEANS_INIT = 1,
  PMD_PHASE_KMEANS_ITERATE = 2,
  PMD_PHASE_ASSIGN = 3,
  PMD_PHASE_PQ_TRAIN = 4,
  PMD_PHASE_PQ_ENCODE = 5,
  PMD_PHASE_SEARCH = 6
} pmd_phase;

/* Passed to every entry point: how to stop, whom to tell, where to put the reason for a failure. */
typedef struct pmd_call {
  uint32_t struct_size; /* sizeof(pmd_call) as the caller knows it */
  int32_t threads;      /* CPU backend: worker threads, 0 = one per core; ignored by the GPU */
  int (*interrupted)(void* arg);                                           /* nonzero = stop; may be NULL */
  void* interrupt_arg;
  void (*progress)(void* arg, int32_t phase, int64_t done, int64_t total); /* may be NULL */
  void* progress_arg;
  char message[256]; /* out: why the call failed, NUL-terminated; "" on success */
} pmd_call;

#define PMD_KMEANS_GIVEN_INIT 1 /* flags: start from the centroids passed in, not k-means++ */

typedef struct pmd_kmeans_params {
  uint32_t struct_size;
  int32_t clusters;
  int32_t metric; /* pmd_metric */
  int32_t iterations;
  uint64_t seed;
  int32_t init_rows_per_cluster; /* k-means++ seeds from clusters x this many sampled rows; 0 = all */
  int32_t flags;                 /* PMD_KMEANS_* */
  double tolerance;              /* stop once an iteration improves the objective by less; 0 = never */
} pmd_kmeans_params;

typedef struct pmd_kmeans_stats {
  int32_t iterations; /* Lloyd iterations run */
  int32_t reseeded;   /* empty clusters re-seeded */
  double objective;   /* sum of distances at the last assignment */
} pmd_kmeans_stats;

typedef struct pmd_pq_params {
  uint32_t struct_size;
  int32_t m;     /* subvectors; divides dim */
  int32_t nbits; /* bits per sub-code, 4..8 */
  int32_t iterations;
  uint64_t seed;
  int32_t init_rows_per_cluster;
} pmd_pq_params;

typedef struct pmd_device_info {
  uint32_t struct_size;
  int32_t device; /* ordinal */
  char name[128];
  int32_t cc_major, cc_minor;
  int32_t multiprocessors;
  uint64_t memory_total, memory_free; /* bytes, for the whole device (other processes included) */
  int32_t temperature_c;              /* -1 when unknown (no NVML) */
  int32_t driver_version, runtime_version; /* as CUDA reports them: 13000 = 13.0 */
} pmd_device_info;

/* A streaming exact k-NN search: queries fixed at begin, base vectors added chunk by chunk, results at
 * the end. On the GPU it owns device memory until knn_free. */
typedef struct pmd_knn pmd_knn;

typedef struct pmd_compute_api {
  uint32_t abi_version; /* PMD_COMPUTE_ABI_VERSION of the implementation */
  uint32_t struct_size; /* sizeof(pmd_compute_api) of the implementation */
  const char* name;     /* "cpu" or "cuda" */

  /* Makes `device` the one every later call uses and initialises it (on a GPU this creates the context:
   * hundreds of milliseconds, once per process). PMD_NO_DEVICE explains itself in call->message. */
  pmd_status (*open_device)(int32_t device, pmd_call* call) PMD_NOEXCEPT;
  /* Facts about the open device. */
  pmd_status (*device_info)(pmd_device_info* info, pmd_call* call) PMD_NOEXCEPT;

  /* k-means on x (n x dim): centroids (clusters x dim) gets the result; with PMD_KMEANS_GIVEN_INIT it
   * holds the starting centroids on entry. stats may be NULL. */
  pmd_status (*kmeans_train)(const float* x, int64_t n, int32_t dim, const pmd_kmeans_params* params,
                             float* centroids, pmd_kmeans_stats* stats, pmd_call* call) PMD_NOEXCEPT;
  /* Nearest centroid per row (lowest number on ties); distances (may be NULL) as piramid::assign_nearest. */
  pmd_status (*assign_nearest)(const float* x, int64_t n, int32_t dim, const float* centroids, int32_t k,
                               int32_t metric, int32_t* labels, float* distances, pmd_call* call) PMD_NOEXCEPT;

  /* PQ codebooks (m x 2^nbits x dim/m floats) trained on x. */
  pmd_status (*pq_train)(const float* x, int64_t n, int32_t dim, const pmd_pq_params* params, float* codebooks,
                         pmd_call* call) PMD_NOEXCEPT;
  /* PQ codes of x (n x pq_code_size(m, nbits) bytes), packed as piramid/compute/pq_codes.h says. */
  pmd_status (*pq_encode)(const float* x, int64_t n, int32_t dim, int32_t m, int32_t nbits, const float* codebooks,
                          uint8_t* codes, pmd_call* call) PMD_NOEXCEPT;

  /* Exact k-NN: begin copies the queries (nq x dim floats); add scans n base vectors of `type` named by
   * ids (NULL: running row numbers); result writes nq x k ids (-1 when missing) and distances as the SQL
   * operators define them (Euclidean, negative inner product, 1 - cosine; +infinity when missing),
   * nearest first. knn_free releases the handle (NULL is fine) and never fails. */
  pmd_status (*knn_begin)(const float* queries, int64_t nq, int32_t dim, int32_t metric, int32_t k, pmd_knn** knn,
                          pmd_call* call) PMD_NOEXCEPT;
  pmd_status (*knn_add)(pmd_knn* knn, const void* base, int32_t type, int64_t n, const int64_t* ids,
                        pmd_call* call) PMD_NOEXCEPT;
  pmd_status (*knn_result)(pmd_knn* knn, int64_t* ids, double* distances, pmd_call* call) PMD_NOEXCEPT;
  void (*knn_free)(pmd_knn* knn) PMD_NOEXCEPT;

  /* Frees memory kept between calls (device buffer pools); the next call allocates again. */
  void (*release_cached)(void) PMD_NOEXCEPT;
} pmd_compute_api;

/* The one symbol piramid_gpu.so exports. Returns NULL when it cannot serve abi_version. */
typedef const pmd_compute_api* (*pmd_compute_entry_fn)(uint32_t abi_version);

#ifdef __cplusplus
}
#endif

#endif /* PIRAMID_COMPUTE_BACKEND_API_H */
