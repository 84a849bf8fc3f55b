// embedding, transpose12, prependToken, selectToken, concatLast → Promise<void>.
#include <memory>
#include <string>
#include <vector>

#include "bind/register.h"
#include "napi_util.h"
#include "ops/layout.h"

namespace ctl {
namespace {

// embedding(ids, table, out, vocab, dim); an id outside [0, vocab) rejects the promise naming it
Napi::Value embedding_js(const Napi::CallbackInfo& info) {
  Args args(info, "embedding", 5);
  size_t vocab = args.size(3, "vocab"), dim = args.size(4, "dim");
  auto ids = args.array<int32_t>(0, "ids");
  auto table = args.array<float>(1, "table", checked_product("embedding", {vocab, dim}));
  auto out = args.array<float>(2, "out", checked_product("embedding", {ids.length, dim}));
  const int32_t* ip = ids.data;
  const float* tp = table.data;
  float* yp = out.data;
  size_t count = ids.length;
  return run_job(args, double(out.length), [=] { embedding(count, ip, vocab, dim, tp, yp); },
                 {ids.object, table.object, out.object});
}

// transpose12(x, out, a, b, c): [a, b, c] → [a, c, b]
Napi::Value transpose12_js(const Napi::CallbackInfo& info) {
  Args args(info, "transpose12", 5);
  size_t na = args.size(2, "a"), nb = args.size(3, "b"), nc = args.size(4, "c");
  size_t total = checked_product("transpose12", {na, nb, nc});
  auto x = args.array<float>(0, "x", total), out = args.array<float>(1, "out", total);
  const float* xp = x.data;
  float* yp = out.data;
  return run_job(args, double(total), [=] { transpose12(na, nb, nc, xp, yp); }, {x.object, out.object});
}

// prependToken(x, token, out, n, t, d): [n, t, d] → [n, t + 1, d]
Napi::Value prepend_token_js(const Napi::CallbackInfo& info) {
  Args args(info, "prependToken", 6);
  size_t n = args.size(3, "n"), t = args.size(4, "t"), d = args.size(5, "d");
  auto x = args.array<float>(0, "x", checked_product("prependToken", {n, t, d}));
  auto token = args.array<float>(1, "token", d);
  auto out = args.array<float>(2, "out", checked_product("prependToken", {n, t + 1, d}));
  const float *xp = x.data, *tp = token.data;
  float* yp = out.data;
  return run_job(args, double(out.length), [=] { prepend_token(n, t, d, xp, tp, yp); },
                 {x.object, token.object, out.object});
}

// selectToken(x, out, n, t, d, index): [n, t, d] → [n, d]
Napi::Value select_token_js(const Napi::CallbackInfo& info) {
  Args args(info, "selectToken", 6);
  size_t n = args.size(2, "n"), t = args.size(3, "t"), d = args.size(4, "d");
  size_t index = args.size(5, "index");
  if (index >= t) args.fail("index", std::to_string(index) + " is out of range for " + std::to_string(t) + " tokens");
  auto x = args.array<float>(0, "x", checked_product("selectToken", {n, t, d}));
  auto out = args.array<float>(1, "out", checked_product("selectToken", {n, d}));
  const float* xp = x.data;
  float* yp = out.data;
  return run_job(args, double(out.length), [=] { select_token(n, t, d, index, xp, yp); }, {x.object, out.object});
}

// concatLast(xs, out, rows): out[r, :] = xs[0][r, :] | xs[1][r, :] | …; each xs[i] holds rows · width_i
Napi::Value concat_last_js(const Napi::CallbackInfo& info) {
  Args args(info, "concatLast", 3);
  auto xs = args.array_list<float>(0, "xs");
  size_t rows = args.size(2, "rows", 1);
  if (xs.empty()) args.fail("xs", "must hold at least one array");
  struct Call {
    std::vector<const float*> ptrs;
    std::vector<size_t> widths;
    std::vector<Napi::Object> keep;
  };
  auto c = std::make_shared<Call>();
  size_t total = 0;
  for (size_t i = 0; i < xs.size(); i++) {
    if (xs[i].length % rows != 0)
      args.fail("xs", "[" + std::to_string(i) + "] has " + std::to_string(xs[i].length) + " elements, not a multiple of " +
                          std::to_string(rows) + " rows");
    c->ptrs.push_back(xs[i].data), c->widths.push_back(xs[i].length / rows), c->keep.push_back(xs[i].object);
    total += xs[i].length / rows;
  }
  auto out = args.array<float>(1, "out", checked_product("concatLast", {rows, total}));
  c->keep.push_back(out.object);
  float* yp = out.data;
  return run_job(args, double(out.length), [c, rows, yp] { concat_last(rows, c->ptrs.size(), c->ptrs.data(), c->widths.data(), yp); },
                 c->keep);
}

}  // namespace

void register_layout(Napi::Env env, Napi::Object exports) {
  export_function(env, exports, "embedding", embedding_js);
  export_function(env, exports, "transpose12", transpose12_js);
  export_function(env, exports, "prependToken", prepend_token_js);
  export_function(env, exports, "selectToken", select_token_js);
  export_function(env, exports, "concatLast", concat_last_js);
}

}  // namespace ctl
