#include "piramid/parallel.h"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include <pthread.h>

namespace piramid {

int worker_count(int requested, size_t items) {
  int n = requested > 0 ? requested : static_cast<int>(std::thread::hardware_concurrency());
  if (n < 1) n = 1;
  if (items < static_cast<size_t>(n)) n = std::max<int>(1, static_cast<int>(items));
  return n;
}

namespace {

// Blocks every signal in the calling thread; threads created afterwards inherit the mask.
class BlockAllSignals {
 public:
  BlockAllSignals() {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &saved_);
  }
  ~BlockAllSignals() { pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }

 private:
  sigset_t saved_;
};

}  // namespace

void parallel_for(size_t n, int threads, size_t chunk,
                  const std::function<void(size_t begin, size_t end, int worker)>& body,
                  const InterruptCheck& interrupt) {
  if (n == 0) return;
  chunk = std::max<size_t>(1, chunk);
  threads = std::max(1, threads);
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  std::exception_ptr failure;
  std::mutex failure_mutex;

  auto run = [&](int worker) {
    try {
      for (;;) {
        if (stop.load(std::memory_order_relaxed)) return;
        const size_t begin = next.fetch_add(chunk);
        if (begin >= n) return;
        body(begin, std::min(n, begin + chunk), worker);
        if (worker == 0 && interrupt.pending()) {
          stop = true;  // before the (slow) throw, so the other workers stop at their next chunk
          throw Interrupted();
        }
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(failure_mutex);
      if (!failure) failure = std::current_exception();
      stop = true;
    }
  };

  std::vector<std::thread> pool;
  {
    // Workers start with every signal blocked; the caller's mask is restored before it does any work.
    BlockAllSignals blocked;
    for (int w = 1; w < threads; ++w) pool.emplace_back(run, w);
  }
  run(0);
  for (std::thread& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace piramid
