// version(), numThreads(), cpuFeatures(), setSimd(enabled), setWinograd(enabled). (Machine ceilings: ops/ceilings.cpp.)
#include "bind/register.h"
#include "napi_util.h"
#include "ops/winograd.h"
#include "runtime/cpu.h"
#include "runtime/thread_pool.h"

namespace ctl {
namespace {

Napi::Value version(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), "0.1.0"); }

Napi::Value num_threads_js(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(num_threads()));
}

Napi::Value cpu_features(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("avx2Fma", Napi::Boolean::New(info.Env(), cpu_has_avx2_fma()));
  o.Set("simd", Napi::Boolean::New(info.Env(), use_avx2_fma()));
  return o;
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

}  // namespace

void register_runtime(Napi::Env env, Napi::Object exports) {
  export_function(env, exports, "version", version);
  export_function(env, exports, "numThreads", num_threads_js);
  export_function(env, exports, "cpuFeatures", cpu_features);
  export_function(env, exports, "setSimd", set_simd);
  export_function(env, exports, "setWinograd", set_winograd);
}

}  // namespace ctl
