// conv2d → Promise<void>; shapes checked before queueing.
#include <memory>
#include <string>
#include <vector>

#include "bind/register.h"
#include "napi_util.h"
#include "ops/conv2d.h"
#include "ops/norm.h"

namespace ctl {
namespace {

// conv2d(x, w | null, bias | null, out, xShape[4], wShape[4], stride[2], padding[2], dilation[2], groups,
//        bn [mean, variance, weight, bias] | null, eps, residual | null, relu, wBasis | null, wCoeffs | null):
// the epilogue and the weight sum (w null, W = Σ_j wCoeffs[j] · wBasis[j]) of ops/conv2d.h
Napi::Value conv2d_js(const Napi::CallbackInfo& info) {
  Args args(info, "conv2d", 16);
  auto xs = args.dims(4, "xShape", 4), ws = args.dims(5, "wShape", 4, 1);
  auto st = args.dims(6, "stride", 2, 1), pd = args.dims(7, "padding", 2), dl = args.dims(8, "dilation", 2, 1);
  size_t groups = args.size(9, "groups", 1);
  if (xs[1] % groups != 0 || ws[0] % groups != 0)
    args.fail("groups", "must divide the input channels " + std::to_string(xs[1]) + " and the output channels " +
                            std::to_string(ws[0]));
  if (ws[1] * groups != xs[1])
    args.fail("wShape", "has " + std::to_string(ws[1]) + " input channels per group, expected " +
                            std::to_string(xs[1] / groups));
  Conv2dArgs c{};
  c.n = xs[0], c.c = xs[1], c.h = xs[2], c.w = xs[3], c.o = ws[0], c.kh = ws[2], c.kw = ws[3];
  c.sh = st[0], c.sw = st[1], c.ph = pd[0], c.pw = pd[1], c.dh = dl[0], c.dw = dl[1], c.groups = groups;
  c.oh = conv_out_size(c.h, c.kh, c.sh, c.ph, c.dh);
  c.ow = conv_out_size(c.w, c.kw, c.sw, c.pw, c.dw);
  if (c.oh == 0 || c.ow == 0) args.fail("wShape", "kernel (with dilation) is larger than the padded input");
  auto x = args.array<float>(0, "x", checked_product("conv2d", {c.n, c.c, c.h, c.w}));
  size_t w_len = checked_product("conv2d", {c.o, ws[1], c.kh, c.kw});
  auto w = args.optional_array<float>(1, "w", w_len);
  auto bias = args.optional_array<float>(2, "bias", c.o);
  auto out = args.array<float>(3, "out", checked_product("conv2d", {c.n, c.o, c.oh, c.ow}));
  c.x = x.data, c.weight = w.data, c.bias = bias.data, c.y = out.data;
  std::vector<Napi::Object> keep{x.object, w.object, out.object, bias.object};
  // the weight sum: its pointer and coefficient arrays are copied (JS may reuse the lists)
  auto sum = std::make_shared<std::pair<std::vector<const float*>, std::vector<double>>>();
  bool summed = !info[14].IsNull() && !info[14].IsUndefined();
  if (summed == (w.data != nullptr)) args.fail("w", "must be null exactly when wBasis is given");
  if (!summed && !info[15].IsNull() && !info[15].IsUndefined()) args.fail("wCoeffs", "must be null without wBasis");
  if (summed) {
    auto basis = args.array_list<float>(14, "wBasis");
    if (basis.empty()) args.fail("wBasis", "must hold at least one tensor");
    for (size_t j = 0; j < basis.size(); j++) {
      std::string item = "wBasis[" + std::to_string(j) + "]";
      args.check_length(basis[j], item.c_str(), w_len);
      sum->first.push_back(basis[j].data);
      keep.push_back(basis[j].object);
    }
    auto coeffs = args.array<double>(15, "wCoeffs", basis.size());
    sum->second.assign(coeffs.data, coeffs.data + coeffs.length);
    c.weight_sum = WeightSum{sum->first.data(), sum->second.data(), basis.size()};
  }
  // eval BatchNorm as a per-channel scale and shift (read now: the bn arrays need not outlive the call)
  auto affine = std::make_shared<std::vector<double>>();
  if (!info[10].IsNull()) {
    auto bn = args.array_list<float>(10, "bn");
    if (bn.size() != 4) args.fail("bn", "must be [mean, variance, weight, bias] or null");
    const char* names[4] = {"bn[0] (mean)", "bn[1] (variance)", "bn[2] (weight)", "bn[3] (bias)"};
    for (size_t i = 0; i < 4; i++)
      if (bn[i].length != c.o) args.fail(names[i], "must have " + std::to_string(c.o) + " elements (the output channels)");
    double eps = args.number(11, "eps");
    if (!(eps >= 0)) args.fail("eps", "must be a number ≥ 0");
    affine->resize(2 * c.o);
    c.epi.scale = affine->data();
    c.epi.shift = affine->data() + c.o;
    batch_norm_affine(c.o, bn[0].data, bn[1].data, bn[2].data, bn[3].data, eps, affine->data(), affine->data() + c.o);
  }
  auto residual = args.optional_array<float>(12, "residual", out.length);
  c.epi.residual = residual.data;
  if (residual.data != nullptr) keep.push_back(residual.object);
  c.epi.relu = args.boolean(13, "relu");
  double work = double(out.length) * double(ws[1] * c.kh * c.kw);
  return run_job(args, work, [c, affine, sum] { conv2d(c); }, keep);
}

}  // namespace

void register_conv2d(Napi::Env env, Napi::Object exports) {
  export_function(env, exports, "conv2d", conv2d_js);
}

}  // namespace ctl
