// featureStats, featureProducts → Promise<void>.
#include <memory>
#include <string>
#include <vector>

#include "bind/register.h"
#include "napi_util.h"
#include "ops/feature_stats.h"

namespace ctl {
namespace {

// featureStats(f, basis[M], c[M] (Float64Array), n, dot[n], ff[n], gg[n] (Float64Arrays))
Napi::Value feature_stats_js(const Napi::CallbackInfo& info) {
  Args args(info, "featureStats", 7);
  auto f = args.array<float>(0, "f");
  auto basis = args.array_list<float>(1, "basis");
  size_t len = common_length(args, basis, "basis");
  if (len != f.length)
    args.fail("basis", "tensors have " + std::to_string(len) + " elements, f has " + std::to_string(f.length));
  size_t m = basis.size();
  auto c = args.array<double>(2, "c", m);
  size_t n = args.size(3, "n");
  if (n == 0 ? len != 0 : len % n != 0)
    args.fail("n", std::to_string(n) + " samples do not divide " + std::to_string(len) + " elements");
  auto dot = args.array<double>(4, "dot", n), ff = args.array<double>(5, "ff", n), gg = args.array<double>(6, "gg", n);
  std::vector<Napi::Object> keep{f.object, c.object, dot.object, ff.object, gg.object};
  std::vector<const float*> bp;
  for (auto& b : basis) bp.push_back(b.data), keep.push_back(b.object);
  std::vector<double> cv(c.data, c.data + m);
  const float* fp = f.data;
  double *dp = dot.data, *fq = ff.data, *gp = gg.data;
  size_t per = n == 0 ? 0 : len / n;
  return run_job(
      args, double(len) * double(m + 1), [=] { feature_stats(n, per, fp, m, bp.data(), cv.data(), dp, fq, gp); }, keep);
}

// featureProducts(fs[F], basis[M], n, dots[F] (n·M each), ff[F] (n each); Float64Arrays)
Napi::Value feature_products_js(const Napi::CallbackInfo& info) {
  Args args(info, "featureProducts", 5);
  auto fs = args.array_list<float>(0, "fs");
  auto basis = args.array_list<float>(1, "basis");
  size_t len = common_length(args, basis, "basis");
  if (fs.empty()) args.fail("fs", "must hold at least one tensor");
  for (size_t i = 0; i < fs.size(); i++)
    if (fs[i].length != len)
      args.fail("fs", "[" + std::to_string(i) + "] has " + std::to_string(fs[i].length) + " elements, the basis tensors " +
                          std::to_string(len));
  size_t m = basis.size(), nf = fs.size();
  size_t n = args.size(2, "n");
  if (n == 0 ? len != 0 : len % n != 0)
    args.fail("n", std::to_string(n) + " samples do not divide " + std::to_string(len) + " elements");
  auto dots = args.array_list<double>(3, "dots"), ff = args.array_list<double>(4, "ff");
  if (dots.size() != nf || ff.size() != nf) args.fail("dots", "and 'ff' must hold one array per tensor of fs");
  std::vector<Napi::Object> keep;
  std::vector<const float*> fp, bp;
  std::vector<double*> dp, fq;
  for (size_t i = 0; i < nf; i++) {
    if (dots[i].length != n * m) args.fail("dots", "arrays must have n·M = " + std::to_string(n * m) + " elements");
    if (ff[i].length != n) args.fail("ff", "arrays must have n = " + std::to_string(n) + " elements");
    fp.push_back(fs[i].data), dp.push_back(dots[i].data), fq.push_back(ff[i].data);
    keep.push_back(fs[i].object), keep.push_back(dots[i].object), keep.push_back(ff[i].object);
  }
  for (auto& b : basis) bp.push_back(b.data), keep.push_back(b.object);
  size_t per = n == 0 ? 0 : len / n;
  return run_job(args, double(len) * double(nf) * double(m + 1),
                 [=] { feature_products(n, per, nf, fp.data(), m, bp.data(), dp.data(), fq.data()); }, keep);
}

}  // namespace

void register_feature_stats(Napi::Env env, Napi::Object exports) {
  export_function(env, exports, "featureStats", feature_stats_js);
  export_function(env, exports, "featureProducts", feature_products_js);
}

}  // namespace ctl
