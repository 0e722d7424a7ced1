// A deliberate failure deep inside the core, to prove the C++/Postgres error boundary works on a live
// server: piramid_check_error_boundary() in SQL, and the unit tests.
#pragma once

#include <functional>
#include <string>

namespace piramid {

// Objects with destructors on the frames between the throw and the entry point; unwinding must destroy
// every one of them.
int live_error_probes();

// Recurses `depth` frames, each owning a probe object and heap memory, then fails according to `kind`:
// "invalid" (piramid::Error, invalid parameter), "bad_alloc", "runtime" (std::runtime_error), "integer"
// (a thrown int), "callback" (calls `callback`, which the glue makes raise a Postgres error), or "none"
// (returns normally). Any other kind throws piramid::Error naming the valid kinds.
void fail_from_depth(const std::string& kind, int depth, const std::function<void()>& callback);

}  // namespace piramid
