/*
 * The GEMM driver. Per pass (a group of batch items, or a chunk of one large item),
 * C is cut into tasks of mc rows x nc columns, each looping over the kc blocks, the
 * column panels (a B micro-panel stays in L1) and the row panels (the A block stays
 * in L2). An operand that several tasks read (B when there are several row blocks,
 * A when there are several column blocks) is packed first by one parallel job into
 * a shared buffer; one that a single task reads is packed by that task, one kc
 * block at a time, into a buffer of its thread just before use, so it goes from
 * memory to L2 once (the weight of a layer against a few rows, a LoRA factor).
 * Problems whose shared packed operands exceed a budget are cut into chunks.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "pool.h"

/* Packed A plus packed B of one pass, in floats (64 MiB). */
#define PASS_BUDGET ((int64_t)16 * 1024 * 1024)
static int64_t pass_budget = PASS_BUDGET;
/* Depth beyond which K is cut into chunks, each a pass accumulating into C (the
 * gradient through a vocabulary-sized layer has K in the hundreds of thousands). */
#define K_CHUNK 4096
/* Flops below which a pass runs on the calling thread alone (waking a worker costs microseconds). */
#define MIN_PARALLEL_FLOPS (2.0 * 128 * 128 * 128)

static const kernel_desc *selected;
static int tune_kc, tune_mc, tune_nc;

/* Packed-operand buffers of the pool's owner, kept between calls. */
static float *kept_a, *kept_b;
static int64_t kept_a_size, kept_b_size;

static int64_t round_up(int64_t x, int64_t to) { return (x + to - 1) / to * to; }
static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

const kernel_desc *gemm_kernel(void) {
  if (!selected) {
    const kernel_desc *k = 0;
    if (cpu_has_avx512f()) k = kernel_avx512();
    if (!k && cpu_has_avx2_fma()) k = kernel_avx2();
    if (!k) k = kernel_generic();
    selected = k;
  }
  return selected;
}

int gemm_select_isa(const char *isa) {
  if (strcmp(isa, "auto") == 0) {
    selected = 0;
    gemm_kernel();
    return 0;
  }
  const kernel_desc *k;
  int supported;
  if (strcmp(isa, "avx512f") == 0) {
    k = kernel_avx512();
    supported = cpu_has_avx512f();
  } else if (strcmp(isa, "avx2") == 0) {
    k = kernel_avx2();
    supported = cpu_has_avx2_fma();
  } else if (strcmp(isa, "generic") == 0) {
    k = kernel_generic();
    supported = 1;
  } else {
    return -1;
  }
  if (!k || !supported) return -2;
  selected = k;
  return 0;
}

void gemm_set_blocking(int kc, int mc, int nc, int64_t budget) {
  tune_kc = kc;
  tune_mc = mc;
  tune_nc = nc;
  pass_budget = budget > 0 ? budget : PASS_BUDGET;
}

void gemm_release_memory(void) {
  free(kept_a);
  free(kept_b);
  kept_a = kept_b = 0;
  kept_a_size = kept_b_size = 0;
}

static float *aligned_floats(int64_t count) {
  void *p = 0;
  if (posix_memalign(&p, 64, (size_t)max64(count, 16) * sizeof(float)) != 0) return 0;
  return (float *)p;
}

/* Per-thread buffers for the operands a task packs itself (one kc block of its rows
 * or columns), freed when the thread ends. */
typedef struct {
  float *buf[2];
  int64_t cap[2];
} scratch_t;

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void free_scratch(void *p) {
  scratch_t *s = (scratch_t *)p;
  free(s->buf[0]);
  free(s->buf[1]);
  free(s);
}

static void make_scratch_key(void) { pthread_key_create(&scratch_key, free_scratch); }

/* The calling thread's buffer `which` (0: A, 1: B) with room for `count` floats, or NULL. */
static float *scratch(int which, int64_t count) {
  pthread_once(&scratch_once, make_scratch_key);
  scratch_t *s = (scratch_t *)pthread_getspecific(scratch_key);
  if (!s) {
    s = (scratch_t *)calloc(1, sizeof *s);
    if (!s || pthread_setspecific(scratch_key, s) != 0) {
      free(s);
      return 0;
    }
  }
  if (s->cap[which] < count) {
    free(s->buf[which]);
    s->buf[which] = aligned_floats(count);
    s->cap[which] = s->buf[which] ? count : 0;
  }
  return s->buf[which];
}

/* One pass: items [b0, b0 + items), rows [m0, m0 + rows), columns [n0, n0 + cols), depth [kb, kb + kn). */
typedef struct {
  const gemm_args *g;
  const kernel_desc *kd;
  int64_t b0, items, m0, rows, n0, cols, kb, kn;
  int64_t mp, np; /* rows and columns padded to the tile */
  int64_t kc;     /* depth of a k block (the last may be shorter) */
  float *ap, *bp; /* item t's packed A at ap + t * mp * kn, its k block at + (k0 - kb) * mp */
  int pack_a, pack_b;
  int keep_a, keep_b; /* a later pass reuses this pass's packed A / B */
  int fuse_a, fuse_b; /* the task packs its own A rows / B columns (read by that task alone) */
  _Atomic int failed; /* a task could not get its scratch buffer */
  int64_t a_panels_per_task, a_tasks_per_item, b_panels_per_task, b_tasks_per_item;
  int64_t mc, nc, m_blocks, n_blocks;
} pass_t;

static void pack_task(void *ctx, int task) {
  const pass_t *s = (const pass_t *)ctx;
  const gemm_args *g = s->g;
  const int64_t k = s->kn, kb = s->kb;
  const int mr = s->kd->mr, nr = s->kd->nr;
  int64_t a_tasks = s->pack_a ? s->items * s->a_tasks_per_item : 0;
  if (task < a_tasks) {
    int64_t t = task / s->a_tasks_per_item, group = task % s->a_tasks_per_item;
    const float *a = g->a + (s->b0 + t) * g->stride_a;
    float *dst = s->ap + t * s->mp * k;
    int64_t first = group * s->a_panels_per_task, last = min64(first + s->a_panels_per_task, s->mp / mr);
    for (int64_t k0 = 0; k0 < k; k0 += s->kc) {
      int64_t kcb = min64(s->kc, k - k0);
      for (int64_t panel = first; panel < last; panel++) {
        int64_t row = panel * mr;
        s->kd->pack_a(a, g->lda, g->trans_a, s->m0 + row, (int)min64(mr, s->rows - row), kb + k0, kcb, mr,
                      dst + k0 * s->mp + row * kcb);
      }
    }
    return;
  }
  task -= (int)a_tasks;
  int64_t t = task / s->b_tasks_per_item, group = task % s->b_tasks_per_item;
  size_t elem_bytes = g->b_elem == ELEM_F32 ? 4 : 2;
  const void *b = (const char *)g->b + (size_t)((s->b0 + t) * g->stride_b) * elem_bytes;
  float *dst = s->bp + t * s->np * k;
  int64_t first = group * s->b_panels_per_task, last = min64(first + s->b_panels_per_task, s->np / nr);
  for (int64_t k0 = 0; k0 < k; k0 += s->kc) {
    int64_t kcb = min64(s->kc, k - k0);
    for (int64_t panel = first; panel < last; panel++) {
      int64_t col = panel * nr;
      s->kd->pack_b(b, g->b_elem, g->ldb, g->trans_b, s->n0 + col, (int)min64(nr, s->cols - col), kb + k0, kcb, nr,
                    dst + k0 * s->np + col * kcb);
    }
  }
}

static void compute_task(void *ctx, int task) {
  pass_t *s = (pass_t *)ctx;
  const gemm_args *g = s->g;
  const int64_t k = s->kn, kb = s->kb;
  const int mr = s->kd->mr, nr = s->kd->nr;
  const ukernel_fn kernel = s->kd->kernel;
  int64_t per_item = s->m_blocks * s->n_blocks;
  int64_t t = task / per_item, rest = task % per_item;
  int64_t r0 = (rest / s->n_blocks) * s->mc, c0 = (rest % s->n_blocks) * s->nc;
  int64_t r1 = min64(r0 + s->mc, s->mp), c1 = min64(c0 + s->nc, s->np);
  float *own_a = 0, *own_b = 0;
  if (s->fuse_a && !(own_a = scratch(0, (r1 - r0) * s->kc))) goto fail;
  if (s->fuse_b && !(own_b = scratch(1, (c1 - c0) * s->kc))) goto fail;
  const float *a = g->a + (s->b0 + t) * g->stride_a;
  const void *b = (const char *)g->b + (size_t)((s->b0 + t) * g->stride_b) * (g->b_elem == ELEM_F32 ? 4 : 2);
  const float *ap = s->ap + t * s->mp * k;
  const float *bp = s->bp + t * s->np * k;
  float *c = g->c + (s->b0 + t) * g->stride_c + s->m0 * g->ldc + s->n0;
  for (int64_t k0 = 0; k0 < k; k0 += s->kc) {
    int64_t kcb = min64(s->kc, k - k0);
    float beta = kb + k0 == 0 ? g->beta : 1.0f; /* later blocks accumulate */
    /* Panel p of this k block starts at base + p * kcb (p in rows or columns). */
    const float *abase, *bbase;
    if (own_a) {
      for (int64_t row = r0; row < r1; row += mr)
        s->kd->pack_a(a, g->lda, g->trans_a, s->m0 + row, (int)min64(mr, s->rows - row), kb + k0, kcb, mr,
                      own_a + (row - r0) * kcb);
      abase = own_a - r0 * kcb;
    } else {
      abase = ap + k0 * s->mp;
    }
    if (own_b) {
      for (int64_t col = c0; col < c1; col += nr)
        s->kd->pack_b(b, g->b_elem, g->ldb, g->trans_b, s->n0 + col, (int)min64(nr, s->cols - col), kb + k0, kcb,
                      nr, own_b + (col - c0) * kcb);
      bbase = own_b - c0 * kcb;
    } else {
      bbase = bp + k0 * s->np;
    }
    for (int64_t col = c0; col < c1; col += nr) {
      const float *bpanel = bbase + col * kcb;
      int nv = (int)min64(nr, s->cols - col);
      for (int64_t row = r0; row < r1; row += mr) {
        kernel(kcb, abase + row * kcb, bpanel, c + row * g->ldc + col, g->ldc, g->alpha, beta,
               (int)min64(mr, s->rows - row), nv);
      }
    }
  }
  return;
fail:
  atomic_store(&s->failed, 1);
}

static int run_pass(pass_t *s, int threads) {
  const kernel_desc *kd = s->kd;
  const int64_t k = s->kn;
  int parallel = threads > 1 && 2.0 * (double)s->items * (double)s->rows * (double)s->cols * (double)k >= MIN_PARALLEL_FLOPS;
  int64_t want = parallel ? 4 * (int64_t)threads : 1;

  /* Compute tasks: blocks of the kernel's mc x nc, smaller when there would be too few to share. */
  int64_t mc = min64(round_up(tune_mc > 0 ? tune_mc : kd->mc, kd->mr), s->mp);
  int64_t nc = min64(round_up(tune_nc > 0 ? tune_nc : kd->nc, kd->nr), s->np);
  int64_t m_blocks = (s->mp + mc - 1) / mc, n_blocks = (s->np + nc - 1) / nc;
  if (s->items * m_blocks * n_blocks < want) {
    int64_t n_want = (want + s->items * m_blocks - 1) / (s->items * m_blocks);
    nc = max64(kd->nr, round_up((s->np + n_want - 1) / n_want, kd->nr));
    n_blocks = (s->np + nc - 1) / nc;
    if (s->items * m_blocks * n_blocks < want) {
      int64_t m_want = (want + s->items * n_blocks - 1) / (s->items * n_blocks);
      mc = max64(kd->mr, round_up((s->mp + m_want - 1) / m_want, kd->mr));
      m_blocks = (s->mp + mc - 1) / mc;
    }
  }
  s->mc = mc;
  s->nc = nc;
  s->m_blocks = m_blocks;
  s->n_blocks = n_blocks;
  /* An operand only one task reads is packed by that task (never when a later pass reuses it). */
  s->fuse_a = n_blocks == 1 && s->pack_a && !s->keep_a;
  s->fuse_b = m_blocks == 1 && s->pack_b && !s->keep_b;

  /* Pack the shared operands: a few tasks per thread, none of a single tiny panel. */
  int do_a = s->pack_a && !s->fuse_a, do_b = s->pack_b && !s->fuse_b;
  int64_t a_panels = s->mp / kd->mr, b_panels = s->np / kd->nr;
  int64_t total_panels = s->items * ((do_a ? a_panels : 0) + (do_b ? b_panels : 0));
  int64_t share = parallel ? max64(2, (total_panels + 2 * threads - 1) / (2 * threads)) : total_panels;
  s->a_panels_per_task = max64(1, min64(a_panels, share));
  s->a_tasks_per_item = (a_panels + s->a_panels_per_task - 1) / s->a_panels_per_task;
  s->b_panels_per_task = max64(1, min64(b_panels, share));
  s->b_tasks_per_item = (b_panels + s->b_panels_per_task - 1) / s->b_panels_per_task;
  int saved_a = s->pack_a, saved_b = s->pack_b;
  s->pack_a = do_a;
  s->pack_b = do_b;
  int64_t pack_tasks = s->items * ((do_a ? s->a_tasks_per_item : 0) + (do_b ? s->b_tasks_per_item : 0));
  pool_run((int)pack_tasks, pack_task, s, parallel);
  s->pack_a = saved_a;
  s->pack_b = saved_b;

  atomic_store(&s->failed, 0);
  pool_run((int)(s->items * m_blocks * n_blocks), compute_task, s, parallel);
  return atomic_load(&s->failed) ? -1 : 0;
}

/* C = beta * C for every item (k == 0). */
static void scale_c(const gemm_args *g) {
  for (int64_t t = 0; t < g->batch; t++)
    for (int64_t i = 0; i < g->m; i++) {
      float *row = g->c + t * g->stride_c + i * g->ldc;
      if (g->beta == 0.0f)
        memset(row, 0, (size_t)g->n * sizeof(float));
      else
        for (int64_t j = 0; j < g->n; j++) row[j] *= g->beta;
    }
}

int molrl_sgemm(const gemm_args *g) {
  if (g->m == 0 || g->n == 0 || g->batch == 0) return 0;
  if (g->k == 0) {
    scale_c(g);
    return 0;
  }
  const kernel_desc *kd = gemm_kernel();
  const int64_t m = g->m, n = g->n, k = g->k;
  const int mr = kd->mr, nr = kd->nr;

  /* How much each pass takes: K in chunks of at most K_CHUNK (even, a multiple of the
   * kc block); then whole items when they fit the budget, else chunks of rows and columns. */
  const int64_t kc_target = tune_kc > 0 ? tune_kc : kd->kc;
  int64_t kchunks = (k + K_CHUNK - 1) / K_CHUNK;
  int64_t kchunk = kchunks == 1 ? k : round_up((k + kchunks - 1) / kchunks, kc_target);
  int64_t items = 1, rows = m, cols = n;
  int64_t per_item = (round_up(m, mr) + round_up(n, nr)) * kchunk;
  if (per_item <= pass_budget) {
    items = min64(g->batch, pass_budget / per_item);
  } else {
    if (round_up(m, mr) * kchunk > pass_budget / 2) rows = max64(mr, (pass_budget / 2 / kchunk) / mr * mr);
    cols = max64(nr, ((pass_budget - round_up(rows, mr) * kchunk) / kchunk) / nr * nr);
    if (cols > n) cols = n;
  }
  int64_t a_size = items * round_up(rows, mr) * kchunk, b_size = items * round_up(cols, nr) * kchunk;

  /* One GEMM at a time drives the pool; a second caller at the same moment (another
   * Node worker thread) runs on its own thread with buffers of its own. */
  int owner = pool_try_lock();
  float *ap, *bp;
  if (owner) {
    if (kept_a_size < a_size) {
      free(kept_a);
      kept_a = aligned_floats(a_size);
      kept_a_size = kept_a ? a_size : 0;
    }
    if (kept_b_size < b_size) {
      free(kept_b);
      kept_b = aligned_floats(b_size);
      kept_b_size = kept_b ? b_size : 0;
    }
    ap = kept_a;
    bp = kept_b;
  } else {
    ap = aligned_floats(a_size);
    bp = aligned_floats(b_size);
  }
  if (!ap || !bp) {
    if (owner) {
      gemm_release_memory();
      pool_unlock();
    } else {
      free(ap);
      free(bp);
    }
    return -1;
  }
  int threads = owner ? pool_threads() : 1;

  int status = 0;
  pass_t s;
  memset(&s, 0, sizeof s);
  s.g = g;
  s.kd = kd;
  s.ap = ap;
  s.bp = bp;
  for (int64_t b0 = 0; b0 < g->batch; b0 += items) {
    s.b0 = b0;
    s.items = min64(items, g->batch - b0);
    for (int64_t n0 = 0; n0 < n; n0 += cols) {
      s.n0 = n0;
      s.cols = min64(cols, n - n0);
      s.np = round_up(s.cols, nr);
      for (int64_t m0 = 0; m0 < m; m0 += rows) {
        s.m0 = m0;
        s.rows = min64(rows, m - m0);
        s.mp = round_up(s.rows, mr);
        for (int64_t kb = 0; kb < k; kb += kchunk) {
          s.kb = kb;
          s.kn = min64(kchunk, k - kb);
          int64_t kblocks = (s.kn + kc_target - 1) / kc_target;
          s.kc = (s.kn + kblocks - 1) / kblocks; /* even blocks: 300 is 150 + 150, not 256 + 44 */
          /* Packed operands carry over to the next pass only when K is one chunk. */
          s.pack_a = n0 == 0 || rows < m || kchunk < k;
          s.pack_b = m0 == 0 || kchunk < k;
          s.keep_a = rows == m && cols < n && kchunk == k; /* one row chunk, several column chunks */
          s.keep_b = rows < m && kchunk == k;              /* several row chunks share a column chunk */
          if (run_pass(&s, threads) != 0) status = -1;
        }
      }
    }
  }

  if (owner) {
    /* Keep what a typical call needs; give back what a rare huge one took. */
    if (kept_a_size + kept_b_size > pass_budget) gemm_release_memory();
    pool_unlock();
  } else {
    free(ap);
    free(bp);
  }
  return status;
}
