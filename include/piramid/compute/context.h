// What every long compute call takes besides its data: how many threads, how to notice a cancel, and
// whom to tell about progress. The glue fills it from Postgres (InterruptPending, pg_stat_progress_*).
#pragma once

#include "piramid/interrupt.h"

#include <cstdint>
#include <functional>

namespace piramid {

// The stage a progress report is about; `done` and `total` count what that stage counts.
enum class ComputePhase : int32_t {
  kKMeansInit = 1,     // k-means++ seeding: clusters chosen
  kKMeansIterate = 2,  // Lloyd iterations finished
  kAssign = 3,         // rows assigned to their nearest centroid
  kPqTrain = 4,        // PQ subspaces trained
  kPqEncode = 5,       // rows encoded
  kSearch = 6,         // base rows scanned by an exact k-NN search
};

struct ComputeContext {
  int threads = 0;  // worker threads; 0 = one per CPU core
  InterruptCheck interrupt;
  // Called only on the calling thread (so the glue may call Postgres from it), at most once per chunk.
  std::function<void(ComputePhase phase, int64_t done, int64_t total)> progress;

  void report(ComputePhase phase, int64_t done, int64_t total) const {
    if (progress) progress(phase, done, total);
  }
};

}  // namespace piramid
