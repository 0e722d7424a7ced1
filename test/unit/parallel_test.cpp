// parallel_for covers every item exactly once, propagates worker exceptions, stops on interrupt, and runs
// workers with every signal blocked.
#include "piramid/parallel.h"
#include "piramid/topk.h"

#include <gtest/gtest.h>

#include <thread>

#include <atomic>
#include <csignal>
#include <random>
#include <stdexcept>
#include <vector>

#include <pthread.h>

namespace piramid {
namespace {

TEST(ParallelFor, CoversEveryItemOnce) {
  std::vector<std::atomic<int>> seen(10007);
  parallel_for(seen.size(), 4, 13, [&](size_t b, size_t e, int) {
    for (size_t i = b; i < e; ++i) seen[i]++;
  });
  for (auto& s : seen) ASSERT_EQ(s.load(), 1);
}

TEST(ParallelFor, RethrowsWorkerErrors) {
  EXPECT_THROW(parallel_for(1000, 3, 10, [](size_t b, size_t, int) {
    if (b == 500) throw std::runtime_error("boom");
  }), std::runtime_error);
}

TEST(ParallelFor, StopsWhenInterrupted) {
  std::atomic<size_t> done{0};
  std::atomic<bool> flag{false};
  InterruptCheck check([](void* f) { return static_cast<std::atomic<bool>*>(f)->load(); }, &flag);
  // The calling thread (worker 0) polls the check; the other worker waits for the interrupt, and
  // parallel_for tells the workers to stop before it throws, so even on a loaded machine the other worker
  // cannot finish all the work between the interrupt and the stop.
  EXPECT_THROW(parallel_for(1000000, 2, 100, [&](size_t b, size_t e, int worker) {
    while (worker != 0 && !flag.load()) std::this_thread::yield();
    done += e - b;
    if (done > 1000) flag = true;
  }, check), Interrupted);
  EXPECT_LT(done.load(), 1000000u);
}

TEST(ParallelFor, WorkersBlockAllSignals) {
  std::atomic<int> unblocked{0};
  parallel_for(64, 4, 1, [&](size_t, size_t, int worker) {
    if (worker == 0) return;
    sigset_t mask;
    pthread_sigmask(SIG_BLOCK, nullptr, &mask);
    if (!sigismember(&mask, SIGINT) || !sigismember(&mask, SIGTERM)) unblocked++;
  });
  EXPECT_EQ(unblocked.load(), 0);
  sigset_t mask;
  pthread_sigmask(SIG_BLOCK, nullptr, &mask);
  EXPECT_FALSE(sigismember(&mask, SIGINT)) << "the caller's signal mask must be restored";
}

TEST(TopK, KeepsTheKSmallestInOrder) {
  std::mt19937 rng(1);
  std::vector<float> all;
  TopK<int> top(10);
  for (int i = 0; i < 1000; ++i) {
    const float d = std::uniform_real_distribution<float>(0, 1)(rng);
    all.push_back(d);
    top.push(d, i);
  }
  std::sort(all.begin(), all.end());
  auto kept = top.take_sorted();
  ASSERT_EQ(kept.size(), 10u);
  for (size_t i = 0; i < 10; ++i) EXPECT_EQ(kept[i].distance, all[i]);
}

}  // namespace
}  // namespace piramid
