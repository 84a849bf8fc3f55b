// version(), numThreads(), cpuFeatures(), setIsa(name), setSimd(enabled), setWinograd(enabled), setCompute(mode). (Machine ceilings: ops/ceilings.cpp.)
#include "bind/register.h"
#include "napi_util.h"
#include "ops/gemm_bf16.h"
#include "ops/winograd.h"
#include "runtime/cpu.h"
#include "runtime/thread_pool.h"

namespace ctl {
namespace {

Napi::Value version(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), "0.1.0"); }

Napi::Value num_threads_js(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(num_threads()));
}

// cpuFeatures() → {isa, chosenIsa, bestIsa, isas, avx2Fma, avx512, avx512Bf16, avx512Fp16, amxBf16, f16c, simd}
Napi::Value cpu_features_js(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const CpuFeatures& f = cpu_features();
  Napi::Object o = Napi::Object::New(env);
  o.Set("isa", isa_name(active_isa()));
  o.Set("chosenIsa", isa_name(chosen_isa()));
  o.Set("bestIsa", isa_name(cpu_best_isa()));
  Napi::Array isas = Napi::Array::New(env);
  for (Isa i : {Isa::avx512, Isa::avx2, Isa::generic})
    if (i <= cpu_best_isa()) isas.Set(isas.Length(), isa_name(i));
  o.Set("isas", isas);
  o.Set("avx2Fma", f.avx2_fma);
  o.Set("avx512", f.avx512);
  o.Set("avx512Bf16", f.avx512_bf16);
  o.Set("avx512Fp16", f.avx512_fp16);
  o.Set("amxBf16", f.amx_bf16);
  o.Set("f16c", f.f16c);
  o.Set("simd", use_avx2_fma());
  return o;
}

// setIsa('avx512' | 'avx2' | 'generic'): the kernels' level from now on (tests, benches).
Napi::Value set_isa(const Napi::CallbackInfo& info) {
  Args args(info, "setIsa", 1);
  if (!info[0].IsString()) args.fail("isa", "must be a string ('avx512', 'avx2' or 'generic')");
  std::string name = info[0].As<Napi::String>().Utf8Value();
  Isa isa;
  if (!parse_isa(name, &isa)) throw Napi::Error::New(info.Env(), "setIsa: isa '" + name + "': expected avx512, avx2 or generic");
  try {
    set_active_isa(isa);
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
  return info.Env().Undefined();
}

Napi::Value set_simd(const Napi::CallbackInfo& info) {
  Args args(info, "setSimd", 1);
  set_simd_enabled(args.boolean(0, "enabled"));
  return info.Env().Undefined();
}

Napi::Value set_winograd(const Napi::CallbackInfo& info) {
  Args args(info, "setWinograd", 1);
  set_winograd_enabled(args.boolean(0, "enabled"));
  return info.Env().Undefined();
}

// setCompute('f32' | 'bf16'): the mode gemm() runs in from now on (ops/gemm_bf16.h).
Napi::Value set_compute_js(const Napi::CallbackInfo& info) {
  Args args(info, "setCompute", 1);
  std::string name = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  if (name != "f32" && name != "bf16") args.fail("mode", "must be 'f32' or 'bf16'");
  try {
    set_compute(name == "bf16" ? Compute::bf16 : Compute::f32);
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), "setCompute('" + name + "'): " + e.what());
  }
  return info.Env().Undefined();
}

}  // namespace

void register_runtime(Napi::Env env, Napi::Object exports) {
  std::string isa_error;
  chosen_isa(&isa_error);  // CTLKIT_ISA asks for a level this CPU lacks, or is misspelt: refuse to load
  if (!isa_error.empty()) throw Napi::Error::New(env, isa_error);
  export_function(env, exports, "version", version);
  export_function(env, exports, "numThreads", num_threads_js);
  export_function(env, exports, "cpuFeatures", cpu_features_js);
  export_function(env, exports, "setIsa", set_isa);
  export_function(env, exports, "setSimd", set_simd);
  export_function(env, exports, "setWinograd", set_winograd);
  export_function(env, exports, "setCompute", set_compute_js);
}

}  // namespace ctl
