// relu, gelu, quickGelu, add → Promise<void>.
#include "bind/pointwise.h"
#include "bind/register.h"
#include "ops/elementwise.h"

namespace ctl {
namespace {

// relu(x, out)
Napi::Value relu_js(const Napi::CallbackInfo& info) {
  Args args(info, "relu", 2);
  return unary_job(args, 1.0, [](size_t n, const float* x, float* y) { relu(n, x, y); });
}

// gelu(x, out, tanhApprox)
Napi::Value gelu_js(const Napi::CallbackInfo& info) {
  Args args(info, "gelu", 3);
  bool t = args.boolean(2, "tanhApprox");
  return unary_job(args, 16.0, [t](size_t n, const float* x, float* y) { gelu(n, x, t, y); });
}

// quickGelu(x, out)
Napi::Value quick_gelu_js(const Napi::CallbackInfo& info) {
  Args args(info, "quickGelu", 2);
  return unary_job(args, 8.0, [](size_t n, const float* x, float* y) { quick_gelu(n, x, y); });
}

// add(a, b, out): b repeats over a (b's shape is a suffix of a's)
Napi::Value add_js(const Napi::CallbackInfo& info) {
  Args args(info, "add", 3);
  return suffix_job(args, add_suffix);
}

}  // namespace

void register_elementwise(Napi::Env env, Napi::Object exports) {
  export_function(env, exports, "relu", relu_js);
  export_function(env, exports, "gelu", gelu_js);
  export_function(env, exports, "quickGelu", quick_gelu_js);
  export_function(env, exports, "add", add_js);
}

}  // namespace ctl
