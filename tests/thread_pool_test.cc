// The runtime's fork-join thread pool: every part runs exactly once per run(), only parts [0, n) run, errors
// reach the caller, and it survives many back-to-back runs of changing width and idle periods long enough for
// the workers to stop spinning and block.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "runtime/thread_pool.h"

namespace bnnkit::runtime {
namespace {

TEST(ThreadPool, EveryPartRunsOncePerRun) {
  for (int size = 1; size <= 5; ++size) {
    ThreadPool pool(size);
    ASSERT_EQ(pool.size(), size);
    std::vector<std::atomic<int>> hits(static_cast<size_t>(size));
    for (int it = 0; it < 2000; ++it) {
      const int n = 1 + it % size;
      pool.run(n, [&](int i, int parts) {
        EXPECT_EQ(parts, n);
        hits[static_cast<size_t>(i)].fetch_add(1, std::memory_order_relaxed);
      });
    }
    // Part i runs in every run with n > i.
    for (int i = 0; i < size; ++i) {
      int want = 0;
      for (int it = 0; it < 2000; ++it) want += i < 1 + it % size;
      EXPECT_EQ(hits[static_cast<size_t>(i)].load(), want) << "size " << size << ", part " << i;
    }
  }
}

TEST(ThreadPool, RunReturnsOnlyAfterEveryPart) {
  ThreadPool pool(3);
  for (int it = 0; it < 500; ++it) {
    std::vector<int> out(3, 0);
    pool.run(3, [&](int i, int) {
      if (i == 2 && it % 50 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
      out[static_cast<size_t>(i)] = it + i;
    });
    for (int i = 0; i < 3; ++i) ASSERT_EQ(out[static_cast<size_t>(i)], it + i);
  }
}

TEST(ThreadPool, ErrorsReachTheCallerAndThePoolGoesOn) {
  ThreadPool pool(3);
  EXPECT_THROW(pool.run(3,
                        [](int i, int) {
                          if (i == 2) throw std::runtime_error("worker failed");
                        }),
               std::runtime_error);
  EXPECT_THROW(pool.run(3,
                        [](int i, int) {
                          if (i == 0) throw std::invalid_argument("caller failed");
                        }),
               std::invalid_argument);
  std::atomic<int> ran{0};
  pool.run(3, [&](int, int) { ran.fetch_add(1); });
  EXPECT_EQ(ran.load(), 3);
}

// Idle long enough for the workers to stop spinning and block, then run again (and destroy while blocked).
TEST(ThreadPool, WakesFromBlockedWorkers) {
  ThreadPool pool(4);
  for (int round = 0; round < 3; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::atomic<int> ran{0};
    pool.run(4, [&](int, int) { ran.fetch_add(1); });
    EXPECT_EQ(ran.load(), 4) << "round " << round;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

}  // namespace
}  // namespace bnnkit::runtime
