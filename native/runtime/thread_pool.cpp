// Persistent worker threads: one job at a time, chunks handed out through an atomic counter.
#include "runtime/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace ctl {
namespace {

thread_local bool in_pool_task = false;

size_t threads_from_env() {
  const char* s = std::getenv("CTLKIT_NUM_THREADS");
  if (s != nullptr) {
    char* end = nullptr;
    long v = std::strtol(s, &end, 10);
    if (end != s && *end == '\0' && v > 0 && v <= 1024) return static_cast<size_t>(v);
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : hw;
}

class Pool {
 public:
  explicit Pool(size_t threads) : size_(threads) {
    for (size_t i = 1; i < threads; i++) workers_.emplace_back([this] { worker_loop(); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
  }
  size_t size() const { return size_; }

  void run(size_t n, size_t grain, const std::function<void(size_t, size_t)>& fn) {
    if (n == 0) return;
    grain = std::max<size_t>(grain, 1);
    size_t chunks = (n + grain - 1) / grain;
    if (chunks == 1 || size_ == 1 || in_pool_task) {
      InlineScope serial;  // nested calls inside fn stay inline too
      fn(0, n);
      return;
    }
    std::lock_guard<std::mutex> turn(job_mu_);  // one job at a time
    {
      std::lock_guard<std::mutex> lock(mu_);
      fn_ = &fn;
      n_ = n;
      grain_ = grain;
      chunks_ = chunks;
      next_.store(0);
      pending_ = workers_.size();
      error_ = nullptr;
      generation_++;
    }
    wake_.notify_all();
    work();
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [this] { return pending_ == 0; });
    fn_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  // Takes chunks until none is left; records the first exception.
  void work() {
    in_pool_task = true;
    for (;;) {
      size_t c = next_.fetch_add(1);
      if (c >= chunks_) break;
      size_t b = c * grain_, e = std::min(n_, b + grain_);
      try {
        (*fn_)(b, e);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu_);
        if (!error_) error_ = std::current_exception();
      }
    }
    in_pool_task = false;
  }

  void worker_loop() {
    size_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
      }
      work();
      std::lock_guard<std::mutex> lock(mu_);
      if (--pending_ == 0) done_.notify_one();
    }
  }

  size_t size_;
  std::vector<std::thread> workers_;
  std::mutex job_mu_, mu_;
  std::condition_variable wake_, done_;
  const std::function<void(size_t, size_t)>* fn_ = nullptr;
  size_t n_ = 0, grain_ = 1, chunks_ = 0, pending_ = 0, generation_ = 0;
  std::atomic<size_t> next_{0};
  std::exception_ptr error_;
  bool stop_ = false;
};

Pool& pool() {
  // Never destroyed: worker threads must not be joined during static destruction at exit.
  static Pool* p = new Pool(threads_from_env());
  return *p;
}

}  // namespace

size_t num_threads() { return pool().size(); }
size_t usable_threads() { return in_pool_task ? 1 : pool().size(); }

InlineScope::InlineScope() : outer_(in_pool_task) { in_pool_task = true; }
InlineScope::~InlineScope() { in_pool_task = outer_; }

void parallel_for(size_t n, size_t grain, const std::function<void(size_t, size_t)>& fn) {
  pool().run(n, grain, fn);
}

}  // namespace ctl
