// attention → Promise<void>.
#include <memory>
#include <string>
#include <vector>

#include "bind/register.h"
#include "napi_util.h"
#include "ops/attention.h"

namespace ctl {
namespace {

// attention(qkv, out, n, t, d, heads, causal)
Napi::Value attention_js(const Napi::CallbackInfo& info) {
  Args args(info, "attention", 7);
  size_t n = args.size(2, "n"), t = args.size(3, "t"), d = args.size(4, "d", 1), heads = args.size(5, "heads", 1);
  bool causal = args.boolean(6, "causal");
  if (d % heads != 0) args.fail("heads", "must divide d = " + std::to_string(d) + ", got " + std::to_string(heads));
  auto qkv = args.array<float>(0, "qkv", checked_product("attention", {n, t, 3 * d}));
  auto out = args.array<float>(1, "out", checked_product("attention", {n, t, d}));
  const float* qp = qkv.data;
  float* yp = out.data;
  double work = 2.0 * double(n) * double(t) * double(t) * double(d);
  return run_job(args, work, [=] { attention(n, t, d, heads, causal, qp, yp); }, {qkv.object, out.object});
}

}  // namespace

void register_attention(Napi::Env env, Napi::Object exports) {
  export_function(env, exports, "attention", attention_js);
}

}  // namespace ctl
