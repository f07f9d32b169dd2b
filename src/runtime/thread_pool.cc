#include "runtime/thread_pool.h"

#include <thread>

namespace bnnkit::runtime {

namespace {

// How a thread waits for a condition: first a short busy-wait (PAUSE), which covers the gap between two ops
// of one run() without a futex sleep and wake-up (tens of microseconds each in a VM); then yields, so that on
// an oversubscribed machine the thread being waited for gets the core (pure spinning there made 2 threads 5x
// slower than 1); then the caller blocks on the condition variable.
constexpr int kPauses = 256;
constexpr int kYields = 64;

// Returns true while the waiter should keep polling (spin phase); false: time to block.
inline bool keep_polling(int& step) {
  ++step;
  if (step <= kPauses) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
    return true;
  }
  if (step <= kPauses + kYields) {
    std::this_thread::yield();
    return true;
  }
  return false;
}

}  // namespace

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true, std::memory_order_release);
  }
  start_cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::worker_loop(int index) {
  long seen = 0;
  for (;;) {
    // Wait for a new generation: spin first, then block.
    long gen = generation_.load(std::memory_order_acquire);
    for (int step = 0; gen == seen && !stop_.load(std::memory_order_acquire);) {
      if (!keep_polling(step)) {
        std::unique_lock<std::mutex> lock(mu_);
        start_cv_.wait(lock, [&] {
          return stop_.load(std::memory_order_acquire) || generation_.load(std::memory_order_acquire) != seen;
        });
      }
      gen = generation_.load(std::memory_order_acquire);
    }
    if (stop_.load(std::memory_order_acquire)) return;
    seen = gen;
    // job_ and job_threads_ were written before the generation was published (release/acquire), and stay
    // until every worker, taking part or not, has counted itself off below: so no worker can read the next
    // run's job under this generation.
    const int n = job_threads_;
    if (index < n) {
      try {
        (*job_)(index, n);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu_);
        if (!error_) error_ = std::current_exception();
      }
    }
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      // The caller may be blocked (it spins first): wake it under the lock, so the wake-up cannot fall
      // between its check of pending_ and its wait.
      std::lock_guard<std::mutex> lock(mu_);
      done_cv_.notify_one();
    }
  }
}

void ThreadPool::run(int n, const std::function<void(int, int)>& fn) {
  if (n > size()) n = size();
  if (n <= 1) {
    fn(0, 1);
    return;
  }
  job_ = &fn;
  job_threads_ = n;
  error_ = nullptr;
  pending_.store(size() - 1, std::memory_order_relaxed);  // every worker acknowledges the generation
  generation_.fetch_add(1, std::memory_order_release);
  {
    // Workers that gave up spinning wait on start_cv_; taking the lock orders this notify after their check.
    std::lock_guard<std::mutex> lock(mu_);
  }
  start_cv_.notify_all();
  std::exception_ptr mine;
  try {
    fn(0, n);
  } catch (...) {
    mine = std::current_exception();
  }
  for (int step = 0; pending_.load(std::memory_order_acquire) != 0;) {
    if (!keep_polling(step)) {
      std::unique_lock<std::mutex> lock(mu_);
      done_cv_.wait(lock, [&] { return pending_.load(std::memory_order_acquire) == 0; });
    }
  }
  job_ = nullptr;
  if (mine) std::rethrow_exception(mine);
  std::lock_guard<std::mutex> lock(mu_);
  if (error_) std::rethrow_exception(error_);
}

}  // namespace bnnkit::runtime
