// Run-time ISA dispatch: the widest instruction set the CPU and the OS support, chosen once from
// CPUID and XGETBV, overridable by CTLKIT_ISA=avx512|avx2|generic; kernels pick their path from here.
#pragma once
#include <string>

namespace ctl {

// One code path per level; a level implies the ones below it.
enum class Isa { generic = 0, avx2 = 1, avx512 = 2 };

struct CpuFeatures {
  bool avx2_fma = false;  // AVX2 + FMA, YMM state enabled by the OS
  bool avx512 = false;    // AVX-512 F/BW/VL/DQ, opmask + ZMM state enabled by the OS
  bool avx512_bf16 = false, avx512_fp16 = false, amx_bf16 = false, f16c = false;
};

// What the CPU and OS offer (detected once).
const CpuFeatures& cpu_features();
// The widest level the CPU supports.
Isa cpu_best_isa();
// The level chosen at load: CTLKIT_ISA when set, else cpu_best_isa(). Empty `error` when fine, else
// a one-line reason (unknown value, or a level this CPU lacks); the addon refuses to load then.
Isa chosen_isa(std::string* error = nullptr);
// The level the kernels use now (chosen_isa(), or what set_active_isa / set_simd_enabled set).
Isa active_isa();
// Forces a level for tests and benches; throws std::runtime_error when the CPU lacks it.
void set_active_isa(Isa isa);
const char* isa_name(Isa isa);
// "avx512" → Isa::avx512 etc.; false when the name is unknown.
bool parse_isa(const std::string& name, Isa* out);

// True when the active level is AVX2 or wider (the AVX2/FMA kernels may run).
inline bool use_avx2_fma() { return active_isa() >= Isa::avx2; }
inline bool use_avx512() { return active_isa() >= Isa::avx512; }
// Whether the CPU itself has AVX2 and FMA.
inline bool cpu_has_avx2_fma() { return cpu_features().avx2_fma; }
// false: the portable fallback (tests compare with it); true: back to chosen_isa().
void set_simd_enabled(bool enabled);

}  // namespace ctl
