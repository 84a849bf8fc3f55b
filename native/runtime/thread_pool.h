// A persistent pool of worker threads with a blocking parallel_for over index ranges.
#pragma once
#include <cstddef>
#include <functional>

namespace ctl {

// Number of threads parallel_for uses (the caller included): hardware_concurrency, or the
// environment variable CTLKIT_NUM_THREADS when it is a positive integer.
size_t num_threads();

// Threads a parallel_for from this thread would use now: 1 inside a pool task or an InlineScope
// (such calls run inline), else num_threads(). Kernels size their work split with it.
size_t usable_threads();

// Calls fn(begin, end) on disjoint chunks covering [0, n), at least `grain` indices each (the
// last may be shorter), spread over the pool; returns when all chunks are done. Calls from inside
// a pool task run inline (no nested parallelism); concurrent callers take turns. The first
// exception a chunk throws is rethrown here after the other chunks finish.
void parallel_for(size_t n, size_t grain, const std::function<void(size_t, size_t)>& fn);

// While one is alive, parallel_for on this thread runs inline: small calls on the JS main thread
// use it so they never wait for the pool while a large job holds it.
class InlineScope {
 public:
  InlineScope();
  ~InlineScope();
  InlineScope(const InlineScope&) = delete;
  InlineScope& operator=(const InlineScope&) = delete;

 private:
  bool outer_;
};

}  // namespace ctl
