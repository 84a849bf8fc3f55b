// Ceilings: an FMA peak loop per ISA level (AVX-512, AVX2/FMA in their own files; scalar here) and a multithreaded
// large memory copy, timed across all threads from the first start to the last end.
#include "ops/ceilings.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <stdexcept>
#include <thread>

#include "runtime/cpu.h"

#include "ops/ceilings_isa.h"

namespace ctl {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kChains = 12;
constexpr double kFlopsPerRoundScalar = 2.0 * kChains;

// acc_i = acc_i · m + a on 12 independent scalar chains (portable fallback).
float fma_loop_scalar(size_t iterations) {
  float c[kChains];
  for (int j = 0; j < kChains; j++) c[j] = 1.0f + 0.1f * static_cast<float>(j);
  for (size_t i = 0; i < iterations; i++)
    for (int j = 0; j < kChains; j++) c[j] = c[j] * 0.999999f + 1e-6f;
  float s = 0.0f;
  for (int j = 0; j < kChains; j++) s += c[j];
  return s;
}

// Runs body(t) on `threads` threads released together; returns last end − first start (seconds).
double run_timed(size_t threads, const std::function<void(size_t)>& body) {
  std::atomic<size_t> ready{0};
  std::atomic<bool> go{false};
  std::vector<Clock::time_point> start(threads), end(threads);
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (size_t t = 0; t < threads; t++) {
    pool.emplace_back([&, t] {
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      start[t] = Clock::now();
      body(t);
      end[t] = Clock::now();
    });
  }
  while (ready.load() < threads) std::this_thread::yield();
  go.store(true, std::memory_order_release);
  for (auto& th : pool) th.join();
  auto first = *std::min_element(start.begin(), start.end());
  auto last = *std::max_element(end.begin(), end.end());
  return std::chrono::duration<double>(last - first).count();
}

}  // namespace

FmaPeakResult fma_peak(size_t threads, size_t iterations, Isa isa) {
  if (isa > cpu_best_isa())  // the machine's ceilings, whatever setIsa says; never a level it lacks
    throw std::runtime_error(std::string("ceilingsFmaPeak: this CPU supports up to ") + isa_name(cpu_best_isa()) +
                             ", not " + isa_name(isa));
  std::vector<float> sink(threads);
  double seconds = run_timed(threads, [&](size_t t) {
#if defined(__x86_64__) || defined(__i386__)
    if (isa == Isa::avx512) return void(sink[t] = fma_loop_avx512(iterations));
    if (isa == Isa::avx2) return void(sink[t] = fma_loop_avx2(iterations));
#endif
    sink[t] = fma_loop_scalar(iterations);
  });
  // The sums are consumed so the loops cannot be removed; they stay finite by construction.
  float total = 0.0f;
  for (float s : sink) total += s;
  if (!(total == total)) throw std::runtime_error("ceilingsFmaPeak: the FMA chains produced NaN");
  double lanes = isa == Isa::avx512 ? 16.0 : isa == Isa::avx2 ? 8.0 : 1.0;
  return {seconds, kFlopsPerRoundScalar * lanes * static_cast<double>(iterations) * static_cast<double>(threads),
          isa_name(isa)};
}

std::vector<double> copy_bandwidth(size_t bytes, size_t threads, size_t repeats) {
  struct Free {
    void operator()(char* p) const { std::free(p); }
  };
  const size_t aligned = (bytes + 63) / 64 * 64;
  std::unique_ptr<char, Free> src(static_cast<char*>(std::aligned_alloc(64, aligned)));
  std::unique_ptr<char, Free> dst(static_cast<char*>(std::aligned_alloc(64, aligned)));
  if (!src || !dst) throw std::runtime_error("ceilingsCopy: could not allocate 2 × " + std::to_string(bytes) + " bytes");
  const size_t chunk = (bytes / threads + 63) / 64 * 64;
  auto range = [&](size_t t, size_t* b, size_t* e) {
    *b = std::min(bytes, t * chunk);
    *e = t + 1 == threads ? bytes : std::min(bytes, (t + 1) * chunk);
  };
  // First touch by the thread that copies the chunk later (page faults kept out of the timing).
  run_timed(threads, [&](size_t t) {
    size_t b, e;
    range(t, &b, &e);
    std::memset(src.get() + b, static_cast<int>(t + 1), e - b);
    std::memset(dst.get() + b, 0, e - b);
  });
  std::vector<double> seconds;
  for (size_t r = 0; r < repeats; r++) {
    seconds.push_back(run_timed(threads, [&](size_t t) {
      size_t b, e;
      range(t, &b, &e);
      std::memcpy(dst.get() + b, src.get() + b, e - b);
    }));
  }
  if (bytes > 0 && dst.get()[bytes - 1] != src.get()[bytes - 1])
    throw std::runtime_error("ceilingsCopy: the copy did not arrive");
  return seconds;
}

}  // namespace ctl
