// The bindings every pointwise op shares: y = f(x) elementwise, and y = a ∘ b with b repeated over a.
#pragma once
#include <string>

#include "napi_util.h"

namespace ctl {

// name(x, out[, extra args]) → Promise<void>: fn(n, x, y) over float32 arrays of one length; `cost` is
// the job's work per element (for the thread pool's inline-or-parallel choice).
template <class F>
Napi::Value unary_job(Args& args, double cost, F fn) {
  auto x = args.array<float>(0, "x");
  auto out = args.array<float>(1, "out", x.length);
  const float* xp = x.data;
  float* yp = out.data;
  size_t n = x.length;
  return run_job(args, cost * double(n), [=] { fn(n, xp, yp); }, {x.object, out.object});
}

// name(a, b, out) → Promise<void>: fn(na, a, nb, b, y), b repeating over a (b's length divides a's).
template <class F>
Napi::Value suffix_job(Args& args, F fn) {
  auto a = args.array<float>(0, "a"), b = args.array<float>(1, "b");
  if (b.length == 0 ? a.length != 0 : a.length % b.length != 0)
    args.fail("b", "has " + std::to_string(b.length) + " elements, which does not divide a's " + std::to_string(a.length));
  auto out = args.array<float>(2, "out", a.length);
  const float *ap = a.data, *bp = b.data;
  float* yp = out.data;
  size_t na = a.length, nb = b.length;
  return run_job(args, double(na), [=] { fn(na, ap, nb, bp, yp); }, {a.object, b.object, out.object});
}

}  // namespace ctl
