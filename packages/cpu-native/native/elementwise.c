/*
 * out[i] = a[i] + (b[i] * s), each operation rounded to float32 on its own (never a
 * fused multiply-add): the bits of the two separate float32 operations the
 * JavaScript kernels do (a LoRA layer's scaled low-rank term added to its base
 * product; with s = 1 or -1, an add or a subtract). Memory-bound, so a plain
 * loop the compiler vectorises, large arrays split across the pool's threads;
 * contraction is switched off for GCC (which contracts across statements by
 * default) and Clang alike.
 */
#include "gemm.h"
#include "pool.h"

#if defined(__GNUC__) && !defined(__clang__)
#define NO_CONTRACT __attribute__((optimize("fp-contract=off")))
#else
#define NO_CONTRACT
#endif

typedef struct {
  const float *a, *b;
  float s;
  float *out;
} scale_add_job;

static NO_CONTRACT void scale_add_range(void *ctx, int64_t begin, int64_t end) {
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif
  const scale_add_job *job = (const scale_add_job *)ctx;
  const float *a = job->a, *b = job->b, s = job->s;
  float *out = job->out;
  for (int64_t i = begin; i < end; i++) {
    const float scaled = b[i] * s;
    out[i] = a[i] + scaled;
  }
}

/* Below this many elements one thread is done before the pool's threads would wake. */
#define MIN_PARALLEL_ELEMENTS ((int64_t)1 << 17)

void molrl_scale_add(const float *a, const float *b, float s, float *out, int64_t n) {
  scale_add_job job = {a, b, s, out};
  /* Ranges of whole cache lines; out may be a or b itself, each element read before it is written. */
  pool_for(n, 16, n >= MIN_PARALLEL_ELEMENTS, scale_add_range, &job);
}
