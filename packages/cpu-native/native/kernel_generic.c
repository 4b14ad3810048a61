/*
 * The portable micro-kernel: GCC/Clang vector extensions, four floats wide, so it
 * compiles to SSE on any x86-64 and to NEON on arm64. A 6 x 8 tile: 12
 * accumulators, two B vectors and a broadcast fit the 16 registers of SSE.
 */
#include "gemm.h"

#define MR 6
#define NR 8

#if defined(__GNUC__) || defined(__clang__)
typedef float v4 __attribute__((vector_size(16)));

static inline v4 load4(const float *p) {
  v4 v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}

static void kernel_6x8(int64_t kc, const float *a, const float *b, float *c, int64_t ldc, float alpha, float beta,
                       int mv, int nv) {
  v4 acc[MR][2];
  for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = (v4){0, 0, 0, 0};
  for (int64_t p = 0; p < kc; p++) {
    v4 b0 = load4(b);
    v4 b1 = load4(b + 4);
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++) {
      v4 ai = (v4){a[i], a[i], a[i], a[i]};
      acc[i][0] += ai * b0;
      acc[i][1] += ai * b1;
    }
    a += MR;
    b += NR;
  }
  float tile[MR * NR];
  for (int i = 0; i < MR; i++) {
    __builtin_memcpy(tile + i * NR, &acc[i][0], sizeof(v4));
    __builtin_memcpy(tile + i * NR + 4, &acc[i][1], sizeof(v4));
  }
  store_tile_scalar(tile, NR, c, ldc, alpha, beta, mv, nv);
}
#else
static void kernel_6x8(int64_t kc, const float *a, const float *b, float *c, int64_t ldc, float alpha, float beta,
                       int mv, int nv) {
  float tile[MR * NR] = {0};
  for (int64_t p = 0; p < kc; p++, a += MR, b += NR)
    for (int i = 0; i < MR; i++)
      for (int j = 0; j < NR; j++) tile[i * NR + j] += a[i] * b[j];
  store_tile_scalar(tile, NR, c, ldc, alpha, beta, mv, nv);
}
#endif

static const kernel_desc desc = {"generic", MR, NR, 256, 120, 512, kernel_6x8, pack_a, pack_b};
const kernel_desc *kernel_generic(void) { return &desc; }
