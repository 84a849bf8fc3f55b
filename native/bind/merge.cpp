// mergeLinear, mergeGta, mergeGram, mergeModelStock → Promise<void> (kernels in native/ops/merge.cpp and merge_gram.cpp; callers in src/merge/native.ts).
#include <memory>
#include <string>
#include <vector>

#include "bind/register.h"
#include "napi_util.h"
#include "ops/merge.h"

namespace ctl {

template <>
struct TypedArrayKind<uint8_t> {
  static constexpr napi_typedarray_type type = napi_uint8_array;
  static constexpr const char* name = "Uint8Array";
};

namespace {

size_t elem_size(int dtype) { return dtype == kMergeF32 ? 4 : 2; }

int dtype_arg(const Args& args, int v, const char* name) {
  if (v < 0 || v > 2) args.fail(name, "must be 0 (F32), 1 (F16) or 2 (BF16), got " + std::to_string(v));
  return v;
}

struct Inputs {
  std::vector<MergeInput> xs;
  std::vector<Napi::Object> keep;
  size_t n = 0;
};

// xs (Uint8Array[]) with their dtype codes (Int32Array): all must hold the same element count.
Inputs inputs_arg(const Args& args, size_t xi, size_t di, const char* name) {
  auto xs = args.array_list<uint8_t>(xi, name);
  auto codes = args.array<int32_t>(di, "dtypes", xs.size());
  Inputs in;
  for (size_t j = 0; j < xs.size(); j++) {
    int d = dtype_arg(args, codes.data[j], "dtypes");
    if (xs[j].length % elem_size(d)) args.fail(name, "[" + std::to_string(j) + "] is not a whole number of elements");
    size_t n = xs[j].length / elem_size(d);
    if (j == 0) in.n = n;
    else if (n != in.n) args.fail(name, "[" + std::to_string(j) + "] has " + std::to_string(n) + " elements, [0] has " + std::to_string(in.n));
    in.xs.push_back({xs[j].data, d});
    in.keep.push_back(xs[j].object);
  }
  in.keep.push_back(codes.object);
  return in;
}

// mergeLinear(xs, dtypes, coeffs (Float64Array), out (Uint8Array), outDtype)
Napi::Value merge_linear_js(const Napi::CallbackInfo& info) {
  Args args(info, "mergeLinear", 5);
  auto in = std::make_shared<Inputs>(inputs_arg(args, 0, 1, "xs"));
  if (in->xs.empty()) args.fail("xs", "must hold at least one tensor");
  auto c = args.array<double>(2, "coeffs", in->xs.size());
  int od = dtype_arg(args, int(args.integer(4, "outDtype", 0, 2)), "outDtype");
  auto out = args.array<uint8_t>(3, "out", in->n * elem_size(od));
  auto coeffs = std::make_shared<std::vector<double>>(c.data, c.data + c.length);
  in->keep.push_back(out.object);
  void* o = out.data;
  return run_job(args, double(in->n) * double(in->xs.size() + 1), [in, coeffs, o, od] { merge_linear(in->n, in->xs, coeffs->data(), o, od); }, in->keep);
}

// mergeGta(base, baseDtype, xs, dtypes, weights, densities, keys, sparsify, consensus, flags, lambda, out, outDtype)
Napi::Value merge_gta_js(const Napi::CallbackInfo& info) {
  Args args(info, "mergeGta", 13);
  auto base = args.array<uint8_t>(0, "base");
  int bd = dtype_arg(args, int(args.integer(1, "baseDtype", 0, 2)), "baseDtype");
  auto in = std::make_shared<Inputs>(inputs_arg(args, 2, 3, "xs"));
  size_t m = in->xs.size();
  if (m == 0) args.fail("xs", "must hold at least one tensor");
  if (base.length != in->n * elem_size(bd)) args.fail("base", "has " + std::to_string(base.length / elem_size(bd)) + " elements, xs have " + std::to_string(in->n));
  auto w = args.array<double>(4, "weights", m);
  auto dens = args.array<double>(5, "densities", m);
  auto keys = args.array<double>(6, "keys", 2 * m);
  auto spec = std::make_shared<GtaSpec>();
  spec->sparsify = int(args.integer(7, "sparsify", 0, 2));
  spec->consensus = int(args.integer(8, "consensus", 0, 2));
  int flags = int(args.integer(9, "flags", 0, 3));
  spec->normalize = flags & 1;
  spec->rescale = flags & 2;
  spec->lambda = args.number(10, "lambda");
  int od = dtype_arg(args, int(args.integer(12, "outDtype", 0, 2)), "outDtype");
  auto out = args.array<uint8_t>(11, "out", in->n * elem_size(od));
  spec->weight.assign(w.data, w.data + m);
  spec->density.assign(dens.data, dens.data + m);
  for (size_t j = 0; j < m; j++) {
    spec->k0.push_back(uint32_t(keys.data[2 * j]));
    spec->k1.push_back(uint32_t(keys.data[2 * j + 1]));
  }
  in->keep.push_back(base.object);
  in->keep.push_back(out.object);
  MergeInput b{base.data, bd};
  void* o = out.data;
  return run_job(args, double(in->n) * double(m + 2) * 4, [in, spec, b, o, od] { merge_gta(in->n, b, in->xs, *spec, o, od); }, in->keep);
}

// The segment length argument: divides the element count n (any value when n = 0).
size_t segment_arg(const Args& args, size_t i, size_t n) {
  size_t seg = args.size(i, "segment", 0);
  if (n && (seg == 0 || n % seg)) args.fail("segment", "must divide the element count " + std::to_string(n) + ", got " + std::to_string(seg));
  return seg;
}

// mergeGram(base (Uint8Array or null), baseDtype, xs, dtypes, segment, sums (Float64Array))
Napi::Value merge_gram_js(const Napi::CallbackInfo& info) {
  Args args(info, "mergeGram", 6);
  auto in = std::make_shared<Inputs>(inputs_arg(args, 2, 3, "xs"));
  const size_t m = in->xs.size();
  if (m == 0 || m > 64) args.fail("xs", "must hold 1 to 64 tensors");
  int bd = dtype_arg(args, int(args.integer(1, "baseDtype", 0, 2)), "baseDtype");
  auto base = args.optional_array<uint8_t>(0, "base", in->n * elem_size(bd));
  size_t seg = segment_arg(args, 4, in->n);
  auto sums = args.array<double>(5, "sums", in->n ? in->n / seg * (m * (m + 1) / 2) : 0);
  if (base.data) in->keep.push_back(base.object);
  in->keep.push_back(sums.object);
  MergeInput b{base.data, bd};
  double* s = sums.data;
  return run_job(args, double(in->n) * double(m + 1), [in, seg, b, s] { merge_gram(in->n, seg, b, in->xs, s); }, in->keep);
}

// mergeModelStock(base, baseDtype, xs, dtypes, segment, out, outDtype)
Napi::Value merge_model_stock_js(const Napi::CallbackInfo& info) {
  Args args(info, "mergeModelStock", 7);
  auto in = std::make_shared<Inputs>(inputs_arg(args, 2, 3, "xs"));
  const size_t m = in->xs.size();
  if (m == 0 || m > 64) args.fail("xs", "must hold 1 to 64 tensors");
  int bd = dtype_arg(args, int(args.integer(1, "baseDtype", 0, 2)), "baseDtype");
  auto base = args.array<uint8_t>(0, "base", in->n * elem_size(bd));
  size_t seg = segment_arg(args, 4, in->n);
  int od = dtype_arg(args, int(args.integer(6, "outDtype", 0, 2)), "outDtype");
  auto out = args.array<uint8_t>(5, "out", in->n * elem_size(od));
  in->keep.push_back(base.object);
  in->keep.push_back(out.object);
  MergeInput b{base.data, bd};
  void* o = out.data;
  return run_job(args, double(in->n) * double(2 * m + 3), [in, seg, b, o, od] { merge_model_stock(in->n, seg, b, in->xs, o, od); }, in->keep);
}

}  // namespace

void register_merge(Napi::Env env, Napi::Object exports) {
  export_function(env, exports, "mergeLinear", merge_linear_js);
  export_function(env, exports, "mergeGta", merge_gta_js);
  export_function(env, exports, "mergeGram", merge_gram_js);
  export_function(env, exports, "mergeModelStock", merge_model_stock_js);
}

}  // namespace ctl
