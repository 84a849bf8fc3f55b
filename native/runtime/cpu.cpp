// CPU feature detection through the compiler's cpuid builtins (x86-64 only; elsewhere: none).
#include "runtime/cpu.h"

#include <atomic>

namespace ctl {
namespace {
std::atomic<bool> simd_enabled{true};
}

bool cpu_has_avx2_fma() {
#if defined(__x86_64__) || defined(__i386__)
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
#else
  return false;
#endif
}

bool use_avx2_fma() { return simd_enabled.load(std::memory_order_relaxed) && cpu_has_avx2_fma(); }

void set_simd_enabled(bool enabled) { simd_enabled.store(enabled); }

}  // namespace ctl
