#include "gemm.h"

/* The edge tiles of every kernel: the accumulators come out through a small buffer. */
void store_tile_scalar(const float *acc, int nr, float *c, int64_t ldc, float alpha, float beta, int mv, int nv) {
  for (int i = 0; i < mv; i++) {
    float *row = c + i * ldc;
    const float *src = acc + i * nr;
    if (beta == 0.0f) {
      for (int j = 0; j < nv; j++) row[j] = alpha * src[j];
    } else {
      for (int j = 0; j < nv; j++) row[j] = alpha * src[j] + beta * row[j];
    }
  }
}
