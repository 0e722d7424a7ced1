// C++ side of the compute backend interface (backend_api.h): the CPU implementation of the table, and
// helpers for callers that fill a pmd_call from a ComputeContext and turn a failed status into an Error.
#pragma once

#include "piramid/compute/backend_api.h"
#include "piramid/compute/context.h"
#include "piramid/error.h"

namespace piramid {

// The CPU backend: the core's k-means, PQ and exact k-NN behind the same table as the GPU library.
const pmd_compute_api* cpu_compute_api();

// "ok", "invalid argument", ... for messages and piramid_gpu_info().
const char* status_name(pmd_status status);

// A pmd_call whose callbacks forward to a ComputeContext (which must outlive it).
class BackendCall {
 public:
  explicit BackendCall(const ComputeContext& ctx);
  pmd_call* get() { return &call_; }
  const char* message() const { return call_.message; }

 private:
  pmd_call call_;
  const ComputeContext* ctx_;
};

// Throws the Error (or Interrupted) a failed status stands for, with the backend's message; returns on PMD_OK.
void throw_if_failed(pmd_status status, const pmd_call& call, const char* what);

}  // namespace piramid
