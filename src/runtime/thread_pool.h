// A fixed pool of worker threads that run one function on every thread and wait for all (fork-join, ggml
// style). Ops split their work into disjoint slices by thread index, so each output is computed by exactly
// one thread in a fixed order and results do not depend on the thread count.
#pragma once

#include <atomic>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace bnnkit::runtime {

class ThreadPool {
 public:
  // `threads` includes the calling thread; threads - 1 workers are started.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls fn(i, n) for i in [0, n), n <= size(), concurrently (the caller runs i = 0) and returns when all
  // calls have returned. The first exception thrown by any call is rethrown here.
  void run(int n, const std::function<void(int, int)>& fn);

 private:
  void worker_loop(int index);

  // Workers spin briefly on generation_ before blocking on start_cv_, and run() spins on pending_ before
  // blocking on done_cv_ (thread_pool.cc), so back-to-back ops do not pay a sleep and wake-up each.
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable start_cv_, done_cv_;
  const std::function<void(int, int)>* job_ = nullptr;
  int job_threads_ = 0;
  std::atomic<long> generation_{0};
  std::atomic<int> pending_{0};  // workers that have not yet finished (or skipped) the current generation
  std::atomic<bool> stop_{false};
  std::exception_ptr error_;  // guarded by mu_
};

// The slice [begin, end) of `total` items that part `i` of `n` gets: contiguous and as equal as possible.
inline void slice(int64_t total, int i, int n, int64_t& begin, int64_t& end) {
  begin = total * i / n;
  end = total * (i + 1) / n;
}

}  // namespace bnnkit::runtime
