/*
 * Matrix-vector products for decoding: C (m x n) = A (m x k) op(B) for a few rows of A,
 * against a weight B stored [n, k] (a linear layer's layout, op(B) = B^T) or a matrix
 * stored [k, n] (attention's cached values, op(B) = B). At one token per step every
 * byte of B is read once and used m times, so the product is bound by memory: no
 * packing (the GEMM would write and read a widened copy of B), B read as stored
 * (bfloat16/float16 bits widened in registers), and its rows (or columns) split across
 * the pool's threads so that both cores' share of the memory bandwidth is used.
 */
#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "pool.h"

/* Rows of B a kernel call reads together (independent accumulators hide the FMA latency). */
#define ROWS 4
/* Columns a task of the [k, n] product covers a multiple of: the widest kernel's tile (AVX-512's 8 x 16 floats). */
#define COL_TILE 128
/* Elements of B below which one thread does the whole product (waking the pool costs microseconds). */
#define MIN_PARALLEL_ELEMENTS ((int64_t)1 << 16)

/* C[i * ldc + j] for j in [j0, j1), every i < m; A contiguous m x k. (The rows kernels and the [k, n] ones.) */
typedef void (*gemv_rows_fn)(const gemv_args *g, const float *a, int64_t j0, int64_t j1);

static float scalar_at(const void *b, elem_t elem, int64_t index) {
  switch (elem) {
    case ELEM_F32:
      return ((const float *)b)[index];
    case ELEM_BF16: {
      uint32_t bits = (uint32_t)((const uint16_t *)b)[index] << 16;
      float f;
      memcpy(&f, &bits, sizeof f);
      return f;
    }
    default:
      return half_to_float(((const uint16_t *)b)[index]);
  }
}

static const void *row_of(const gemv_args *g, int64_t j) {
  return (const char *)g->b + (size_t)(j * g->ldb) * (g->b_elem == ELEM_F32 ? 4 : 2);
}

/* The portable rows: four rows of B at a time, plain loops the compiler may vectorise. */
static void gemv_rows_generic(const gemv_args *g, const float *a, int64_t j0, int64_t j1) {
  const int64_t k = g->k;
  for (int64_t j = j0; j < j1; j += ROWS) {
    int rows = j1 - j < ROWS ? (int)(j1 - j) : ROWS;
    const void *b[ROWS];
    for (int r = 0; r < rows; r++) b[r] = row_of(g, j + r);
    for (int64_t i = 0; i < g->m; i++) {
      const float *ai = a + i * k;
      for (int r = 0; r < rows; r++) {
        float s = 0;
        if (g->b_elem == ELEM_F32) {
          const float *br = (const float *)b[r];
          for (int64_t p = 0; p < k; p++) s += ai[p] * br[p];
        } else {
          for (int64_t p = 0; p < k; p++) s += ai[p] * scalar_at(b[r], g->b_elem, p);
        }
        g->c[i * g->ldc + j + r] = s;
      }
    }
  }
}

/* B stored [k, n]: C[i][j] = sum_p A[i][p] B[p][j] for j in [j0, j1), accumulated in C's row. */
static void gemv_cols_generic(const gemv_args *g, const float *a, int64_t j0, int64_t j1) {
  const int64_t k = g->k;
  for (int64_t i = 0; i < g->m; i++) {
    float *ci = g->c + i * g->ldc;
    const float *ai = a + i * k;
    for (int64_t j = j0; j < j1; j++) ci[j] = 0;
    for (int64_t p = 0; p < k; p++) {
      const void *row = row_of(g, p);
      const float x = ai[p];
      if (g->b_elem == ELEM_F32) {
        const float *br = (const float *)row;
        for (int64_t j = j0; j < j1; j++) ci[j] += x * br[j];
      } else {
        for (int64_t j = j0; j < j1; j++) ci[j] += x * scalar_at(row, g->b_elem, j);
      }
    }
  }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))
#define AVX2 __attribute__((target("avx2,fma,f16c")))
#define INLINE static inline __attribute__((always_inline))
#define ESIZE(elem) ((elem) == ELEM_F32 ? 4 : 2)

INLINE AVX512 __m512 load16(const void *b, elem_t elem, int64_t p) {
  if (elem == ELEM_F32) return _mm512_loadu_ps((const float *)b + p);
  __m256i bits = _mm256_loadu_si256((const __m256i *)((const uint16_t *)b + p));
  if (elem == ELEM_BF16) return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(bits), 16));
  return _mm512_cvtph_ps(bits);
}

INLINE AVX2 __m256 load8(const void *b, elem_t elem, int64_t p) {
  if (elem == ELEM_F32) return _mm256_loadu_ps((const float *)b + p);
  __m128i bits = _mm_loadu_si128((const __m128i *)((const uint16_t *)b + p));
  if (elem == ELEM_BF16) return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(bits), 16));
  return _mm256_cvtph_ps(bits);
}

INLINE AVX2 float sum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

/* A kernel's entry point: one loop per element type of B (elem a constant in each, so it inlines away). */
#define DEFINE_PER_ELEMENT(NAME, ATTR, OF)                                  \
  ATTR static void NAME(const gemv_args *g, const float *a, int64_t j0, int64_t j1) { \
    if (g->b_elem == ELEM_F32)                                              \
      OF(g, a, j0, j1, ELEM_F32);                                           \
    else if (g->b_elem == ELEM_BF16)                                        \
      OF(g, a, j0, j1, ELEM_BF16);                                          \
    else                                                                    \
      OF(g, a, j0, j1, ELEM_F16);                                           \
  }

/*
 * The row kernels of one instruction set, written once: VEC holds W floats; ZERO,
 * LOAD_A, LOAD_B (a vector of B's row widened from its element type), FMA and SUM
 * (a vector's lanes added) are its operations; MAX_MI rows of A share a tile
 * (accumulators ROWS x MAX_MI must fit the registers with the operands).
 *
 * NAME##_tile: NB rows of B (from row j) against MI rows of A (from row i0), NB x MI
 * accumulators, so each vector of B is loaded and widened once for all MI rows. NB,
 * MI and elem are constants in every caller (the function is inlined), so the
 * accumulators live in registers. While the first rows of A are multiplied, the same
 * columns of the next group of B's rows are prefetched (the hardware prefetcher
 * alone keeps fewer lines in flight), one line per 16 elements.
 */
#define DEFINE_GEMV_ROWS(NAME, ATTR, VEC, W, MAX_MI, ZERO, LOAD_A, LOAD_B, FMA, SUM)                             \
  INLINE ATTR void NAME##_tile(const gemv_args *g, const float *a, int64_t j, int64_t i0, const int NB,           \
                               const int MI, const elem_t elem) {                                                 \
    const int64_t k = g->k, kw = k & ~(int64_t)(W - 1);                                                           \
    const void *b[ROWS];                                                                                          \
    VEC acc[ROWS][MAX_MI];                                                                                        \
    _Pragma("GCC unroll 4") for (int r = 0; r < NB; r++) {                                                        \
      b[r] = row_of(g, j + r);                                                                                    \
      _Pragma("GCC unroll 4") for (int i = 0; i < MI; i++) acc[r][i] = ZERO();                                    \
    }                                                                                                             \
    for (int64_t p = 0; p < kw; p += W) {                                                                         \
      VEC x[MAX_MI];                                                                                              \
      _Pragma("GCC unroll 4") for (int i = 0; i < MI; i++) x[i] = LOAD_A(a + (i0 + i) * k + p);                   \
      _Pragma("GCC unroll 4") for (int r = 0; r < NB; r++) {                                                      \
        if (i0 == 0 && (p & 15) == 0)                                                                             \
          _mm_prefetch((const char *)b[r] + (p + NB * g->ldb) * ESIZE(elem), _MM_HINT_T0);                        \
        VEC bv = LOAD_B(b[r], elem, p);                                                                           \
        _Pragma("GCC unroll 4") for (int i = 0; i < MI; i++) acc[r][i] = FMA(x[i], bv, acc[r][i]);                \
      }                                                                                                           \
    }                                                                                                             \
    _Pragma("GCC unroll 4") for (int r = 0; r < NB; r++) _Pragma("GCC unroll 4") for (int i = 0; i < MI; i++) {   \
      const float *ai = a + (i0 + i) * k;                                                                         \
      float s = SUM(acc[r][i]);                                                                                   \
      for (int64_t p = kw; p < k; p++) s += ai[p] * scalar_at(b[r], elem, p);                                     \
      g->c[(i0 + i) * g->ldc + j + r] = s;                                                                        \
    }                                                                                                             \
  }                                                                                                               \
                                                                                                                  \
  /* NB rows of B against every row of A, MAX_MI rows of A per tile (the last tile takes the rest). */            \
  INLINE ATTR void NAME##_rows_tile(const gemv_args *g, const float *a, int64_t j, const int NB,                  \
                                    const elem_t elem) {                                                          \
    for (int64_t i0 = 0; i0 < g->m; i0 += MAX_MI) {                                                               \
      int mi = g->m - i0 < MAX_MI ? (int)(g->m - i0) : MAX_MI;                                                    \
      if (mi == 1)                                                                                                \
        NAME##_tile(g, a, j, i0, NB, 1, elem);                                                                    \
      else if (mi == 2 || MAX_MI == 2)                                                                            \
        NAME##_tile(g, a, j, i0, NB, 2 < MAX_MI ? 2 : MAX_MI, elem);                                              \
      else if (mi == 3)                                                                                           \
        NAME##_tile(g, a, j, i0, NB, 3 < MAX_MI ? 3 : MAX_MI, elem);                                              \
      else                                                                                                        \
        NAME##_tile(g, a, j, i0, NB, MAX_MI, elem);                                                               \
    }                                                                                                             \
  }                                                                                                               \
                                                                                                                  \
  INLINE ATTR void NAME##_rows_of(const gemv_args *g, const float *a, int64_t j0, int64_t j1, const elem_t elem) { \
    int64_t j = j0;                                                                                               \
    for (; j + ROWS <= j1; j += ROWS) NAME##_rows_tile(g, a, j, ROWS, elem);                                      \
    for (; j < j1; j++) NAME##_rows_tile(g, a, j, 1, elem);                                                       \
  }                                                                                                               \
                                                                                                                  \
  DEFINE_PER_ELEMENT(NAME, ATTR, NAME##_rows_of)

/*
 * The [k, n] kernels (B's rows are k apart in the product's sense: C = A B), written
 * once like the rows above. NAME##_ctile: NV vectors of columns (from column j) of MI
 * rows of A (from row i0), MI x NV accumulators; each step p widens NV vectors of B's
 * row p once for all MI rows, and prefetches the same columns PF_ROWS rows ahead (the
 * rows are ldb apart: the stream is strided when a tile covers part of a row).
 * Columns past the last whole vector are summed one at a time.
 */
#define PF_ROWS 8
#define DEFINE_GEMV_COLS(NAME, ATTR, VEC, W, NV, MAX_MI, ZERO, LOAD_B, FMA, SET1, STORE)                          \
  INLINE ATTR void NAME##_ctile(const gemv_args *g, const float *a, int64_t i0, const int MI, int64_t j,         \
                                const int NVT, const elem_t elem) {                                              \
    const int64_t k = g->k;                                                                                      \
    VEC acc[MAX_MI][NV];                                                                                         \
    _Pragma("GCC unroll 8") for (int i = 0; i < MI; i++) _Pragma("GCC unroll 8") for (int v = 0; v < NVT; v++)   \
        acc[i][v] = ZERO();                                                                                      \
    for (int64_t p = 0; p < k; p++) {                                                                            \
      const void *row = row_of(g, p);                                                                            \
      if (i0 == 0 && p + PF_ROWS < k) /* one prefetch per 64-byte line of the tile's part of the row */         \
        for (int64_t byte = 0; byte < NVT * W * ESIZE(elem); byte += 64)                                         \
          _mm_prefetch((const char *)row_of(g, p + PF_ROWS) + j * ESIZE(elem) + byte, _MM_HINT_T0);              \
      VEC x[MAX_MI];                                                                                             \
      _Pragma("GCC unroll 8") for (int i = 0; i < MI; i++) x[i] = SET1(a[(i0 + i) * k + p]);                     \
      _Pragma("GCC unroll 8") for (int v = 0; v < NVT; v++) {                                                    \
        VEC bv = LOAD_B(row, elem, j + v * W);                                                                   \
        _Pragma("GCC unroll 8") for (int i = 0; i < MI; i++) acc[i][v] = FMA(x[i], bv, acc[i][v]);               \
      }                                                                                                          \
    }                                                                                                            \
    _Pragma("GCC unroll 8") for (int i = 0; i < MI; i++) _Pragma("GCC unroll 8") for (int v = 0; v < NVT; v++)   \
        STORE(g->c + (i0 + i) * g->ldc + j + v * W, acc[i][v]);                                                  \
  }                                                                                                              \
                                                                                                                 \
  /* Columns [j0, j1) of MI rows of A: whole tiles of NV vectors, then single vectors, then single columns. */   \
  INLINE ATTR void NAME##_cols_rows(const gemv_args *g, const float *a, int64_t i0, const int MI, int64_t j0,    \
                                    int64_t j1, const elem_t elem) {                                             \
    int64_t j = j0;                                                                                              \
    for (; j + NV * W <= j1; j += NV * W) NAME##_ctile(g, a, i0, MI, j, NV, elem);                               \
    for (; j + W <= j1; j += W) NAME##_ctile(g, a, i0, MI, j, 1, elem);                                          \
    for (; j < j1; j++)                                                                                          \
      for (int i = 0; i < MI; i++) {                                                                             \
        const float *ai = a + (i0 + i) * g->k;                                                                   \
        float s = 0;                                                                                             \
        for (int64_t p = 0; p < g->k; p++) s += ai[p] * scalar_at(row_of(g, p), elem, j);                        \
        g->c[(i0 + i) * g->ldc + j] = s;                                                                         \
      }                                                                                                          \
  }                                                                                                              \
                                                                                                                 \
  INLINE ATTR void NAME##_cols_of(const gemv_args *g, const float *a, int64_t j0, int64_t j1, const elem_t elem) { \
    int64_t i0 = 0;                                                                                              \
    for (; i0 + MAX_MI <= g->m; i0 += MAX_MI) NAME##_cols_rows(g, a, i0, MAX_MI, j0, j1, elem);                  \
    for (; i0 < g->m; i0++) NAME##_cols_rows(g, a, i0, 1, j0, j1, elem);                                         \
  }                                                                                                              \
                                                                                                                 \
  DEFINE_PER_ELEMENT(NAME, ATTR, NAME##_cols_of)

/* AVX-512: 16 accumulators of 32 registers. */
DEFINE_GEMV_ROWS(gemv_rows_avx512, AVX512, __m512, 16, 4, _mm512_setzero_ps, _mm512_loadu_ps, load16, _mm512_fmadd_ps,
                 _mm512_reduce_add_ps)
/* AVX2: 8 accumulators of 16 registers. */
DEFINE_GEMV_ROWS(gemv_rows_avx2, AVX2, __m256, 8, 2, _mm256_setzero_ps, _mm256_loadu_ps, load8, _mm256_fmadd_ps, sum8)

/* AVX-512: two rows of A by eight vectors (128 float columns): 16 accumulators. */
DEFINE_GEMV_COLS(gemv_cols_avx512, AVX512, __m512, 16, 8, 2, _mm512_setzero_ps, load16, _mm512_fmadd_ps, _mm512_set1_ps,
                 _mm512_storeu_ps)
/* AVX2: two rows of A by four vectors (32 columns): 8 accumulators of 16 registers. */
DEFINE_GEMV_COLS(gemv_cols_avx2, AVX2, __m256, 8, 4, 2, _mm256_setzero_ps, load8, _mm256_fmadd_ps, _mm256_set1_ps,
                 _mm256_storeu_ps)

/* The kernel of this instruction set for B's layout: dot products with rows of B, or sums of its rows. */
static gemv_rows_fn kernel_for(const char *isa, int trans_b) {
  if (strcmp(isa, "avx512f") == 0) return trans_b ? gemv_rows_avx512 : gemv_cols_avx512;
  /* The AVX2 kernels need F16C for their conversions (every AVX2 + FMA processor so far has it). */
  if (strcmp(isa, "avx2") == 0 && __builtin_cpu_supports("f16c")) return trans_b ? gemv_rows_avx2 : gemv_cols_avx2;
  return trans_b ? gemv_rows_generic : gemv_cols_generic;
}
#else
static gemv_rows_fn kernel_for(const char *isa, int trans_b) {
  (void)isa;
  return trans_b ? gemv_rows_generic : gemv_cols_generic;
}
#endif

typedef struct {
  const gemv_args *g;
  const float *a;
  gemv_rows_fn rows;
} gemv_job;

static void gemv_range(void *ctx, int64_t j0, int64_t j1) {
  const gemv_job *job = (const gemv_job *)ctx;
  job->rows(job->g, job->a, j0, j1);
}

int molrl_gemv(const gemv_args *g) {
  if (g->m <= 0 || g->n <= 0) return 0;
  if (g->k == 0) {
    for (int64_t i = 0; i < g->m; i++) memset(g->c + i * g->ldc, 0, (size_t)g->n * sizeof(float));
    return 0;
  }
  /* A contiguous (m x k): the kernels read each row of it once per group of B rows. */
  const float *a = g->a;
  float *a_copy = 0;
  if (g->trans_a || g->lda != g->k) {
    a_copy = malloc((size_t)(g->m * g->k) * sizeof(float));
    if (!a_copy) return -1;
    for (int64_t i = 0; i < g->m; i++)
      for (int64_t p = 0; p < g->k; p++) a_copy[i * g->k + p] = g->trans_a ? g->a[p * g->lda + i] : g->a[i * g->lda + p];
    a = a_copy;
  }
  gemv_job job = {g, a, kernel_for(gemm_kernel()->isa, g->trans_b)};
  /* A range of columns: whole groups of ROWS rows of B, or (B stored [k, n]) whole column tiles of every kernel. */
  const int64_t unit = g->trans_b ? ROWS : COL_TILE;
  pool_for(g->n, unit, g->n * g->k >= MIN_PARALLEL_ELEMENTS, gemv_range, &job);
  free(a_copy);
  return 0;
}
