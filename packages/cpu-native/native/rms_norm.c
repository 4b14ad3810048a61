/*
 * RMSNorm (forward and gradient), and RMSNorm fused with the rotary embedding
 * (forward and gradient), for @molrl/gpu-backend's cpu kernels. The gradient and
 * the fused kernels are in float64 with the operations of that package's
 * JavaScript in the same order, so the bits are the same: a row's sum of squares and its dot product are each one chain of adds in
 * element order, every product is rounded where JavaScript rounds it, and dweight
 * adds the rows' terms in row order at every element. Contraction is off (a fused
 * multiply-add would round once where JavaScript rounds twice).
 *
 * The plain forward follows that package's WebAssembly kernel instead (its two
 * partial sums per row, a float32 factor and float32 products): the bits of the
 * kernel it stands in for.
 *
 * Speed comes from independence, not reordering: ROWS rows' chains run side by
 * side (one chain waits out its adds' latency; several overlap), and the loops with
 * no chain (the scaling, the rotations, dx, dweight) are elementwise, vectorised by
 * the compiler: at 256 bits where AVX2 runs (rms_norm_rows.h built twice). The
 * forwards' rows are split across the pool's threads; the gradients run on the
 * caller (their dweight sums the rows in order).
 */
#include <math.h>
#include <string.h>

#include "gemm.h"
#include "pool.h"

#if defined(__GNUC__) && !defined(__clang__)
#define NO_CONTRACT __attribute__((optimize("fp-contract=off")))
#else
#define NO_CONTRACT
#endif
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

/* Rows whose chains go side by side. */
#define ROWS RMS_NORM_ROWS

#define RN_TARGET
#define RN(name) name##_generic
#include "rms_norm_rows.h"
#undef RN_TARGET
#undef RN

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define RN_TARGET __attribute__((target("avx2")))
#define RN(name) name##_avx2
#include "rms_norm_rows.h"
#undef RN_TARGET
#undef RN

#define DISPATCH(name, ...) (use_avx2_loops() ? name##_avx2(__VA_ARGS__) : name##_generic(__VA_ARGS__))
#else
#define DISPATCH(name, ...) name##_generic(__VA_ARGS__)
#endif

/* Elements below which one thread is done before the pool's threads would wake. */
#define MIN_PARALLEL_ELEMENTS ((int64_t)1 << 16)

typedef struct {
  const float *x, *w;
  float *y;
  int64_t d;
  double eps;
} norm_job;

static void norm_range(void *ctx, int64_t first, int64_t last) {
  const norm_job *j = (const norm_job *)ctx;
  DISPATCH(rms_norm_rows, j->x + first * j->d, j->w, j->y + first * j->d, last - first, j->d, j->eps);
}

void molrl_rms_norm(const float *x, const float *w, float *y, int64_t rows, int64_t d, double eps) {
  norm_job job = {x, w, y, d, eps};
  /* Rows are independent: split across the pool's threads, whole groups of ROWS. */
  pool_for(rows, ROWS, rows * d >= MIN_PARALLEL_ELEMENTS, norm_range, &job);
}

void molrl_rms_norm_grad(const float *dy, const float *x, const float *w, float *dx, float *dweight, int64_t rows,
                         int64_t d, double eps, double *dw, double *scratch) {
  memset(dw, 0, (size_t)d * sizeof(double));
  DISPATCH(rms_norm_grad, dy, x, w, dx, rows, d, eps, dw, scratch);
  for (int64_t c = 0; c < d; c++) dweight[c] = (float)dw[c];
}

typedef struct {
  const float *x, *w;
  const int32_t *positions;
  const float *cos, *sin;
  float *y;
  int64_t t, h, d;
  double eps;
} rope_job;

static void rope_range(void *ctx, int64_t first, int64_t last) {
  const rope_job *j = (const rope_job *)ctx;
  DISPATCH(rms_norm_rope, j->x, j->w, j->positions, j->cos, j->sin, j->y, first, last, j->t, j->h, j->d, j->eps);
}

void molrl_rms_norm_rope(const float *x, const float *w, const int32_t *positions, const float *cos, const float *sin,
                         float *y, int64_t b, int64_t t, int64_t h, int64_t d, double eps) {
  rope_job job = {x, w, positions, cos, sin, y, t, h, d, eps};
  /* Tokens are independent (each writes its own rows of y): split across the pool's threads. */
  pool_for(b * t, 1, b * t * h * d >= MIN_PARALLEL_ELEMENTS, rope_range, &job);
}

void molrl_rms_norm_rope_grad(const float *dy, const float *x, const float *w, const int32_t *positions,
                              const float *cos, const float *sin, float *dx, float *dweight, int64_t b, int64_t t,
                              int64_t h, int64_t d, double eps, double *dw, double *scratch, float *g) {
  memset(dw, 0, (size_t)d * sizeof(double));
  DISPATCH(rms_norm_rope_grad, dy, x, w, positions, cos, sin, dx, b, t, h, d, eps, dw, scratch, g);
  for (int64_t c = 0; c < d; c++) dweight[c] = (float)dw[c];
}
