// A deliberately broken Node-API module that proves the sanitizer setup of scripts/test-asan.sh
// reports errors from an addon loaded into Node: overflow() reads past a heap block, leak() drops
// one, ubsan() shifts a signed int out of range. Never built into ctlkit.
#include <node_api.h>
#include <stdlib.h>

static napi_value overflow(napi_env env, napi_callback_info info) {
  (void)info;
  volatile char *p = malloc(16);
  char c = p[16]; // heap-buffer-overflow
  free((void *)p);
  napi_value out;
  napi_create_int32(env, c, &out);
  return out;
}

static void *kept;
static napi_value leak(napi_env env, napi_callback_info info) {
  (void)info;
  kept = malloc(4096);
  kept = NULL; // the only pointer is gone: LeakSanitizer reports it at exit
  napi_value out;
  napi_get_undefined(env, &out);
  return out;
}

static napi_value ubsan(napi_env env, napi_callback_info info) {
  (void)info;
  volatile int shift = 40;
  int v = 1 << shift; // shift exponent too large
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"overflow", NULL, overflow, NULL, NULL, NULL, napi_default, NULL},
    {"leak", NULL, leak, NULL, NULL, NULL, napi_default, NULL},
    {"ubsan", NULL, ubsan, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, 3, props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
