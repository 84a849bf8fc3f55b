// relu, gelu, quickGelu, add → Promise<void>.
#include <string>

#include "bind/register.h"
#include "napi_util.h"
#include "ops/elementwise.h"

namespace ctl {
namespace {

// relu(x, out)
Napi::Value relu_js(const Napi::CallbackInfo& info) {
  Args args(info, "relu", 2);
  auto x = args.array<float>(0, "x");
  auto out = args.array<float>(1, "out", x.length);
  const float* xp = x.data;
  float* yp = out.data;
  size_t n = x.length;
  return run_job(args, double(n), [=] { relu(n, xp, yp); }, {x.object, out.object});
}

// gelu(x, out, tanhApprox)
Napi::Value gelu_js(const Napi::CallbackInfo& info) {
  Args args(info, "gelu", 3);
  auto x = args.array<float>(0, "x");
  auto out = args.array<float>(1, "out", x.length);
  bool t = args.boolean(2, "tanhApprox");
  const float* xp = x.data;
  float* yp = out.data;
  size_t n = x.length;
  return run_job(args, 16.0 * double(n), [=] { gelu(n, xp, t, yp); }, {x.object, out.object});
}

// quickGelu(x, out)
Napi::Value quick_gelu_js(const Napi::CallbackInfo& info) {
  Args args(info, "quickGelu", 2);
  auto x = args.array<float>(0, "x");
  auto out = args.array<float>(1, "out", x.length);
  const float* xp = x.data;
  float* yp = out.data;
  size_t n = x.length;
  return run_job(args, 8.0 * double(n), [=] { quick_gelu(n, xp, yp); }, {x.object, out.object});
}

// add(a, b, out): b repeats over a (b's shape is a suffix of a's)
Napi::Value add_js(const Napi::CallbackInfo& info) {
  Args args(info, "add", 3);
  auto a = args.array<float>(0, "a"), b = args.array<float>(1, "b");
  if (b.length == 0 ? a.length != 0 : a.length % b.length != 0)
    args.fail("b", "has " + std::to_string(b.length) + " elements, which does not divide a's " +
                       std::to_string(a.length));
  auto out = args.array<float>(2, "out", a.length);
  const float *ap = a.data, *bp = b.data;
  float* yp = out.data;
  size_t na = a.length, nb = b.length;
  return run_job(args, double(na), [=] { add_suffix(na, ap, nb, bp, yp); }, {a.object, b.object, out.object});
}

}  // namespace

void register_elementwise(Napi::Env env, Napi::Object exports) {
  export_function(env, exports, "relu", relu_js);
  export_function(env, exports, "gelu", gelu_js);
  export_function(env, exports, "quickGelu", quick_gelu_js);
  export_function(env, exports, "add", add_js);
}

}  // namespace ctl
