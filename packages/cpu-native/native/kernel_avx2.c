/*
 * AVX2 + FMA micro-kernel: a 6 x 16 tile of C in 12 ymm accumulators (BLIS's
 * haswell shape), two B loads and six broadcasts per k step.
 */
#include "gemm.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define MR 6
#define NR 16

#define TARGET __attribute__((target("avx2,fma")))

TARGET static void kernel_6x16(int64_t kc, const float *a, const float *b, float *c, int64_t ldc, float alpha,
                               float beta, int mv, int nv) {
  __m256 acc[MR][2];
#pragma GCC unroll 6
  for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
#pragma GCC unroll 4
  for (int64_t p = 0; p < kc; p++) {
    __m256 b0 = _mm256_load_ps(b);
    __m256 b1 = _mm256_load_ps(b + 8);
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++) {
      __m256 ai = _mm256_broadcast_ss(a + i);
      acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
    }
    a += MR;
    b += NR;
  }
  if (mv == MR && nv == NR) {
    __m256 va = _mm256_set1_ps(alpha);
    if (beta == 0.0f) {
#pragma GCC unroll 6
      for (int i = 0; i < MR; i++) {
        _mm256_storeu_ps(c + i * ldc, _mm256_mul_ps(va, acc[i][0]));
        _mm256_storeu_ps(c + i * ldc + 8, _mm256_mul_ps(va, acc[i][1]));
      }
    } else {
      __m256 vb = _mm256_set1_ps(beta);
#pragma GCC unroll 6
      for (int i = 0; i < MR; i++) {
        __m256 c0 = _mm256_mul_ps(vb, _mm256_loadu_ps(c + i * ldc));
        __m256 c1 = _mm256_mul_ps(vb, _mm256_loadu_ps(c + i * ldc + 8));
        _mm256_storeu_ps(c + i * ldc, _mm256_fmadd_ps(va, acc[i][0], c0));
        _mm256_storeu_ps(c + i * ldc + 8, _mm256_fmadd_ps(va, acc[i][1], c1));
      }
    }
    return;
  }
  float tile[MR * NR] __attribute__((aligned(32)));
#pragma GCC unroll 6
  for (int i = 0; i < MR; i++) {
    _mm256_store_ps(tile + i * NR, acc[i][0]);
    _mm256_store_ps(tile + i * NR + 8, acc[i][1]);
  }
  store_tile_scalar(tile, NR, c, ldc, alpha, beta, mv, nv);
}

static const kernel_desc desc = {"avx2", MR, NR, 256, 144, 512, kernel_6x16, pack_a, pack_b};
const kernel_desc *kernel_avx2(void) { return &desc; }

#else
const kernel_desc *kernel_avx2(void) { return 0; }
#endif
