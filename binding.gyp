{
  "targets": [
    {
      "target_name": "ctlkit",
      "sources": [
        "native/addon.cpp",
        "native/bind/attention_layout.cpp", "native/bind/ceilings.cpp", "native/bind/combine_metrics.cpp", "native/bind/conv_pool.cpp", "native/bind/decoder.cpp",
        "native/bind/gemm.cpp", "native/bind/norm_elementwise.cpp", "native/bind/runtime.cpp",
        "native/ops/attention.cpp", "native/ops/ceilings.cpp", "native/ops/combine.cpp", "native/ops/conv2d.cpp", "native/ops/decoder.cpp", "native/ops/elementwise.cpp",
        "native/ops/gemm.cpp", "native/ops/gemm_kernel.cpp", "native/ops/layout.cpp", "native/ops/metrics.cpp", "native/ops/norm.cpp",
        "native/ops/pool.cpp", "native/ops/winograd.cpp",
        "native/runtime/cpu.cpp", "native/runtime/thread_pool.cpp"
      ],
      "include_dirs": ["node_modules/node-addon-api", "native"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-ffp-contract=off"],
      "ldflags": ["-pthread"]
    }
  ]
}
