/*
 * Single-precision GEMM for @molrl/cpu-native: C = alpha * op(A) op(B) + beta * C,
 * row-major, batched with strides, B in float32, bfloat16 or float16 (widened while
 * packed). BLIS-style: A and B packed into micro-panels, a register-blocked
 * micro-kernel per instruction set chosen at run time, a small thread pool.
 */
#ifndef MOLRL_GEMM_H
#define MOLRL_GEMM_H

#include <stdint.h>

typedef enum { ELEM_F32 = 0, ELEM_BF16 = 1, ELEM_F16 = 2 } elem_t;

typedef struct {
  int64_t m, n, k, batch;
  /* op(A) is m x k: element (i, p) at a[i * lda + p], or a[p * lda + i] when trans_a. */
  const float *a;
  int64_t lda, stride_a;
  int trans_a;
  /* op(B) is k x n: element (p, j) at b[p * ldb + j], or b[j * ldb + p] when trans_b. */
  const void *b;
  int64_t ldb, stride_b;
  int trans_b;
  elem_t b_elem;
  float *c;
  int64_t ldc, stride_c;
  float alpha, beta;
} gemm_args;

/*
 * A micro-kernel: C[0:mv, 0:nv] = alpha * (A panel x B panel) + beta * C over kc steps
 * (beta == 0: C is not read, so NaN in it does not leak in). The A panel holds mr
 * values per step, the B panel nr; rows past mv and columns past nv are padding.
 */
typedef void (*ukernel_fn)(int64_t kc, const float *a, const float *b, float *c, int64_t ldc, float alpha,
                           float beta, int mv, int nv);

typedef void (*pack_a_fn)(const float *a, int64_t lda, int trans, int64_t i0, int mv, int64_t k0, int64_t kc, int mr,
                          float *dst);
typedef void (*pack_b_fn)(const void *b, elem_t elem, int64_t ldb, int trans, int64_t j0, int nv, int64_t k0,
                          int64_t kc, int nr, float *dst);

typedef struct {
  const char *isa;
  int mr, nr;
  /* Cache blocking: kc steps per block (B micro-panel in L1), mc rows per task (A block in L2), nc columns per task. */
  int kc, mc, nc;
  ukernel_fn kernel;
  /* Packers for this instruction set (the transposing layouts are where vectors pay). */
  pack_a_fn pack_a;
  pack_b_fn pack_b;
} kernel_desc;

/* The kernels built into this binary; NULL where the compiler or target lacks them. */
const kernel_desc *kernel_avx512(void);
const kernel_desc *kernel_avx2(void);
const kernel_desc *kernel_generic(void);

/* Which instruction sets this CPU (and OS) runs. */
int cpu_has_avx512f(void);
int cpu_has_avx2_fma(void);
/* Whether the row and elementwise loops (dropout, the RMSNorm family) take their AVX2 versions:
 * the CPU runs AVX2 and setIsa did not choose the generic kernel. */
int use_avx2_loops(void);

/* Writes an MR x NR accumulator tile (row-major, stride nr) into C, honouring mv, nv, alpha, beta. */
void store_tile_scalar(const float *acc, int nr, float *c, int64_t ldc, float alpha, float beta, int mv, int nv);

/* Packing (pack.c): the portable packers, which the instruction-set ones fall back to. */
void pack_a(const float *a, int64_t lda, int trans, int64_t i0, int mv, int64_t k0, int64_t kc, int mr, float *dst);
void pack_b(const void *b, elem_t elem, int64_t ldb, int trans, int64_t j0, int nv, int64_t k0, int64_t kc, int nr,
            float *dst);
float half_to_float(uint16_t h);

/* The driver (gemm.c). Returns 0, or -1 when memory for the packed operands cannot be had. */
int molrl_sgemm(const gemm_args *args);

/*
 * C (m x n) = op(A) (m x k) op(B) for a few rows of A, B read once and as stored
 * (gemv.c): trans_b (a linear layer's weight): B stored [n, k], op(B) = B^T; else B
 * stored [k, n] (attention's values against its probabilities). Rows of B ldb apart.
 */
typedef struct {
  int64_t m, n, k;
  /* op(A) is m x k: element (i, p) at a[i * lda + p], or a[p * lda + i] when trans_a. */
  const float *a;
  int64_t lda;
  int trans_a;
  const void *b;
  int64_t ldb;
  int trans_b;
  elem_t b_elem;
  float *c;
  int64_t ldc;
} gemv_args;

/* Returns 0, or -1 when memory for a copy of A cannot be had. */
int molrl_gemv(const gemv_args *args);

/* Selection and tuning (gemm.c). */
const kernel_desc *gemm_kernel(void);
int gemm_select_isa(const char *isa); /* 0 ok, -1 unknown name, -2 not supported here */
/* Blocking overrides (0: the kernel's default) and the packed-operand budget of a pass in floats (0: 64 MiB). */
void gemm_set_blocking(int kc, int mc, int nc, int64_t budget);
void gemm_release_memory(void);

/* out[i] = a[i] + b[i] * s, each operation rounded on its own (elementwise.c). */
void molrl_scale_add(const float *a, const float *b, float s, float *out, int64_t n);

/* Inverted dropout of x[0..n) as elements first.. of the Philox stream of (k0, k1) (dropout.c). */
void molrl_dropout(const float *x, float *out, int64_t n, int64_t first, uint32_t k0, uint32_t k1, uint32_t keep_from,
                   float scale);

/*
 * RMSNorm over rows of d, forward (the bits of the cpu backend's WebAssembly kernel)
 * and gradient, and RMSNorm + rotary embedding forward and gradient over x [b, t, h, d]
 * with y / dy [b, h, t, d] (rms_norm.c; the others the bits of the cpu backend's
 * JavaScript). Scratch: dw of d doubles; for rms_norm_grad 2 RMS_NORM_ROWS doubles;
 * for rms_norm_rope_grad 2 h doubles and g of h d floats. cos / sin hold the angles of
 * every position given, D/2 values per position.
 */
#define RMS_NORM_ROWS 8
void molrl_rms_norm(const float *x, const float *w, float *y, int64_t rows, int64_t d, double eps);
void molrl_rms_norm_grad(const float *dy, const float *x, const float *w, float *dx, float *dweight, int64_t rows,
                         int64_t d, double eps, double *dw, double *scratch);
void molrl_rms_norm_rope(const float *x, const float *w, const int32_t *positions, const float *cos, const float *sin,
                         float *y, int64_t b, int64_t t, int64_t h, int64_t d, double eps);
void molrl_rms_norm_rope_grad(const float *dy, const float *x, const float *w, const int32_t *positions,
                              const float *cos, const float *sin, float *dx, float *dweight, int64_t b, int64_t t,
                              int64_t h, int64_t d, double eps, double *dw, double *scratch, float *g);

#endif
