// gemm(a, b, bias | null, out, m, n, k, transB) → Promise<void>: out = a·b (+ bias per column).
#include "bind/register.h"
#include "napi_util.h"
#include "ops/gemm.h"

namespace ctl {
namespace {

Napi::Value gemm_js(const Napi::CallbackInfo& info) {
  Args args(info, "gemm", 8);
  size_t m = args.size(4, "m"), n = args.size(5, "n"), k = args.size(6, "k");
  bool trans_b = args.boolean(7, "transB");
  auto a = args.array<float>(0, "a", checked_product("gemm", {m, k}));
  auto b = args.array<float>(1, "b", checked_product("gemm", {k, n}));
  auto bias = args.optional_array<float>(2, "bias", n);
  auto out = args.array<float>(3, "out", checked_product("gemm", {m, n}));
  GemmArgs g{m, n, k, a.data, k, b.data, trans_b ? k : n, trans_b, out.data, n, false};
  g.bias = bias.data;
  return run_job(args, double(m) * n * k, [g] { gemm(g); }, {a.object, b.object, out.object, bias.object});
}

}  // namespace

void register_gemm(Napi::Env env, Napi::Object exports) { export_function(env, exports, "gemm", gemm_js); }

}  // namespace ctl
