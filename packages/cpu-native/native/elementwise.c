/*
 * out[i] = a[i] + (b[i] * s), each operation rounded to float32 on its own (never a
 * fused multiply-add): the bits of the two separate float32 operations the
 * JavaScript kernels do (a LoRA layer's scaled low-rank term added to its base
 * product; with s = 1 or -1, an add or a subtract). Memory-bound, so a plain
 * loop the compiler vectorises; contraction is switched off for GCC (which
 * contracts across statements by default) and Clang alike.
 */
#include "gemm.h"

#if defined(__GNUC__) && !defined(__clang__)
#define NO_CONTRACT __attribute__((optimize("fp-contract=off")))
#else
#define NO_CONTRACT
#endif

NO_CONTRACT void molrl_scale_add(const float *a, const float *b, float s, float *out, int64_t n) {
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif
  for (int64_t i = 0; i < n; i++) {
    const float scaled = b[i] * s;
    out[i] = a[i] + scaled;
  }
}
