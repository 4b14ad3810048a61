/*
 * Inverted dropout drawn from the Philox4x32-10 stream of @molrl/gpu-backend
 * (src/random/philox.ts): element e takes word e mod 4 of the block at counter
 * (floor(e / 4) mod 2^32, floor(e / 2^34), 0, 0) under key (k0, k1), and is kept
 * when word >> 8 reaches keep_from: out = x * scale, else x * 0 (a signed zero).
 * The AVX2 version draws eight blocks (32 elements) a vector, four vectors'
 * rounds interleaved, the 32 x 32 -> 64 products by _mm256_mul_epu32 on the
 * even and the odd lanes; the scalar one does the rest and runs where AVX2 is
 * absent (or the generic kernel is chosen). Large arrays are split across the
 * pool's threads (the stream is counter-based, so any split draws the same words).
 */
#include "gemm.h"
#include "pool.h"

#define M0 0xD2511F53u
#define M1 0xCD9E8D57u
#define W0 0x9E3779B9u
#define W1 0xBB67AE85u

static void philox_block(uint64_t counter, uint32_t k0, uint32_t k1, uint32_t out[4]) {
  uint32_t c0 = (uint32_t)counter, c1 = (uint32_t)(counter >> 32), c2 = 0, c3 = 0;
  for (int round = 0; round < 10; round++) {
    if (round > 0) {
      k0 += W0;
      k1 += W1;
    }
    const uint64_t p0 = (uint64_t)M0 * c0, p1 = (uint64_t)M1 * c2;
    const uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0, n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
    c0 = n0;
    c1 = (uint32_t)p1;
    c2 = n2;
    c3 = (uint32_t)p0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

/* Elements [from, to) of the stream (element indices e, x and out indexed by e - first). */
static void dropout_scalar(const float *x, float *out, int64_t first, int64_t from, int64_t to, uint32_t k0, uint32_t k1,
                           uint32_t keep_from, float scale) {
  uint32_t words[4];
  int64_t block = -1;
  for (int64_t e = from; e < to; e++) {
    if (e >> 2 != block) {
      block = e >> 2;
      philox_block((uint64_t)block, k0, k1, words);
    }
    const float v = x[e - first];
    out[e - first] = (words[e & 3] >> 8) >= keep_from ? v * scale : v * 0.0f;
  }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define AVX2 __attribute__((target("avx2")))

/* hi and lo 32 bits of a * m per 32-bit lane. */
static inline AVX2 void mul_hilo(__m256i a, __m256i m, __m256i *hi, __m256i *lo) {
  const __m256i even = _mm256_mul_epu32(a, m);
  const __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), m);
  *lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
  *hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
}

static inline AVX2 __m256 drop8(const float *x, __m256i words, __m256i keep_above, __m256 scale) {
  const __m256 v = _mm256_loadu_ps(x);
  const __m256i keep = _mm256_cmpgt_epi32(_mm256_srli_epi32(words, 8), keep_above);
  return _mm256_blendv_ps(_mm256_mul_ps(v, _mm256_setzero_ps()), _mm256_mul_ps(v, scale), _mm256_castsi256_ps(keep));
}

/*
 * Groups of eight blocks that go through the rounds together. Four: 0.45-0.50 ms for 786k
 * elements against 0.79 ms one at a time (2: 0.58, 3: 0.50, 6: 0.49, 8: 0.50, where sixteen
 * vector registers no longer hold every state; AMD EPYC, AVX2). A 512-bit version of the same
 * on that machine took 0.67 ms: its 512-bit multiplies run as two 256-bit halves.
 */
#define PHILOX_STATES 4

/* c_w holds word w of blocks 0..7: into element order (block 0's four words, then block 1's, ...), dropped. */
static inline AVX2 void drop32(const float *xs, float *os, __m256i c0, __m256i c1, __m256i c2, __m256i c3,
                               __m256i keep_above, __m256 scale) {
  const __m256i t0 = _mm256_unpacklo_epi32(c0, c1), t1 = _mm256_unpacklo_epi32(c2, c3);
  const __m256i t2 = _mm256_unpackhi_epi32(c0, c1), t3 = _mm256_unpackhi_epi32(c2, c3);
  const __m256i u0 = _mm256_unpacklo_epi64(t0, t1), u1 = _mm256_unpackhi_epi64(t0, t1);
  const __m256i u2 = _mm256_unpacklo_epi64(t2, t3), u3 = _mm256_unpackhi_epi64(t2, t3);
  const __m256 r0 = drop8(xs, _mm256_permute2x128_si256(u0, u1, 0x20), keep_above, scale);
  const __m256 r1 = drop8(xs + 8, _mm256_permute2x128_si256(u2, u3, 0x20), keep_above, scale);
  const __m256 r2 = drop8(xs + 16, _mm256_permute2x128_si256(u0, u1, 0x31), keep_above, scale);
  const __m256 r3 = drop8(xs + 24, _mm256_permute2x128_si256(u2, u3, 0x31), keep_above, scale);
  _mm256_storeu_ps(os, r0);
  _mm256_storeu_ps(os + 8, r1);
  _mm256_storeu_ps(os + 16, r2);
  _mm256_storeu_ps(os + 24, r3);
}

/*
 * Whole groups of 32 elements from element `from` (a multiple of 32). A group's ten rounds are
 * one chain of dependent multiplies, so PHILOX_STATES groups go through the rounds together:
 * their chains overlap instead of each waiting out the multiplies' latency.
 */
static AVX2 void dropout_avx2(const float *x, float *out, int64_t first, int64_t from, int64_t groups, uint32_t k0,
                              uint32_t k1, uint32_t keep_from, float scale) {
  const __m256i m0 = _mm256_set1_epi32((int)M0), m1 = _mm256_set1_epi32((int)M1);
  const __m256i w0 = _mm256_set1_epi32((int)W0), w1 = _mm256_set1_epi32((int)W1);
  /* word >> 8 < 2^24, so a signed compare with keep_from - 1 (>= -1) is the unsigned >=. */
  const __m256i keep_above = _mm256_set1_epi32((int)keep_from - 1);
  const __m256 vscale = _mm256_set1_ps(scale);
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  for (int64_t g = 0; g < groups; g += PHILOX_STATES) {
    const int n = groups - g < PHILOX_STATES ? (int)(groups - g) : PHILOX_STATES;
    __m256i c0[PHILOX_STATES], c1[PHILOX_STATES], c2[PHILOX_STATES], c3[PHILOX_STATES];
    for (int s = 0; s < PHILOX_STATES; s++) {
      /* A state past the last group draws a block no one reads (its chain costs nothing on the critical path). */
      const uint64_t block = (uint64_t)(from + 32 * (g + s)) >> 2;
      c0[s] = _mm256_add_epi32(_mm256_set1_epi32((int)(uint32_t)block), lanes);
      /* The eight counters' high words (the low word never wraps inside a group: block is a multiple of 8). */
      c1[s] = _mm256_set1_epi32((int)(uint32_t)(block >> 32));
      c2[s] = _mm256_setzero_si256();
      c3[s] = _mm256_setzero_si256();
    }
    __m256i key0 = _mm256_set1_epi32((int)k0), key1 = _mm256_set1_epi32((int)k1);
    for (int round = 0; round < 10; round++) {
      if (round > 0) {
        key0 = _mm256_add_epi32(key0, w0);
        key1 = _mm256_add_epi32(key1, w1);
      }
      for (int s = 0; s < PHILOX_STATES; s++) {
        __m256i hi0, lo0, hi1, lo1;
        mul_hilo(c0[s], m0, &hi0, &lo0);
        mul_hilo(c2[s], m1, &hi1, &lo1);
        c0[s] = _mm256_xor_si256(_mm256_xor_si256(hi1, c1[s]), key0);
        c1[s] = lo1;
        c2[s] = _mm256_xor_si256(_mm256_xor_si256(hi0, c3[s]), key1);
        c3[s] = lo0;
      }
    }
    for (int s = 0; s < n; s++) {
      const int64_t e0 = from + 32 * (g + s);
      drop32(x + (e0 - first), out + (e0 - first), c0[s], c1[s], c2[s], c3[s], keep_above, vscale);
    }
  }
}

#else
static void dropout_avx2(const float *x, float *out, int64_t first, int64_t from, int64_t groups, uint32_t k0,
                         uint32_t k1, uint32_t keep_from, float scale) {
  (void)x, (void)out, (void)first, (void)from, (void)groups, (void)k0, (void)k1, (void)keep_from, (void)scale;
}
#endif

static void dropout_span(const float *x, float *out, int64_t n, int64_t first, uint32_t k0, uint32_t k1,
                         uint32_t keep_from, float scale) {
  int64_t e = first;
  const int64_t end = first + n;
  if (use_avx2_loops()) {
    const int64_t aligned = (first + 31) & ~(int64_t)31;
    if (aligned < end) {
      dropout_scalar(x, out, first, e, aligned, k0, k1, keep_from, scale);
      e = aligned;
      const int64_t groups = (end - e) / 32;
      dropout_avx2(x, out, first, e, groups, k0, k1, keep_from, scale);
      e += 32 * groups;
    }
  }
  dropout_scalar(x, out, first, e, end, k0, k1, keep_from, scale);
}

typedef struct {
  const float *x;
  float *out;
  int64_t first;
  uint32_t k0, k1, keep_from;
  float scale;
} dropout_job;

static void dropout_range(void *ctx, int64_t begin, int64_t end) {
  const dropout_job *job = (const dropout_job *)ctx;
  dropout_span(job->x + begin, job->out + begin, end - begin, job->first + begin, job->k0, job->k1, job->keep_from,
               job->scale);
}

/* Below this many elements one thread is done before the pool's threads would wake. */
#define MIN_PARALLEL_ELEMENTS ((int64_t)1 << 16)

void molrl_dropout(const float *x, float *out, int64_t n, int64_t first, uint32_t k0, uint32_t k1, uint32_t keep_from,
                   float scale) {
  dropout_job job = {x, out, first, k0, k1, keep_from, scale};
  /* The stream is counter-based: each range draws its own elements' words, the same bits on any split.
   * Ranges of whole interleaved passes (PHILOX_STATES groups of 32) where AVX2 runs. */
  pool_for(n, 32 * 4, n >= MIN_PARALLEL_ELEMENTS, dropout_range, &job);
}
