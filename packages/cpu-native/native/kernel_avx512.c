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

/* 16 rows of 16 floats transposed in registers (unpack, shuffle within lanes, then across lanes). */
TARGET static inline void transpose16(__m512 r[16]) {
  __m512 t[16];
#pragma GCC unroll 8
  for (int i = 0; i < 8; i++) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  /* r[4g + c], lane L: rows 4g..4g+3 of column 4L + c */
#pragma GCC unroll 4
  for (int g = 0; g < 4; g++) {
    r[4 * g] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], _MM_SHUFFLE(1, 0, 1, 0));
    r[4 * g + 1] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], _MM_SHUFFLE(3, 2, 3, 2));
    r[4 * g + 2] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], _MM_SHUFFLE(1, 0, 1, 0));
    r[4 * g + 3] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
#pragma GCC unroll 4
  for (int c = 0; c < 4; c++) {
    t[c] = _mm512_shuffle_f32x4(r[c], r[4 + c], 0x88);
    t[4 + c] = _mm512_shuffle_f32x4(r[c], r[4 + c], 0xDD);
    t[8 + c] = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0x88);
    t[12 + c] = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0xDD);
  }
#pragma GCC unroll 4
  for (int c = 0; c < 4; c++) {
    r[c] = _mm512_shuffle_f32x4(t[c], t[8 + c], 0x88);
    r[8 + c] = _mm512_shuffle_f32x4(t[c], t[8 + c], 0xDD);
    r[4 + c] = _mm512_shuffle_f32x4(t[4 + c], t[12 + c], 0x88);
    r[12 + c] = _mm512_shuffle_f32x4(t[4 + c], t[12 + c], 0xDD);
  }
}

/* 16 consecutive elements of B as floats. */
TARGET static inline __m512 load16(const void *b, elem_t elem, int64_t at) {
  switch (elem) {
    case ELEM_BF16:
      return _mm512_castsi512_ps(
          _mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)((const uint16_t *)b + at))), 16));
    case ELEM_F16:
      return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)((const uint16_t *)b + at)));
    default:
      return _mm512_loadu_ps((const float *)b + at);
  }
}

/*
 * B panels: a transposed B (stored n x k, a linear layer's weight) is read 16 rows
 * by 16 steps and transposed in registers; a half-precision B not transposed is
 * widened 16 at a time. Edges and the plain float32 copy go to the portable packer.
 */
TARGET static void pack_b_avx512(const void *b, elem_t elem, int64_t ldb, int trans, int64_t j0, int nv, int64_t k0,
                                 int64_t kc, int nr, float *dst) {
  if (trans && nv == nr) {
    int64_t full = kc / 16 * 16;
    for (int h = 0; h < nr; h += 16) {
      for (int64_t p = 0; p < full; p += 16) {
        __m512 r[16];
#pragma GCC unroll 16
        for (int i = 0; i < 16; i++) r[i] = load16(b, elem, (j0 + h + i) * ldb + k0 + p);
        transpose16(r);
#pragma GCC unroll 16
        for (int i = 0; i < 16; i++) _mm512_storeu_ps(dst + (p + i) * nr + h, r[i]);
      }
    }
    if (full < kc) pack_b(b, elem, ldb, trans, j0, nv, k0 + full, kc - full, nr, dst + full * nr);
    return;
  }
  if (!trans && elem != ELEM_F32 && nv == nr) {
    for (int64_t p = 0; p < kc; p++)
      for (int h = 0; h < nr; h += 16) _mm512_storeu_ps(dst + p * nr + h, load16(b, elem, (k0 + p) * ldb + j0 + h));
    return;
  }
  pack_b(b, elem, ldb, trans, j0, nv, k0, kc, nr, dst);
}

/* A panels of a row-major A (mr rows, k contiguous): 16 steps of up to 16 rows transposed in registers. */
TARGET static void pack_a_avx512(const float *a, int64_t lda, int trans, int64_t i0, int mv, int64_t k0, int64_t kc,
                                 int mr, float *dst) {
  if (trans || mr > 16) {
    pack_a(a, lda, trans, i0, mv, k0, kc, mr, dst);
    return;
  }
  int64_t full = kc / 16 * 16;
  __mmask16 keep = (__mmask16)((1u << mr) - 1);
  for (int64_t p = 0; p < full; p += 16) {
    __m512 r[16];
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++)
      r[i] = i < mv ? _mm512_loadu_ps(a + (i0 + i) * lda + k0 + p) : _mm512_setzero_ps();
    transpose16(r);
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++) _mm512_mask_storeu_ps(dst + (p + i) * mr, keep, r[i]);
  }
  if (full < kc) pack_a(a, lda, trans, i0, mv, k0 + full, kc - full, mr, dst + full * mr);
}

static const kernel_desc desc = {"avx512f", MR, NR, 256, 196, 512, kernel_14x32, pack_a_avx512, pack_b_avx512};
const kernel_desc *kernel_avx512(void) { return &desc; }

#else
const kernel_desc *kernel_avx512(void) { return 0; }
#endif
