// Peak loop: 10 independent accumulator chains hide the FMA latency (4 cycles × 2 pipes).
#include "ops/peak.h"

#include <chrono>

#include "runtime/cpu.h"
#include "runtime/thread_pool.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace ctl {
namespace {

// a_i ← a_i·x + y for 10 chains, 8 lanes each; returns flops done
#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx2,fma"))) double chains_avx2(size_t iterations) {
  __m256 a[10];
  for (int i = 0; i < 10; i++) a[i] = _mm256_set1_ps(0.1f + 0.01f * float(i));  // distinct: no merged chains
  const __m256 x = _mm256_set1_ps(0.9999f), y = _mm256_set1_ps(0.0001f);
  for (size_t it = 0; it < iterations; it++)
    for (int i = 0; i < 10; i++) a[i] = _mm256_fmadd_ps(a[i], x, y);
  __m256 s = a[0];
  for (int i = 1; i < 10; i++) s = _mm256_add_ps(s, a[i]);
  volatile float sink = _mm256_cvtss_f32(s);
  (void)sink;
  return double(iterations) * 160.0;
}
#endif

// the same with scalar chains (portable fallback)
double chains_scalar(size_t iterations) {
  float a[10];
  for (int i = 0; i < 10; i++) a[i] = 0.1f + 0.01f * float(i);
  for (size_t it = 0; it < iterations; it++)
    for (int i = 0; i < 10; i++) a[i] = a[i] * 0.9999f + 0.0001f;
  float s = 0;
  for (float v : a) s += v;
  volatile float sink = s;
  (void)sink;
  return double(iterations) * 20.0;
}

double chains(size_t iterations) {
#if defined(__x86_64__) || defined(__i386__)
  if (use_avx2_fma()) return chains_avx2(iterations);
#endif
  return chains_scalar(iterations);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

void fma_peak(size_t iterations, double* single_thread, double* all_threads) {
  auto t0 = std::chrono::steady_clock::now();
  double flops = chains(iterations);
  *single_thread = flops / seconds_since(t0) / 1e9;
  size_t threads = num_threads();
  t0 = std::chrono::steady_clock::now();
  parallel_for(threads, 1, [&](size_t, size_t) { chains(iterations); });
  *all_threads = flops * double(threads) / seconds_since(t0) / 1e9;
}

}  // namespace ctl
