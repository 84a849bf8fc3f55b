// CPU feature detection: CPUID for what the core implements, XGETBV for which register state the OS
// saves on a context switch (YMM for AVX2, opmask + ZMM for AVX-512); x86-64 only, elsewhere generic.
#include "runtime/cpu.h"

#include <atomic>
#include <cstdlib>
#include <stdexcept>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define CTL_CPU_X86 1
#endif

namespace ctl {
namespace {

#ifdef CTL_CPU_X86
// XCR0: the state components the OS has enabled (bit 1 SSE, 2 AVX, 5–7 opmask/ZMM_Hi256/Hi16_ZMM).
unsigned long long xcr0() {
  unsigned eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<unsigned long long>(edx) << 32) | eax;
}

CpuFeatures detect() {
  CpuFeatures f;
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  const bool fma = c & (1u << 12), osxsave = c & (1u << 27), avx = c & (1u << 28), f16c = c & (1u << 29);
  if (!osxsave || !avx) return f;
  const unsigned long long x = xcr0();
  const bool ymm_state = (x & 0x6) == 0x6, zmm_state = (x & 0xe6) == 0xe6;
  if (!ymm_state || !__get_cpuid_count(7, 0, &a, &b, &c, &d)) return f;
  const bool avx2 = b & (1u << 5);
  const bool avx512f = b & (1u << 16), dq = b & (1u << 17), bw = b & (1u << 30), vl = b & (1u << 31);
  const bool fp16 = d & (1u << 23), amx_bf16 = d & (1u << 22), amx_tile = d & (1u << 24);
  f.f16c = f16c;
  f.avx2_fma = avx2 && fma;
  f.avx512 = f.avx2_fma && zmm_state && avx512f && dq && bw && vl;
  f.avx512_fp16 = f.avx512 && fp16;
  f.amx_bf16 = f.avx512 && amx_bf16 && amx_tile && (x & 0x60000) == 0x60000;  // XTILECFG + XTILEDATA
  if (f.avx512 && __get_cpuid_count(7, 1, &a, &b, &c, &d)) f.avx512_bf16 = a & (1u << 5);
  return f;
}
#else
CpuFeatures detect() { return {}; }
#endif

struct Choice {
  Isa isa;
  std::string error;
};

Choice choose() {
  Isa best = cpu_best_isa();
  const char* env = std::getenv("CTLKIT_ISA");
  if (env == nullptr || *env == '\0') return {best, ""};
  Isa want;
  if (!parse_isa(env, &want))
    return {best, std::string("CTLKIT_ISA=") + env + ": expected avx512, avx2 or generic"};
  if (want > best)
    return {best, std::string("CTLKIT_ISA=") + env + ": this CPU (or its OS) supports up to " + isa_name(best)};
  return {want, ""};
}

const Choice& choice() {
  static const Choice c = choose();
  return c;
}

std::atomic<int> active{-1};  // −1: chosen_isa() not read yet

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures f = detect();
  return f;
}

Isa cpu_best_isa() {
  const CpuFeatures& f = cpu_features();
  return f.avx512 ? Isa::avx512 : f.avx2_fma ? Isa::avx2 : Isa::generic;
}

Isa chosen_isa(std::string* error) {
  if (error) *error = choice().error;
  return choice().isa;
}

Isa active_isa() {
  int a = active.load(std::memory_order_relaxed);
  if (a < 0) {
    a = static_cast<int>(chosen_isa());
    active.store(a, std::memory_order_relaxed);
  }
  return static_cast<Isa>(a);
}

void set_active_isa(Isa isa) {
  if (isa > cpu_best_isa())
    throw std::runtime_error(std::string("setIsa: this CPU (or its OS) supports up to ") + isa_name(cpu_best_isa()) +
                             ", not " + isa_name(isa));
  active.store(static_cast<int>(isa));
}

void set_simd_enabled(bool enabled) { active.store(static_cast<int>(enabled ? chosen_isa() : Isa::generic)); }

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::avx512: return "avx512";
    case Isa::avx2: return "avx2";
    default: return "generic";
  }
}

bool parse_isa(const std::string& name, Isa* out) {
  for (Isa i : {Isa::generic, Isa::avx2, Isa::avx512})
    if (name == isa_name(i)) {
      *out = i;
      return true;
    }
  return false;
}

}  // namespace ctl
