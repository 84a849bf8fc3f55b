// maxPool2d, avgPool2d, adaptiveAvgPool2d → Promise<void>; shapes checked before queueing.
#include <memory>
#include <string>
#include <vector>

#include "bind/register.h"
#include "napi_util.h"
#include "ops/pool.h"

namespace ctl {
namespace {

// Pool arguments shared by max and average pooling: (x, out, xShape[4], kernel[2], stride[2], padding[2]).
Pool2dArgs pool_args(const Args& args, ArrayArg<float>& x, ArrayArg<float>& out) {
  auto xs = args.dims(2, "xShape", 4);
  auto k = args.dims(3, "kernel", 2, 1), s = args.dims(4, "stride", 2, 1), p = args.dims(5, "padding", 2);
  if (2 * p[0] > k[0] || 2 * p[1] > k[1]) args.fail("padding", "must be at most half the kernel size");
  Pool2dArgs a{};
  a.planes = checked_product(args.fn(), {xs[0], xs[1]}), a.h = xs[2], a.w = xs[3];
  a.kh = k[0], a.kw = k[1], a.sh = s[0], a.sw = s[1], a.ph = p[0], a.pw = p[1];
  a.oh = pool_out_size(a.h, a.kh, a.sh, a.ph);
  a.ow = pool_out_size(a.w, a.kw, a.sw, a.pw);
  if (a.oh == 0 || a.ow == 0) args.fail("kernel", "is larger than the padded input");
  x = args.array<float>(0, "x", checked_product(args.fn(), {a.planes, a.h, a.w}));
  out = args.array<float>(1, "out", checked_product(args.fn(), {a.planes, a.oh, a.ow}));
  a.x = x.data, a.y = out.data;
  return a;
}

Napi::Value max_pool2d_js(const Napi::CallbackInfo& info) {
  Args args(info, "maxPool2d", 6);
  ArrayArg<float> x, out;
  Pool2dArgs a = pool_args(args, x, out);
  return run_job(args, double(out.length) * a.kh * a.kw, [a] { max_pool2d(a); }, {x.object, out.object});
}

Napi::Value avg_pool2d_js(const Napi::CallbackInfo& info) {
  Args args(info, "avgPool2d", 6);
  ArrayArg<float> x, out;
  Pool2dArgs a = pool_args(args, x, out);
  return run_job(args, double(out.length) * a.kh * a.kw, [a] { avg_pool2d(a); }, {x.object, out.object});
}

// adaptiveAvgPool2d(x, out, xShape[4], outH, outW)
Napi::Value adaptive_avg_pool2d_js(const Napi::CallbackInfo& info) {
  Args args(info, "adaptiveAvgPool2d", 5);
  auto xs = args.dims(2, "xShape", 4);
  size_t oh = args.size(3, "outH", 1), ow = args.size(4, "outW", 1);
  size_t planes = checked_product("adaptiveAvgPool2d", {xs[0], xs[1]}), h = xs[2], w = xs[3];
  if (h == 0 || w == 0) args.fail("xShape", "must have non-zero height and width");
  auto x = args.array<float>(0, "x", checked_product("adaptiveAvgPool2d", {planes, h, w}));
  auto out = args.array<float>(1, "out", checked_product("adaptiveAvgPool2d", {planes, oh, ow}));
  const float* xp = x.data;
  float* yp = out.data;
  return run_job(
      args, double(x.length) + double(out.length), [=] { adaptive_avg_pool2d(planes, h, w, oh, ow, xp, yp); },
      {x.object, out.object});
}

}  // namespace

void register_pool(Napi::Env env, Napi::Object exports) {
  export_function(env, exports, "maxPool2d", max_pool2d_js);
  export_function(env, exports, "avgPool2d", avg_pool2d_js);
  export_function(env, exports, "adaptiveAvgPool2d", adaptive_avg_pool2d_js);
}

}  // namespace ctl
