/*
 * AVX-512F micro-kernel: a 14 x 32 tile of C in 28 zmm accumulators (two per row),
 * per k step two vector loads of the B panel and 14 broadcasts of the A panel
 * (folded into the FMAs as memory operands), 28 FMAs. Compiled for avx512f by
 * function attribute, so the binary runs on any x86-64 CPU and this is used only
 * where cpuid says so.
 */
#include "gemm.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define MR 14
#define NR 32

#define TARGET __attribute__((target("avx512f")))

TARGET static void kernel_14x32(int64_t kc, const float *a, const float *b, float *c, int64_t ldc, float alpha,
                                float beta, int mv, int nv) {
  __m512 acc[MR][2];
#pragma GCC unroll 14
  for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  /* C is touched once per kc block: start fetching it while the k loop runs. */
  for (int i = 0; i < mv; i++) {
    _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch((const char *)(c + i * ldc + 16), _MM_HINT_T0);
  }
#pragma GCC unroll 4
  for (int64_t p = 0; p < kc; p++) {
    __m512 b0 = _mm512_load_ps(b);
    __m512 b1 = _mm512_load_ps(b + 16);
    _mm_prefetch((const char *)(b + 8 * NR), _MM_HINT_T0);
#pragma GCC unroll 14
    for (int i = 0; i < MR; i++) {
      __m512 ai = _mm512_set1_ps(a[i]);
      acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
    }
    a += MR;
    b += NR;
  }
  if (mv == MR && nv == NR) {
    __m512 va = _mm512_set1_ps(alpha);
    if (beta == 0.0f) {
#pragma GCC unroll 14
      for (int i = 0; i < MR; i++) {
        _mm512_storeu_ps(c + i * ldc, _mm512_mul_ps(va, acc[i][0]));
        _mm512_storeu_ps(c + i * ldc + 16, _mm512_mul_ps(va, acc[i][1]));
      }
    } else if (beta == 1.0f) {
#pragma GCC unroll 14
      for (int i = 0; i < MR; i++) {
        _mm512_storeu_ps(c + i * ldc, _mm512_fmadd_ps(va, acc[i][0], _mm512_loadu_ps(c + i * ldc)));
        _mm512_storeu_ps(c + i * ldc + 16, _mm512_fmadd_ps(va, acc[i][1], _mm512_loadu_ps(c + i * ldc + 16)));
      }
    } else {
      __m512 vb = _mm512_set1_ps(beta);
#pragma GCC unroll 14
      for (int i = 0; i < MR; i++) {
        __m512 c0 = _mm512_mul_ps(vb, _mm512_loadu_ps(c + i * ldc));
        __m512 c1 = _mm512_mul_ps(vb, _mm512_loadu_ps(c + i * ldc + 16));
        _mm512_storeu_ps(c + i * ldc, _mm512_fmadd_ps(va, acc[i][0], c0));
        _mm512_storeu_ps(c + i * ldc + 16, _mm512_fmadd_ps(va, acc[i][1], c1));
      }
    }
    return;
  }
  float tile[MR * NR] __attribute__((aligned(64)));
#pragma GCC unroll 14
  for (int i = 0; i < MR; i++) {
    _mm512_store_ps(tile + i * NR, acc[i][0]);
    _mm512_store_ps(tile + i * NR + 16, acc[i][1]);
  }
  store_tile_scalar(tile, NR, c, ldc, alpha, beta, mv, nv);
}

static const kernel_desc desc = {"avx512f", MR, NR, 256, 196, 512, kernel_14x32};
const kernel_desc *kernel_avx512(void) { return &desc; }

#else
const kernel_desc *kernel_avx512(void) { return 0; }
#endif
