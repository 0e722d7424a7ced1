#include "piramid/error_probe.h"

#include "piramid/error.h"

#include <atomic>
#include <new>
#include <stdexcept>
#include <vector>

namespace piramid {
namespace {

std::atomic<int> g_live_probes{0};

class Probe {
 public:
  Probe() : payload_(1024, 0.5f) { ++g_live_probes; }
  ~Probe() { --g_live_probes; }
  Probe(const Probe&) = delete;
  Probe& operator=(const Probe&) = delete;

 private:
  std::vector<float> payload_;
};

void fail_now(const std::string& kind, const std::function<void()>& callback) {
  if (kind == "none") return;
  if (kind == "invalid")
    throw Error(ErrorKind::kInvalidParameter, "error probe: invalid parameter raised deep in the core",
                "The probe threw piramid::Error.", "This error was requested; nothing is wrong.");
  if (kind == "bad_alloc") throw std::bad_alloc();
  if (kind == "runtime") throw std::runtime_error("error probe: std::runtime_error raised deep in the core");
  if (kind == "integer") throw 42;
  if (kind == "callback") {
    callback();
    return;
  }
  throw Error(ErrorKind::kInvalidParameter, "unknown error probe kind \"" + kind + "\"", {},
              "Use one of: none, invalid, bad_alloc, runtime, integer, callback.");
}

}  // namespace

int live_error_probes() { return g_live_probes.load(); }

void fail_from_depth(const std::string& kind, int depth, const std::function<void()>& callback) {
  Probe probe;
  if (depth <= 1) {
    fail_now(kind, callback);
    return;
  }
  fail_from_depth(kind, depth - 1, callback);
}

}  // namespace piramid
