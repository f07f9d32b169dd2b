#include "runtime/thread_pool.h"

#include <thread>

namespace bnnkit::runtime {

namespace {

// One short busy-wait step: PAUSE on x86 (lets the sibling hyperthread run, saves power).
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

// How long a thread spins before it blocks on a condition variable: long enough to cover the gap between two
// ops of one run() (so a worker is awake when the next op starts, instead of paying a futex wake-up of tens
// of microseconds per op), short enough not to burn a core that another process needs. ~4000 PAUSEs is
// ~50-250 us depending on the CPU's PAUSE latency.
constexpr int kSpins = 4096;

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
    for (int spin = 0; gen == seen && !stop_.load(std::memory_order_acquire); ++spin) {
      if (spin < kSpins) {
        cpu_relax();
      } else {
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
  for (int spin = 0; pending_.load(std::memory_order_acquire) != 0; ++spin) {
    if (spin < kSpins) {
      cpu_relax();
    } else {
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
