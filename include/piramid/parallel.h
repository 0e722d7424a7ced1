// Data-parallel loops on worker threads (DESIGN.md section 3.6): workers do pure computation, block every
// signal when they start (so Postgres' signal handlers run only on the main thread), never call Postgres,
// and stop early when the interrupt check fires. Exceptions thrown by a worker are rethrown in the caller.
#pragma once

#include "piramid/interrupt.h"

#include <cstddef>
#include <functional>

namespace piramid {

// Number of worker threads to use for `requested` (0 = one per CPU core), never more than `items`.
int worker_count(int requested, size_t items);

// Calls body(begin, end, worker) on `threads` threads over [0, n) in chunks of `chunk` items taken in
// order, so items finish roughly in order. The calling thread is worker 0 and also polls `interrupt`
// between chunks; once it fires (or a worker throws) no new chunks start and the error is rethrown here.
void parallel_for(size_t n, int threads, size_t chunk,
                  const std::function<void(size_t begin, size_t end, int worker)>& body,
                  const InterruptCheck& interrupt = InterruptCheck());

}  // namespace piramid
