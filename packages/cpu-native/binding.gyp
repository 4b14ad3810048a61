{
  "targets": [
    {
      "target_name": "molrl_cpu_native",
      "sources": [
        "native/addon.c",
        "native/gemm.c",
        "native/gemv.c",
        "native/elementwise.c",
        "native/dropout.c",
        "native/rms_norm.c",
        "native/pack.c",
        "native/pool.c",
        "native/tile.c",
        "native/cpu.c",
        "native/kernel_avx512.c",
        "native/kernel_avx2.c",
        "native/kernel_generic.c"
      ],
      "cflags!": ["-O2", "-O0"],
      "cflags_c": ["-std=gnu11", "-O3", "-fno-math-errno", "-pthread"],
      "ldflags": ["-pthread"],
      "xcode_settings": {
        "GCC_OPTIMIZATION_LEVEL": "3",
        "OTHER_CFLAGS": ["-std=gnu11", "-fno-math-errno"]
      }
    }
  ]
}
