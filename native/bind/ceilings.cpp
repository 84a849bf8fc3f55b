// ceilingsFmaPeak(threads, iterations, isa), ceilingsCopy(bytes, threads, repeats): the bench's machine
// ceilings (kernels in ops/ceilings.cpp), always measured off the main thread.
#include <memory>

#include "bind/register.h"
#include "napi_util.h"
#include "ops/ceilings.h"

namespace ctl {
namespace {

// ceilingsFmaPeak(threads, iterations, isa) → Promise<{seconds, flops, isa}> (isa: 'avx512' | 'avx2' | 'generic')
Napi::Value fma_peak_js(const Napi::CallbackInfo& info) {
  Args args(info, "ceilingsFmaPeak", 3);
  size_t threads = static_cast<size_t>(args.integer(0, "threads", 1, 1024));
  size_t iterations = static_cast<size_t>(args.integer(1, "iterations", 1, int64_t(1e12)));
  Isa isa;
  if (!info[2].IsString() || !parse_isa(info[2].As<Napi::String>().Utf8Value(), &isa))
    args.fail("isa", "must be 'avx512', 'avx2' or 'generic'");
  if (isa > cpu_best_isa()) args.fail("isa", std::string("asks for ") + isa_name(isa) + " but this CPU supports up to " + isa_name(cpu_best_isa()));
  auto result = std::make_shared<FmaPeakResult>();
  return queue_job(args, [=] { *result = fma_peak(threads, iterations, isa); }, {}, [=](Napi::Env env) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("seconds", result->seconds);
    o.Set("flops", result->flops);
    o.Set("isa", result->isa);
    return o;
  });
}

// ceilingsCopy(bytes, threads, repeats) → Promise<{seconds: number[], bytesMoved}> (bytesMoved = 2·bytes)
Napi::Value copy_js(const Napi::CallbackInfo& info) {
  Args args(info, "ceilingsCopy", 3);
  size_t bytes = static_cast<size_t>(args.integer(0, "bytes", 1, int64_t(1) << 36));
  size_t threads = static_cast<size_t>(args.integer(1, "threads", 1, 1024));
  size_t repeats = static_cast<size_t>(args.integer(2, "repeats", 1, 1000000));
  auto seconds = std::make_shared<std::vector<double>>();
  return queue_job(args, [=] { *seconds = copy_bandwidth(bytes, threads, repeats); }, {}, [=](Napi::Env env) {
    Napi::Object o = Napi::Object::New(env);
    Napi::Array s = Napi::Array::New(env, seconds->size());
    for (size_t i = 0; i < seconds->size(); i++) s.Set(static_cast<uint32_t>(i), (*seconds)[i]);
    o.Set("seconds", s);
    o.Set("bytesMoved", 2.0 * static_cast<double>(bytes));
    return o;
  });
}

}  // namespace

void register_ceilings(Napi::Env env, Napi::Object exports) {
  export_function(env, exports, "ceilingsFmaPeak", fma_peak_js);
  export_function(env, exports, "ceilingsCopy", copy_js);
}

}  // namespace ctl
