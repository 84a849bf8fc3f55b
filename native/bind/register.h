// Each op family adds its exported functions to the module object.
#pragma once
#include <napi.h>

namespace ctl {
void register_runtime(Napi::Env env, Napi::Object exports);
void register_gemm(Napi::Env env, Napi::Object exports);
void register_conv2d(Napi::Env env, Napi::Object exports);
void register_pool(Napi::Env env, Napi::Object exports);
void register_norm(Napi::Env env, Napi::Object exports);
void register_elementwise(Napi::Env env, Napi::Object exports);
void register_attention(Napi::Env env, Napi::Object exports);
void register_layout(Napi::Env env, Napi::Object exports);
void register_combine(Napi::Env env, Napi::Object exports);
void register_feature_stats(Napi::Env env, Napi::Object exports);
void register_ceilings(Napi::Env env, Napi::Object exports);
void register_merge(Napi::Env env, Napi::Object exports);
void register_decoder(Napi::Env env, Napi::Object exports);
}  // namespace ctl
