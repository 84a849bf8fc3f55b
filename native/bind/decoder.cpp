// rmsNorm, rope, silu, mul, groupedAttention, narrow, softcap → Promise<void>.
#include <string>

#include "bind/pointwise.h"
#include "bind/register.h"
#include "napi_util.h"
#include "ops/decoder.h"

namespace ctl {
namespace {

// rmsNorm(x, weight, out, rows, d, eps, unitOffset)
Napi::Value rms_norm_js(const Napi::CallbackInfo& info) {
  Args args(info, "rmsNorm", 7);
  size_t rows = args.size(3, "rows"), d = args.size(4, "d", 1);
  double eps = args.number(5, "eps");
  bool unit = args.boolean(6, "unitOffset");
  size_t n = checked_product("rmsNorm", {rows, d});
  auto x = args.array<float>(0, "x", n), w = args.array<float>(1, "weight", d), out = args.array<float>(2, "out", n);
  const float *xp = x.data, *wp = w.data;
  float* yp = out.data;
  return run_job(args, 3.0 * double(n), [=] { rms_norm(rows, d, xp, wp, eps, unit, yp); }, {x.object, w.object, out.object});
}

// rope(x, cos, sin, out, n, t, heads, e, half)
Napi::Value rope_js(const Napi::CallbackInfo& info) {
  Args args(info, "rope", 9);
  size_t n = args.size(4, "n"), t = args.size(5, "t"), heads = args.size(6, "heads"), e = args.size(7, "e");
  size_t half = args.size(8, "half");
  if (2 * half > e) args.fail("half", "must be at most e / 2 = " + std::to_string(e / 2));
  size_t total = checked_product("rope", {n, t, heads, e});
  auto x = args.array<float>(0, "x", total), out = args.array<float>(3, "out", total);
  auto c = args.array<float>(1, "cos", checked_product("rope", {t, half}));
  auto s = args.array<float>(2, "sin", t * half);
  const float *xp = x.data, *cp = c.data, *sp = s.data;
  float* yp = out.data;
  return run_job(args, double(total), [=] { rope(n, t, heads, e, half, xp, cp, sp, yp); },
                 {x.object, c.object, s.object, out.object});
}

// silu(x, out)
Napi::Value silu_js(const Napi::CallbackInfo& info) {
  Args args(info, "silu", 2);
  return unary_job(args, 16.0, [](size_t n, const float* x, float* y) { silu(n, x, y); });
}

// mul(a, b, out): b repeats over a
Napi::Value mul_js(const Napi::CallbackInfo& info) {
  Args args(info, "mul", 3);
  return suffix_job(args, mul_suffix);
}

// groupedAttention(q, k, v, out, [n, t, s, heads, kvHeads, e], causal, window, scale, softcap)
Napi::Value grouped_attention_js(const Napi::CallbackInfo& info) {
  Args args(info, "groupedAttention", 9);
  auto d = args.dims(4, "dims", 6);
  GqaArgs g{d[0], d[1], d[2], d[3], d[4], d[5], args.boolean(5, "causal"), args.size(6, "window"),
            float(args.number(7, "scale")), float(args.number(8, "softcap"))};
  if (g.heads == 0 || g.kv_heads == 0 || g.heads % g.kv_heads != 0)
    args.fail("dims", "kvHeads " + std::to_string(g.kv_heads) + " must divide heads " + std::to_string(g.heads));
  if (g.causal && g.s != g.t) args.fail("dims", "causal attention needs s == t");
  auto q = args.array<float>(0, "q", checked_product("groupedAttention", {g.n, g.t, g.heads, g.e}));
  size_t kvn = checked_product("groupedAttention", {g.n, g.s, g.kv_heads, g.e});
  auto k = args.array<float>(1, "k", kvn), v = args.array<float>(2, "v", kvn);
  auto out = args.array<float>(3, "out", q.length);
  const float *qp = q.data, *kp = k.data, *vp = v.data;
  float* yp = out.data;
  double work = 4.0 * double(g.n) * double(g.heads) * double(g.t) * double(g.s) * double(g.e);
  return run_job(args, work, [=] { grouped_attention(g, qp, kp, vp, yp); }, {q.object, k.object, v.object, out.object});
}

// narrow(x, out, rows, d, start, len)
Napi::Value narrow_js(const Napi::CallbackInfo& info) {
  Args args(info, "narrow", 6);
  size_t rows = args.size(2, "rows"), d = args.size(3, "d"), start = args.size(4, "start"), len = args.size(5, "len", 1);
  if (start + len > d) args.fail("len", "start + len exceeds d = " + std::to_string(d));
  auto x = args.array<float>(0, "x", checked_product("narrow", {rows, d}));
  auto out = args.array<float>(1, "out", checked_product("narrow", {rows, len}));
  const float* xp = x.data;
  float* yp = out.data;
  return run_job(args, double(rows * len), [=] { narrow(rows, d, start, len, xp, yp); }, {x.object, out.object});
}

// softcap(x, out, cap)
Napi::Value softcap_js(const Napi::CallbackInfo& info) {
  Args args(info, "softcap", 3);
  double cap = args.number(2, "cap");
  if (!(cap > 0)) args.fail("cap", "must be a positive number");
  const float c = float(cap);
  return unary_job(args, 16.0, [c](size_t n, const float* x, float* y) { softcap(n, x, c, y); });
}

}  // namespace

void register_decoder(Napi::Env env, Napi::Object exports) {
  export_function(env, exports, "rmsNorm", rms_norm_js);
  export_function(env, exports, "rope", rope_js);
  export_function(env, exports, "silu", silu_js);
  export_function(env, exports, "mul", mul_js);
  export_function(env, exports, "groupedAttention", grouped_attention_js);
  export_function(env, exports, "narrow", narrow_js);
  export_function(env, exports, "softcap", softcap_js);
}

}  // namespace ctl
