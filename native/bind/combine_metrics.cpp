// combine, featureStats, featureProducts → Promise<void>.
#include <string>
#include <vector>

#include "bind/register.h"
#include "napi_util.h"
#include "ops/combine.h"
#include "ops/metrics.h"

namespace ctl {
namespace {

// All basis tensors must have the same length; returns it.
size_t common_length(const Args& args, const std::vector<ArrayArg<float>>& basis, const char* name) {
  if (basis.empty()) args.fail(name, "must hold at least one tensor");
  for (size_t j = 1; j < basis.size(); j++)
    if (basis[j].length != basis[0].length)
      args.fail(name, "[" + std::to_string(j) + "] has " + std::to_string(basis[j].length) + " elements, [0] has " +
                          std::to_string(basis[0].length));
  return basis[0].length;
}

// combine(basis[M], coeffs[K·M] (Float64Array, row-major), outs[K])
Napi::Value combine_js(const Napi::CallbackInfo& info) {
  Args args(info, "combine", 3);
  auto basis = args.array_list<float>(0, "basis");
  size_t len = common_length(args, basis, "basis");
  auto outs = args.array_list<float>(2, "outs");
  size_t m = basis.size(), k = outs.size();
  auto coeffs = args.array<double>(1, "coeffs", checked_product("combine", {k, m}));
  for (size_t r = 0; r < k; r++)
    if (outs[r].length != len)
      args.fail("outs", "[" + std::to_string(r) + "] has " + std::to_string(outs[r].length) + " elements, expected " +
                            std::to_string(len));
  std::vector<Napi::Object> keep{coeffs.object};
  std::vector<const float*> bp;
  std::vector<float*> op;
  for (auto& b : basis) bp.push_back(b.data), keep.push_back(b.object);
  for (auto& o : outs) op.push_back(o.data), keep.push_back(o.object);
  std::vector<double> c(coeffs.data, coeffs.data + coeffs.length);  // copied: JS may reuse the array
  double work = double(len) * double(m + k);
  return run_job(
      args, work, [=] { combine(len, m, bp.data(), k, c.data(), op.data()); }, keep);
}

// The features f (argument 0), the basis features (1, each as long as f) and the sample count n
// (argument n_at, dividing the length), shared by featureStats and featureProducts.
struct FeatureArgs {
  const float* f;
  std::vector<const float*> basis;
  size_t len, n, per;
  std::vector<Napi::Object> keep;
};

FeatureArgs feature_args(const Args& args, size_t n_at) {
  auto f = args.array<float>(0, "f");
  auto basis = args.array_list<float>(1, "basis");
  size_t len = common_length(args, basis, "basis");
  if (len != f.length)
    args.fail("basis", "tensors have " + std::to_string(len) + " elements, f has " + std::to_string(f.length));
  size_t n = args.size(n_at, "n");
  if (n == 0 ? len != 0 : len % n != 0)
    args.fail("n", std::to_string(n) + " samples do not divide " + std::to_string(len) + " elements");
  FeatureArgs fa{f.data, {}, len, n, n == 0 ? 0 : len / n, {f.object}};
  for (auto& b : basis) fa.basis.push_back(b.data), fa.keep.push_back(b.object);
  return fa;
}

// featureStats(f, basis[M], c[M] (Float64Array), n, dot[n], ff[n], gg[n] (Float64Arrays))
Napi::Value feature_stats_js(const Napi::CallbackInfo& info) {
  Args args(info, "featureStats", 7);
  FeatureArgs fa = feature_args(args, 3);
  size_t m = fa.basis.size(), n = fa.n;
  auto c = args.array<double>(2, "c", m);
  auto dot = args.array<double>(4, "dot", n), ff = args.array<double>(5, "ff", n), gg = args.array<double>(6, "gg", n);
  for (auto o : {c.object, dot.object, ff.object, gg.object}) fa.keep.push_back(o);
  std::vector<double> cv(c.data, c.data + m);
  double *dp = dot.data, *fq = ff.data, *gp = gg.data;
  return run_job(args, double(fa.len) * double(m + 1),
                 [f = fa.f, bp = fa.basis, n, per = fa.per, cv, dp, fq, gp, m] {
                   feature_stats(n, per, f, m, bp.data(), cv.data(), dp, fq, gp);
                 },
                 fa.keep);
}

// featureProducts(f, basis[M], n, dots[n·M], ff[n] (Float64Arrays))
Napi::Value feature_products_js(const Napi::CallbackInfo& info) {
  Args args(info, "featureProducts", 5);
  FeatureArgs fa = feature_args(args, 2);
  size_t m = fa.basis.size(), n = fa.n;
  auto dots = args.array<double>(3, "dots", n * m), ff = args.array<double>(4, "ff", n);
  fa.keep.push_back(dots.object);
  fa.keep.push_back(ff.object);
  double *dp = dots.data, *fq = ff.data;
  return run_job(args, double(fa.len) * double(m + 1),
                 [f = fa.f, bp = fa.basis, n, per = fa.per, dp, fq, m] { feature_products(n, per, f, m, bp.data(), dp, fq); },
                 fa.keep);
}

}  // namespace

void register_combine(Napi::Env env, Napi::Object exports) {
  export_function(env, exports, "combine", combine_js);
}

void register_metrics(Napi::Env env, Napi::Object exports) {
  export_function(env, exports, "featureStats", feature_stats_js);
  export_function(env, exports, "featureProducts", feature_products_js);
}

}  // namespace ctl
