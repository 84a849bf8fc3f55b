// Registration only: each op family registers its functions (native/bind/, kernels in native/ops/).
#include <napi.h>

#include "bind/register.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  ctl::register_runtime(env, exports);
  ctl::register_gemm(env, exports);
  ctl::register_conv2d(env, exports);
  ctl::register_pool(env, exports);
  ctl::register_norm(env, exports);
  ctl::register_elementwise(env, exports);
  ctl::register_attention(env, exports);
  ctl::register_layout(env, exports);
  ctl::register_combine(env, exports);
  ctl::register_feature_stats(env, exports);
  ctl::register_ceilings(env, exports);
  ctl::register_merge(env, exports);
  ctl::register_decoder(env, exports);
  return exports;
}

NODE_API_MODULE(ctlkit, Init)
