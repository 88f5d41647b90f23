{
  "targets": [
    {
      "target_name": "isbe",
      "sources": [
        "native/addon.cc",
        "native/allocator.cc",
        "native/flatten.cc",
        "native/full_kernel_conv.cc",
        "native/gate.cc",
        "native/handle.cc",
        "native/ops_math.cc",
        "native/ops_nn.cc",
        "native/ops_tensor.cc",
        "native/ops_training.cc",
        "native/profiler.cc",
        "native/single_channel_conv.cc",
        "native/winograd.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node scripts/libtorch.mjs includes)"
      ],
      "defines": [
        "<!@(node scripts/libtorch.mjs defines)",
        "NAPI_VERSION=8",
        "NODE_ADDON_API_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED"
      ],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags_cc": [
        "-std=c++17",
        "-O3",
        "-march=native",
        "-fopenmp",
        "-fno-math-errno",
        "-fexceptions",
        "-frtti",
        "-Wno-unused-parameter",
        "-Wno-deprecated-declarations"
      ],
      "ldflags": ["-fopenmp", "<!@(node scripts/libtorch.mjs ldflags)"],
      "libraries": ["<!@(node scripts/libtorch.mjs libs)"]
    }
  ]
}
