// layerNorm, batchNorm, l2Normalize → Promise<void>.
#include <string>

#include "bind/register.h"
#include "napi_util.h"
#include "ops/norm.h"

namespace ctl {
namespace {

// layerNorm(x, weight, bias, out, rows, cols, eps)
Napi::Value layer_norm_js(const Napi::CallbackInfo& info) {
  Args args(info, "layerNorm", 7);
  size_t rows = args.size(4, "rows"), cols = args.size(5, "cols", 1);
  double eps = args.number(6, "eps");
  size_t n = checked_product("layerNorm", {rows, cols});
  auto x = args.array<float>(0, "x", n), w = args.array<float>(1, "weight", cols);
  auto b = args.array<float>(2, "bias", cols), out = args.array<float>(3, "out", n);
  const float *xp = x.data, *wp = w.data, *bp = b.data;
  float* yp = out.data;
  return run_job(args, 3.0 * double(n), [=] { layer_norm(rows, cols, xp, wp, bp, eps, yp); },
                 {x.object, w.object, b.object, out.object});
}

// l2Normalize(x, out, rows, cols)
Napi::Value l2_normalize_js(const Napi::CallbackInfo& info) {
  Args args(info, "l2Normalize", 4);
  size_t rows = args.size(2, "rows"), cols = args.size(3, "cols", 1);
  size_t n = checked_product("l2Normalize", {rows, cols});
  auto x = args.array<float>(0, "x", n), out = args.array<float>(1, "out", n);
  const float* xp = x.data;
  float* yp = out.data;
  return run_job(args, 2.0 * double(n), [=] { l2_normalize(rows, cols, xp, yp); }, {x.object, out.object});
}

// batchNorm(x, mean, var, weight, bias, out, n, c, inner, eps)
Napi::Value batch_norm_js(const Napi::CallbackInfo& info) {
  Args args(info, "batchNorm", 10);
  size_t n = args.size(6, "n"), c = args.size(7, "c", 1), inner = args.size(8, "inner");
  double eps = args.number(9, "eps");
  size_t total = checked_product("batchNorm", {n, c, inner});
  auto x = args.array<float>(0, "x", total), mean = args.array<float>(1, "mean", c);
  auto var = args.array<float>(2, "var", c), w = args.array<float>(3, "weight", c);
  auto b = args.array<float>(4, "bias", c), out = args.array<float>(5, "out", total);
  const float *xp = x.data, *mp = mean.data, *vp = var.data, *wp = w.data, *bp = b.data;
  float* yp = out.data;
  return run_job(args, double(total), [=] { batch_norm(n, c, inner, xp, mp, vp, wp, bp, eps, yp); },
                 {x.object, mean.object, var.object, w.object, b.object, out.object});
}

}  // namespace

void register_norm(Napi::Env env, Napi::Object exports) {
  export_function(env, exports, "layerNorm", layer_norm_js);
  export_function(env, exports, "batchNorm", batch_norm_js);
  export_function(env, exports, "l2Normalize", l2_normalize_js);
}

}  // namespace ctl
