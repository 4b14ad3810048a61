/*
 * Packing: a micro-panel of op(A) holds mr rows, step by step (dst[p * mr + r]); one
 * of op(B) holds nr columns (dst[p * nr + j]). Rows and columns past the matrix are
 * zeros. Transposes are taken here, so the kernels see one layout; bfloat16 and
 * float16 B are widened here, so a half-precision weight is never copied whole.
 */
#include <string.h>

#include "gemm.h"

float half_to_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t man = h & 0x3ff;
  uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (man << 13); /* inf, NaN (payload kept) */
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (man << 13);
  } else if (man == 0) {
    bits = sign;
  } else {
    /* subnormal: normalise */
    int shift = 0;
    while (!(man & 0x400)) {
      man <<= 1;
      shift++;
    }
    man &= 0x3ff;
    bits = sign | ((uint32_t)(113 - shift) << 23) | (man << 13);
  }
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

static inline float bf16_to_float(uint16_t h) {
  uint32_t bits = (uint32_t)h << 16;
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

void pack_a(const float *a, int64_t lda, int trans, int64_t i0, int mv, int64_t k0, int64_t kc, int mr, float *dst) {
  if (!trans) {
    for (int r = 0; r < mv; r++) {
      const float *src = a + (i0 + r) * lda + k0;
      float *d = dst + r;
      for (int64_t p = 0; p < kc; p++) d[p * mr] = src[p];
    }
    for (int r = mv; r < mr; r++)
      for (int64_t p = 0; p < kc; p++) dst[p * mr + r] = 0.0f;
  } else {
    for (int64_t p = 0; p < kc; p++) {
      const float *src = a + (k0 + p) * lda + i0;
      float *d = dst + p * mr;
      memcpy(d, src, (size_t)mv * sizeof(float));
      for (int r = mv; r < mr; r++) d[r] = 0.0f;
    }
  }
}

/* One macro body per element type, so each inner loop is a plain typed copy the compiler vectorises. */
#define PACK_B_BODY(T, CONVERT)                                                       \
  do {                                                                                \
    const T *bb = (const T *)b;                                                       \
    if (!trans) {                                                                     \
      for (int64_t p = 0; p < kc; p++) {                                              \
        const T *src = bb + (k0 + p) * ldb + j0;                                      \
        float *d = dst + p * nr;                                                      \
        for (int j = 0; j < nv; j++) d[j] = CONVERT(src[j]);                          \
        for (int j = nv; j < nr; j++) d[j] = 0.0f;                                    \
      }                                                                               \
    } else {                                                                          \
      for (int j = 0; j < nv; j++) {                                                  \
        const T *src = bb + (j0 + j) * ldb + k0;                                      \
        float *d = dst + j;                                                           \
        for (int64_t p = 0; p < kc; p++) d[p * nr] = CONVERT(src[p]);                 \
      }                                                                               \
      for (int j = nv; j < nr; j++)                                                   \
        for (int64_t p = 0; p < kc; p++) dst[p * nr + j] = 0.0f;                      \
    }                                                                                 \
  } while (0)

#define AS_IS(x) (x)

void pack_b(const void *b, elem_t elem, int64_t ldb, int trans, int64_t j0, int nv, int64_t k0, int64_t kc, int nr,
            float *dst) {
  switch (elem) {
    case ELEM_F32:
      PACK_B_BODY(float, AS_IS);
      break;
    case ELEM_BF16:
      PACK_B_BODY(uint16_t, bf16_to_float);
      break;
    case ELEM_F16:
      PACK_B_BODY(uint16_t, half_to_float);
      break;
  }
}
