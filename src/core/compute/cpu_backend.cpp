// The CPU implementation of the compute backend table (backend_api.h), wrapping the core's k-means, PQ
// and exact k-NN. Each entry point catches everything and reports a status, as the contract requires.
#include "piramid/compute/backend.h"

#include "piramid/compute/kmeans.h"
#include "piramid/compute/knn.h"
#include "piramid/compute/pq.h"

#include <cstdio>
#include <cstring>
#include <new>
#include <string>

struct pmd_knn {
  piramid::ExactKnn* search;
};

namespace piramid {
namespace {

void set_message(pmd_call* call, const char* text) {
  if (call != nullptr) std::snprintf(call->message, sizeof call->message, "%s", text);
}

pmd_status status_of(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidParameter:
    case ErrorKind::kDataException:
    case ErrorKind::kProgramLimitExceeded:
    case ErrorKind::kNumericOutOfRange:
    case ErrorKind::kInvalidTextRepresentation: return PMD_INVALID_ARGUMENT;
    case ErrorKind::kFeatureNotSupported: return PMD_UNSUPPORTED;
    case ErrorKind::kOutOfMemory: return PMD_OUT_OF_MEMORY;
    case ErrorKind::kQueryCanceled: return PMD_INTERRUPTED;
    case ErrorKind::kIndexCorrupted:
    case ErrorKind::kInternal: break;
  }
  return PMD_INTERNAL;
}

// Runs body, mapping every exception to a status and a message.
template <class Body>
pmd_status guarded(pmd_call* call, Body&& body) noexcept {
  set_message(call, "");
  try {
    body();
    return PMD_OK;
  } catch (const Error& e) {
    set_message(call, e.what());
    return status_of(e.kind());
  } catch (const std::bad_alloc&) {
    set_message(call, "out of memory in the CPU compute backend");
    return PMD_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    set_message(call, e.what());
    return PMD_INTERNAL;
  } catch (...) {
    set_message(call, "unknown error in the CPU compute backend");
    return PMD_INTERNAL;
  }
}

ComputeContext context_of(const pmd_call* call) {
  ComputeContext ctx;
  if (call == nullptr) return ctx;
  ctx.threads = call->threads;
  if (call->interrupted != nullptr) {
    ctx.interrupt = InterruptCheck(
        [](void* arg) -> bool {
          const auto* c = static_cast<const pmd_call*>(arg);
          return c->interrupted(c->interrupt_arg) != 0;
        },
        const_cast<pmd_call*>(call));
  }
  if (call->progress != nullptr) {
    ctx.progress = [call](ComputePhase phase, int64_t done, int64_t total) {
      call->progress(call->progress_arg, static_cast<int32_t>(phase), done, total);
    };
  }
  return ctx;
}

Metric metric_of(int32_t metric) {
  switch (metric) {
    case PMD_METRIC_L2: return Metric::kL2;
    case PMD_METRIC_INNER_PRODUCT: return Metric::kInnerProduct;
    case PMD_METRIC_COSINE: return Metric::kCosine;
    default: break;
  }
  throw Error(ErrorKind::kInvalidParameter, "unknown compute metric " + std::to_string(metric));
}

void require(bool ok, const char* what) {
  if (!ok) throw Error(ErrorKind::kInvalidParameter, what);
}

pmd_status cpu_open_device(int32_t, pmd_call* call) noexcept { return guarded(call, [] {}); }

pmd_status cpu_device_info(pmd_device_info* info, pmd_call* call) noexcept {
  return guarded(call, [&] {
    require(info != nullptr, "device_info needs an output struct");
    std::memset(info, 0, sizeof *info);
    info->struct_size = sizeof *info;
    info->device = -1;
    info->temperature_c = -1;
    std::snprintf(info->name, sizeof info->name, "CPU");
  });
}

pmd_status cpu_kmeans_train(const float* x, int64_t n, int32_t dim, const pmd_kmeans_params* params,
                            float* centroids, pmd_kmeans_stats* stats, pmd_call* call) noexcept {
  return guarded(call, [&] {
    require(x != nullptr && params != nullptr && centroids != nullptr, "k-means needs data, parameters and output");
    require(n >= 0 && dim > 0 && params->clusters > 0, "k-means needs rows, dimensions and clusters");
    KMeansOptions o;
    o.clusters = static_cast<size_t>(params->clusters);
    o.metric = metric_of(params->metric);
    o.iterations = params->iterations;
    o.seed = params->seed;
    o.init_rows_per_cluster = static_cast<size_t>(params->init_rows_per_cluster < 0 ? 0 : params->init_rows_per_cluster);
    o.tolerance = params->tolerance;
    if (params->flags & PMD_KMEANS_GIVEN_INIT) o.initial_centroids = centroids;
    const KMeansResult r = kmeans_train(x, static_cast<size_t>(n), static_cast<size_t>(dim), o, context_of(call));
    std::memcpy(centroids, r.centroids.data(), r.centroids.size() * sizeof(float));
    if (stats != nullptr) {
      stats->iterations = r.iterations;
      stats->reseeded = static_cast<int32_t>(r.reseeded);
      stats->objective = r.objective.empty() ? 0.0 : r.objective.back();
    }
  });
}

pmd_status cpu_assign_nearest(const float* x, int64_t n, int32_t dim, const float* centroids, int32_t k,
                              int32_t metric, int32_t* labels, float* distances, pmd_call* call) noexcept {
  return guarded(call, [&] {
    require(x != nullptr && centroids != nullptr && labels != nullptr, "assignment needs data, centroids and labels");
    require(n >= 0 && dim > 0 && k > 0, "assignment needs rows, dimensions and centroids");
    assign_nearest(x, static_cast<size_t>(n), static_cast<size_t>(dim), centroids, static_cast<size_t>(k),
                   metric_of(metric), labels, distances, context_of(call));
  });
}

pmd_status cpu_pq_train(const float* x, int64_t n, int32_t dim, const pmd_pq_params* params, float* codebooks,
                        pmd_call* call) noexcept {
  return guarded(call, [&] {
    require(x != nullptr && params != nullptr && codebooks != nullptr, "PQ training needs data, parameters and output");
    require(n >= 0 && dim > 0 && params->m > 0, "PQ training needs rows, dimensions and subvectors");
    const PqShape shape{static_cast<size_t>(dim), static_cast<size_t>(params->m), params->nbits};
    PqTrainOptions o;
    o.iterations = params->iterations;
    o.seed = params->seed;
    o.init_rows_per_cluster = static_cast<size_t>(params->init_rows_per_cluster < 0 ? 0 : params->init_rows_per_cluster);
    pq_train(shape, x, static_cast<size_t>(n), o, codebooks, context_of(call));
  });
}

pmd_status cpu_pq_encode(const float* x, int64_t n, int32_t dim, int32_t m, int32_t nbits, const float* codebooks,
                         uint8_t* codes, pmd_call* call) noexcept {
  return guarded(call, [&] {
    require(x != nullptr && codebooks != nullptr && codes != nullptr, "PQ encoding needs data, codebooks and output");
    require(n >= 0 && dim > 0 && m > 0, "PQ encoding needs rows, dimensions and subvectors");
    pq_encode(PqShape{static_cast<size_t>(dim), static_cast<size_t>(m), nbits}, codebooks, x, static_cast<size_t>(n),
              codes, context_of(call));
  });
}

pmd_status cpu_knn_begin(const float* queries, int64_t nq, int32_t dim, int32_t metric, int32_t k, pmd_knn** out,
                         pmd_call* call) noexcept {
  return guarded(call, [&] {
    require(out != nullptr && (queries != nullptr || nq == 0), "k-NN search needs queries and an output handle");
    require(nq >= 0 && dim > 0 && k > 0, "k-NN search needs dimensions and k of at least 1");
    *out = nullptr;
    auto* knn = new pmd_knn{nullptr};
    try {
      knn->search = new ExactKnn(queries, static_cast<size_t>(nq), static_cast<size_t>(dim), metric_of(metric),
                                 static_cast<size_t>(k), context_of(call));
    } catch (...) {
      delete knn;
      throw;
    }
    *out = knn;
  });
}

pmd_status cpu_knn_add(pmd_knn* knn, const void* base, int32_t type, int64_t n, const int64_t* ids,
                       pmd_call* call) noexcept {
  return guarded(call, [&] {
    require(knn != nullptr && knn->search != nullptr, "k-NN add needs a search handle");
    require(n >= 0 && (base != nullptr || n == 0), "k-NN add needs base vectors");
    require(type == PMD_F32 || type == PMD_F16, "k-NN base vectors must be f32 or f16");
    // The callbacks belong to each call, not to the handle.
    ExactKnn* search = knn->search;
    search->set_context(context_of(call));
    search->add(base, type == PMD_F32 ? VectorType::kF32 : VectorType::kF16, static_cast<size_t>(n), ids);
  });
}

pmd_status cpu_knn_result(pmd_knn* knn, int64_t* ids, double* distances, pmd_call* call) noexcept {
  return guarded(call, [&] {
    require(knn != nullptr && knn->search != nullptr && ids != nullptr && distances != nullptr,
            "k-NN result needs a search handle and outputs");
    knn->search->result(ids, distances);
  });
}

void cpu_knn_free(pmd_knn* knn) noexcept {
  if (knn == nullptr) return;
  delete knn->search;
  delete knn;
}

void cpu_release_cached() noexcept {}

const pmd_compute_api kCpuApi = {
    PMD_COMPUTE_ABI_VERSION, sizeof(pmd_compute_api), "cpu", cpu_open_device, cpu_device_info, cpu_kmeans_train,
    cpu_assign_nearest,      cpu_pq_train,            cpu_pq_encode, cpu_knn_begin,  cpu_knn_add,     cpu_knn_result,
    cpu_knn_free,            cpu_release_cached,
};

}  // namespace

const pmd_compute_api* cpu_compute_api() { return &kCpuApi; }

const char* status_name(pmd_status status) {
  switch (status) {
    case PMD_OK: return "ok";
    case PMD_INVALID_ARGUMENT: return "invalid argument";
    case PMD_UNSUPPORTED: return "not supported";
    case PMD_NO_DEVICE: return "no device";
    case PMD_OUT_OF_MEMORY: return "out of memory";
    case PMD_INTERRUPTED: return "interrupted";
    case PMD_DEVICE_ERROR: return "device error";
    case PMD_INTERNAL: return "internal error";
  }
  return "unknown status";
}

BackendCall::BackendCall(const ComputeContext& ctx) : ctx_(&ctx) {
  std::memset(&call_, 0, sizeof call_);
  call_.struct_size = sizeof call_;
  call_.threads = ctx.threads;
  call_.interrupted = [](void* arg) -> int { return static_cast<const ComputeContext*>(arg)->interrupt.pending(); };
  call_.interrupt_arg = const_cast<ComputeContext*>(ctx_);
  call_.progress = [](void* arg, int32_t phase, int64_t done, int64_t total) {
    static_cast<const ComputeContext*>(arg)->report(static_cast<ComputePhase>(phase), done, total);
  };
  call_.progress_arg = const_cast<ComputeContext*>(ctx_);
}

void throw_if_failed(pmd_status status, const pmd_call& call, const char* what) {
  if (status == PMD_OK) return;
  if (status == PMD_INTERRUPTED) throw Interrupted();
  const std::string message = call.message[0] ? call.message : status_name(status);
  switch (status) {
    case PMD_INVALID_ARGUMENT: throw Error(ErrorKind::kInvalidParameter, message);
    case PMD_UNSUPPORTED: throw Error(ErrorKind::kFeatureNotSupported, message);
    case PMD_OUT_OF_MEMORY: throw Error(ErrorKind::kOutOfMemory, message);
    default: break;
  }
  throw Error(ErrorKind::kInternal, std::string(what) + " failed: " + message);
}

}  // namespace piramid
