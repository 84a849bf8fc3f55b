{
  "target_defaults": {
    "include_dirs": ["node_modules/node-addon-api", "native"],
    "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
    "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
    "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-ffp-contract=off", "-fPIC"]
  },
  "targets": [
    {
      "target_name": "ctlkit",
      "sources": [
        "native/addon.cpp",
        "native/bind/attention.cpp", "native/bind/ceilings.cpp", "native/bind/combine.cpp", "native/bind/conv2d.cpp", "native/bind/decoder.cpp", "native/bind/elementwise.cpp", "native/bind/feature_stats.cpp",
        "native/bind/gemm.cpp", "native/bind/layout.cpp", "native/bind/merge.cpp", "native/bind/norm.cpp", "native/bind/pool.cpp", "native/bind/runtime.cpp",
        "native/ops/attention.cpp", "native/ops/ceilings.cpp", "native/ops/combine.cpp", "native/ops/conv2d.cpp", "native/ops/decoder.cpp", "native/ops/elementwise.cpp",
        "native/ops/gemm.cpp", "native/ops/gemm_bf16.cpp", "native/ops/gemm_kernel.cpp", "native/ops/layout.cpp", "native/ops/merge.cpp", "native/ops/merge_gram.cpp", "native/ops/feature_stats.cpp", "native/ops/norm.cpp",
        "native/ops/pool.cpp", "native/ops/winograd.cpp", "native/ops/winograd_avx2.cpp",
        "native/runtime/cpu.cpp", "native/runtime/thread_pool.cpp"
      ],
      "conditions": [["target_arch=='x64'", {"dependencies": ["ctlkit_avx2", "ctlkit_avx512", "ctlkit_avx512_bf16"]}]],
      "ldflags": ["-pthread"]
    },
    {
      "comment": "Each ISA's kernels with that ISA's flags (the same lists as CMakeLists.txt); runtime/cpu.cpp picks at load.",
      "target_name": "ctlkit_avx2",
      "type": "static_library",
      "sources": ["native/ops/ceilings_avx2.cpp", "native/ops/gemm_kernel_avx2.cpp"],
      "cflags_cc": ["-mavx2", "-mfma"]
    },
    {
      "target_name": "ctlkit_avx512",
      "type": "static_library",
      "sources": ["native/ops/ceilings_avx512.cpp", "native/ops/gemm_kernel_avx512.cpp", "native/ops/feature_stats_avx512.cpp", "native/ops/merge_avx512.cpp", "native/ops/elementwise_avx512.cpp", "native/ops/norm_avx512.cpp", "native/ops/attention_avx512.cpp", "native/ops/winograd_avx512.cpp"],
      "cflags_cc": ["-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mfma"]
    },
    {
      "target_name": "ctlkit_avx512_bf16",
      "type": "static_library",
      "sources": ["native/ops/gemm_bf16_avx512.cpp"],
      "cflags_cc": ["-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mavx512bf16", "-mfma"]
    }
  ]
}
