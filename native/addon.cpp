// Registration only: each op family registers its functions from native/ops/.
#include <napi.h>

#include "ops/ceilings.h"

static Napi::Value Version(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), "0.1.0");
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("version", Napi::Function::New(env, Version, "version"));
  ctl::RegisterCeilings(env, exports);
  return exports;
}

NODE_API_MODULE(ctlkit, Init)
