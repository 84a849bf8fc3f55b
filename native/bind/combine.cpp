// combine → Promise<void>.
#include <memory>
#include <string>
#include <vector>

#include "bind/register.h"
#include "napi_util.h"
#include "ops/combine.h"

namespace ctl {
namespace {

// The checked arguments of combine: (basis[M], coeffs[K·M] (Float64Array, row-major), outs[K]).
struct CombineCall {
  size_t len, m, k;
  std::vector<const float*> basis;
  std::vector<float*> outs;
  std::vector<double> coeffs;  // copied: JS may reuse the array
  std::vector<Napi::Object> keep;
};

CombineCall combine_call(const Args& args) {
  auto basis = args.array_list<float>(0, "basis");
  size_t len = common_length(args, basis, "basis");
  auto outs = args.array_list<float>(2, "outs");
  size_t m = basis.size(), k = outs.size();
  auto coeffs = args.array<double>(1, "coeffs", checked_product(args.fn(), {k, m}));
  for (size_t r = 0; r < k; r++)
    if (outs[r].length != len)
      args.fail("outs", "[" + std::to_string(r) + "] has " + std::to_string(outs[r].length) + " elements, expected " +
                            std::to_string(len));
  CombineCall c{len, m, k, {}, {}, std::vector<double>(coeffs.data, coeffs.data + coeffs.length), {coeffs.object}};
  for (auto& b : basis) c.basis.push_back(b.data), c.keep.push_back(b.object);
  for (auto& o : outs) c.outs.push_back(o.data), c.keep.push_back(o.object);
  return c;
}

Napi::Value combine_js(const Napi::CallbackInfo& info) {
  Args args(info, "combine", 3);
  auto c = std::make_shared<CombineCall>(combine_call(args));
  double work = double(c->len) * double(c->m + c->k);
  return run_job(
      args, work, [c] { combine(c->len, c->m, c->basis.data(), c->k, c->coeffs.data(), c->outs.data()); }, c->keep);
}

}  // namespace

void register_combine(Napi::Env env, Napi::Object exports) {
  export_function(env, exports, "combine", combine_js);
}

}  // namespace ctl
