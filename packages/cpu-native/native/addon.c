/*
 * The Node-API binding. `sgemm(a, b, c, params)` takes the three typed arrays and a
 * Float64Array of the sizes, offsets, strides and flags (one call, no per-argument
 * conversions). Every index the GEMM will touch is checked against the arrays
 * here, so no argument can make it read or write outside them. `gemv(a, b, c, params)`
 * is the decoding product (a few rows against a weight stored [n, k], or against a
 * matrix stored [k, n]), checked alike. `scaleAdd(a, b, out, s)` is the elementwise
 * out = a + b s of the cpu backend's large adds; `dropout(x, out, first, k0, k1,
 * keepFrom, scale)` its inverted dropout, drawn from the Philox stream.
 * `rmsNorm`, `rmsNormGrad`, `rmsNormRope` and `rmsNormRopeGrad` are its RMSNorm family.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "pool.h"

/* Layout of the params array. */
enum {
  P_M, P_N, P_K, P_BATCH,
  P_A_OFFSET, P_LDA, P_STRIDE_A, P_TRANS_A,
  P_B_OFFSET, P_LDB, P_STRIDE_B, P_TRANS_B, P_B_ELEM,
  P_C_OFFSET, P_LDC, P_STRIDE_C,
  P_ALPHA, P_BETA,
  P_COUNT
};

static const char *const PARAM_NAMES[P_COUNT] = {
    "m", "n", "k", "batch", "aOffset", "lda", "strideA", "transA", "bOffset",
    "ldb", "strideB", "transB", "bType", "cOffset", "ldc", "strideC", "alpha", "beta"};

#define MAX_INDEX 9007199254740991.0 /* 2^53 - 1 */

static napi_value throw_error(napi_env env, int range, const char *message) {
  if (range)
    napi_throw_range_error(env, NULL, message);
  else
    napi_throw_type_error(env, NULL, message);
  return NULL;
}

typedef struct {
  void *data;
  size_t length;
  napi_typedarray_type type;
} array_t;

static int get_array(napi_env env, const char *fn, napi_value value, const char *name, napi_typedarray_type want,
                     const char *want_name, array_t *out) {
  bool is;
  char message[160];
  napi_value buffer;
  size_t offset;
  if (napi_is_typedarray(env, value, &is) != napi_ok || !is ||
      napi_get_typedarray_info(env, value, &out->type, &out->length, &out->data, &buffer, &offset) != napi_ok ||
      out->type != want) {
    snprintf(message, sizeof message, "%s: %s must be %s %s", fn, name, strncmp(want_name, "Int", 3) == 0 ? "an" : "a",
             want_name);
    throw_error(env, 0, message);
    return 0;
  }
  return 1;
}

/* [first, last] element indices an operand's stored rows x cols touch, over the batch. */
static int check_span(napi_env env, const char *fn, const char *name, const char *ld_name, double offset, double ld, double stride,
                      double rows, double cols, double batch, size_t length, double *last) {
  char message[200];
  if (ld < cols || ld < 1) {
    snprintf(message, sizeof message, "%s: %s (%.0f) must be at least %.0f, the columns of %s as stored", fn,
             ld_name, ld, cols > 1 ? cols : 1, name);
    throw_error(env, 1, message);
    return 0;
  }
  *last = offset + (batch - 1) * stride + (rows - 1) * ld + cols - 1;
  if (*last >= (double)length) {
    if (batch > 1)
      snprintf(message, sizeof message,
               "%s: %s needs elements up to index %.0f (offset %.0f, %.0f x %.0f with leading dimension %.0f, "
               "batch %.0f with stride %.0f), but has length %zu",
               fn, name, *last, offset, rows, cols, ld, batch, stride, length);
    else
      snprintf(message, sizeof message,
               "%s: %s needs elements up to index %.0f (offset %.0f, %.0f x %.0f with leading dimension %.0f), "
               "but has length %zu",
               fn, name, *last, offset, rows, cols, ld, length);
    throw_error(env, 1, message);
    return 0;
  }
  return 1;
}

static int overlaps(const void *base1, double first1, double last1, size_t size1, const void *base2, double first2,
                    double last2, size_t size2) {
  const char *s1 = (const char *)base1 + (size_t)first1 * size1, *e1 = (const char *)base1 + (size_t)(last1 + 1) * size1;
  const char *s2 = (const char *)base2 + (size_t)first2 * size2, *e2 = (const char *)base2 + (size_t)(last2 + 1) * size2;
  return s1 < e2 && s2 < e1;
}

/* A call's (a, b, c, params), read and checked. */
typedef struct {
  const double *p;
  elem_t elem;
  array_t a, b, c;
} call_t;

/*
 * Reads (a, b, c, params) for `fn`: params holds `count` numbers named `names`, each a
 * non-negative integer up to 2^53 (from `first_float` on, any finite number), the first
 * `sizes` of them below 2^31; params[elem_at] is b's element type. Returns 0 with an
 * error thrown, or 1.
 */
static int read_call(napi_env env, napi_callback_info info, const char *fn, const char *const *names, int count,
                     int sizes, int first_float, int elem_at, call_t *out) {
  size_t argc = 4;
  napi_value argv[4];
  char message[200];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 4) {
    snprintf(message, sizeof message, "%s: expected (a, b, c, params)", fn);
    throw_error(env, 0, message);
    return 0;
  }
  array_t pa;
  if (!get_array(env, fn, argv[3], "params", napi_float64_array, "Float64Array", &pa)) return 0;
  if (pa.length < (size_t)count) {
    snprintf(message, sizeof message, "%s: params must hold %d numbers", fn, count);
    throw_error(env, 1, message);
    return 0;
  }
  const double *p = (const double *)pa.data;
  for (int i = 0; i < count; i++) {
    if (i >= first_float ? isfinite(p[i]) : p[i] >= 0 && p[i] <= MAX_INDEX && floor(p[i]) == p[i]) continue;
    snprintf(message, sizeof message, "%s: %s must be a %s, got %g", fn, names[i],
             i >= first_float ? "finite number" : "non-negative integer", p[i]);
    throw_error(env, 1, message);
    return 0;
  }
  for (int i = 0; i < sizes; i++)
    if (p[i] > 2147483647.0) {
      snprintf(message, sizeof message, "%s: %s must be below 2^31, got %.0f", fn, names[i], p[i]);
      throw_error(env, 1, message);
      return 0;
    }
  if (p[elem_at] > 2) {
    snprintf(message, sizeof message, "%s: bType must be 0 (float32), 1 (bfloat16) or 2 (float16)", fn);
    throw_error(env, 1, message);
    return 0;
  }
  out->p = p;
  out->elem = (elem_t)p[elem_at];
  int f32 = out->elem == ELEM_F32;
  return get_array(env, fn, argv[0], "a", napi_float32_array, "Float32Array", &out->a) &&
         get_array(env, fn, argv[1], "b", f32 ? napi_float32_array : napi_uint16_array,
                   f32 ? "Float32Array (bType float32)" : "Uint16Array (raw bfloat16/float16 bits)", &out->b) &&
         get_array(env, fn, argv[2], "c", napi_float32_array, "Float32Array", &out->c);
}

static napi_value js_sgemm(napi_env env, napi_callback_info info) {
  call_t call;
  if (!read_call(env, info, "sgemm", PARAM_NAMES, P_COUNT, P_BATCH + 1, P_ALPHA, P_B_ELEM, &call)) return NULL;
  const double *p = call.p;
  char message[200];
  if (p[P_TRANS_A] > 1 || p[P_TRANS_B] > 1) return throw_error(env, 1, "sgemm: transA and transB must be 0 or 1");

  double m = p[P_M], n = p[P_N], k = p[P_K], batch = p[P_BATCH];
  if (m == 0 || n == 0 || batch == 0) return NULL;
  int trans_a = p[P_TRANS_A] != 0, trans_b = p[P_TRANS_B] != 0;
  double c_last;
  if (!check_span(env, "sgemm", "c", "ldc", p[P_C_OFFSET], p[P_LDC], p[P_STRIDE_C], m, n, batch, call.c.length,
                  &c_last))
    return NULL;
  if (batch > 1 && p[P_STRIDE_C] < (m - 1) * p[P_LDC] + n) {
    snprintf(message, sizeof message, "sgemm: strideC (%.0f) makes the batch's outputs overlap (each spans %.0f)",
             p[P_STRIDE_C], (m - 1) * p[P_LDC] + n);
    return throw_error(env, 1, message);
  }
  if (k > 0) {
    double a_last, b_last;
    if (!check_span(env, "sgemm", "a", "lda", p[P_A_OFFSET], p[P_LDA], p[P_STRIDE_A], trans_a ? k : m,
                    trans_a ? m : k, batch, call.a.length, &a_last))
      return NULL;
    if (!check_span(env, "sgemm", "b", "ldb", p[P_B_OFFSET], p[P_LDB], p[P_STRIDE_B], trans_b ? n : k,
                    trans_b ? k : n, batch, call.b.length, &b_last))
      return NULL;
    size_t b_size = call.elem == ELEM_F32 ? 4 : 2;
    if (overlaps(call.c.data, p[P_C_OFFSET], c_last, 4, call.a.data, p[P_A_OFFSET], a_last, 4))
      return throw_error(env, 1, "sgemm: c overlaps a in memory; the output must be a separate array");
    if (overlaps(call.c.data, p[P_C_OFFSET], c_last, 4, call.b.data, p[P_B_OFFSET], b_last, b_size))
      return throw_error(env, 1, "sgemm: c overlaps b in memory; the output must be a separate array");
  }

  gemm_args g;
  g.m = (int64_t)m;
  g.n = (int64_t)n;
  g.k = (int64_t)k;
  g.batch = (int64_t)batch;
  g.a = (const float *)call.a.data + (int64_t)p[P_A_OFFSET];
  g.lda = (int64_t)p[P_LDA];
  g.stride_a = (int64_t)p[P_STRIDE_A];
  g.trans_a = trans_a;
  g.b = (const char *)call.b.data + (size_t)p[P_B_OFFSET] * (call.elem == ELEM_F32 ? 4 : 2);
  g.ldb = (int64_t)p[P_LDB];
  g.stride_b = (int64_t)p[P_STRIDE_B];
  g.trans_b = trans_b;
  g.b_elem = call.elem;
  g.c = (float *)call.c.data + (int64_t)p[P_C_OFFSET];
  g.ldc = (int64_t)p[P_LDC];
  g.stride_c = (int64_t)p[P_STRIDE_C];
  g.alpha = (float)p[P_ALPHA];
  g.beta = (float)p[P_BETA];
  if (molrl_sgemm(&g) != 0) return throw_error(env, 1, "sgemm: out of memory for the packed operands");
  return NULL;
}

/* Layout of gemv's params array. */
enum {
  V_M, V_N, V_K,
  V_A_OFFSET, V_LDA, V_TRANS_A,
  V_B_OFFSET, V_LDB, V_B_ELEM,
  V_C_OFFSET, V_LDC,
  V_TRANS_B,
  V_COUNT
};

static const char *const GEMV_PARAM_NAMES[V_COUNT] = {"m",       "n",   "k",     "aOffset", "lda", "transA",
                                                      "bOffset", "ldb", "bType", "cOffset", "ldc", "transB"};

/* gemv(a, b, c, params): C (m x n) = op(A) op(B), B stored [n, k] (transB: op(B) = B^T) or [k, n]; checked like sgemm. */
static napi_value js_gemv(napi_env env, napi_callback_info info) {
  call_t call;
  if (!read_call(env, info, "gemv", GEMV_PARAM_NAMES, V_COUNT, V_K + 1, V_COUNT, V_B_ELEM, &call)) return NULL;
  const double *p = call.p;
  if (p[V_TRANS_A] > 1 || p[V_TRANS_B] > 1) return throw_error(env, 1, "gemv: transA and transB must be 0 or 1");
  double m = p[V_M], n = p[V_N], k = p[V_K];
  if (m == 0 || n == 0) return NULL;
  int trans_a = p[V_TRANS_A] != 0, trans_b = p[V_TRANS_B] != 0;
  double c_last;
  if (!check_span(env, "gemv", "c", "ldc", p[V_C_OFFSET], p[V_LDC], 0, m, n, 1, call.c.length, &c_last)) return NULL;
  if (k > 0) {
    double a_last, b_last;
    if (!check_span(env, "gemv", "a", "lda", p[V_A_OFFSET], p[V_LDA], 0, trans_a ? k : m, trans_a ? m : k, 1, call.a.length,
                    &a_last))
      return NULL;
    if (!check_span(env, "gemv", "b", "ldb", p[V_B_OFFSET], p[V_LDB], 0, trans_b ? n : k, trans_b ? k : n, 1,
                    call.b.length, &b_last))
      return NULL;
    if (overlaps(call.c.data, p[V_C_OFFSET], c_last, 4, call.a.data, p[V_A_OFFSET], a_last, 4))
      return throw_error(env, 1, "gemv: c overlaps a in memory; the output must be a separate array");
    if (overlaps(call.c.data, p[V_C_OFFSET], c_last, 4, call.b.data, p[V_B_OFFSET], b_last, call.elem == ELEM_F32 ? 4 : 2))
      return throw_error(env, 1, "gemv: c overlaps b in memory; the output must be a separate array");
  }
  gemv_args g;
  g.m = (int64_t)m;
  g.n = (int64_t)n;
  g.k = (int64_t)k;
  g.a = (const float *)call.a.data + (int64_t)p[V_A_OFFSET];
  g.lda = (int64_t)p[V_LDA];
  g.trans_a = trans_a;
  g.b = (const char *)call.b.data + (size_t)p[V_B_OFFSET] * (call.elem == ELEM_F32 ? 4 : 2);
  g.ldb = (int64_t)p[V_LDB];
  g.trans_b = trans_b;
  g.b_elem = call.elem;
  g.c = (float *)call.c.data + (int64_t)p[V_C_OFFSET];
  g.ldc = (int64_t)p[V_LDC];
  if (molrl_gemv(&g) != 0) return throw_error(env, 1, "gemv: out of memory for a copy of a");
  return NULL;
}

static napi_value make_info(napi_env env) {
  const kernel_desc *kd = gemm_kernel();
  napi_value out, v, isas;
  napi_create_object(env, &out);
  napi_create_string_utf8(env, kd->isa, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, out, "isa", v);
  const struct { const char *name; int value; } ints[] = {
      {"mr", kd->mr}, {"nr", kd->nr}, {"kc", kd->kc}, {"mc", kd->mc}, {"nc", kd->nc},
      {"threads", pool_threads()}, {"processors", pool_available_processors()}};
  for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
    napi_create_int32(env, ints[i].value, &v);
    napi_set_named_property(env, out, ints[i].name, v);
  }
  napi_create_array(env, &isas);
  uint32_t count = 0;
  if (kernel_avx512() && cpu_has_avx512f()) {
    napi_create_string_utf8(env, "avx512f", NAPI_AUTO_LENGTH, &v);
    napi_set_element(env, isas, count++, v);
  }
  if (kernel_avx2() && cpu_has_avx2_fma()) {
    napi_create_string_utf8(env, "avx2", NAPI_AUTO_LENGTH, &v);
    napi_set_element(env, isas, count++, v);
  }
  napi_create_string_utf8(env, "generic", NAPI_AUTO_LENGTH, &v);
  napi_set_element(env, isas, count++, v);
  napi_set_named_property(env, out, "isas", isas);
  return out;
}

static napi_value js_info(napi_env env, napi_callback_info info) {
  (void)info;
  pool_lock();
  napi_value out = make_info(env);
  pool_unlock();
  return out;
}

static int get_int_arg(napi_env env, napi_callback_info info, size_t index, const char *what, int min, int max,
                       int *out) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  double value;
  char message[160];
  if (argc <= index || napi_get_value_double(env, argv[index], &value) != napi_ok || !(value >= min) ||
      !(value <= max) || floor(value) != value) {
    snprintf(message, sizeof message, "%s must be an integer from %d to %d", what, min, max);
    throw_error(env, 1, message);
    return 0;
  }
  *out = (int)value;
  return 1;
}

static napi_value js_set_threads(napi_env env, napi_callback_info info) {
  int threads;
  if (!get_int_arg(env, info, 0, "setThreads: threads", 1, 256, &threads)) return NULL;
  pool_lock();
  int got = pool_set_threads(threads);
  pool_unlock();
  napi_value out;
  napi_create_int32(env, got, &out);
  return out;
}

static napi_value js_set_isa(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char name[32];
  size_t len = 0;
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len) != napi_ok)
    return throw_error(env, 0, "setIsa: isa must be a string ('auto', 'avx512f', 'avx2' or 'generic')");
  pool_lock();
  int status = gemm_select_isa(name);
  pool_unlock();
  char message[160];
  if (status == -1) {
    snprintf(message, sizeof message, "setIsa: unknown isa '%s' (expected 'auto', 'avx512f', 'avx2' or 'generic')",
             name);
    return throw_error(env, 1, message);
  }
  if (status == -2) {
    snprintf(message, sizeof message, "setIsa: this CPU or build does not run '%s'", name);
    return throw_error(env, 1, message);
  }
  return make_info(env);
}

static napi_value js_set_blocking(napi_env env, napi_callback_info info) {
  int kc, mc, nc, budget;
  if (!get_int_arg(env, info, 0, "setBlocking: kc", 0, 1 << 16, &kc)) return NULL;
  if (!get_int_arg(env, info, 1, "setBlocking: mc", 0, 1 << 16, &mc)) return NULL;
  if (!get_int_arg(env, info, 2, "setBlocking: nc", 0, 1 << 20, &nc)) return NULL;
  if (!get_int_arg(env, info, 3, "setBlocking: passBudget", 0, 1 << 30, &budget)) return NULL;
  pool_lock();
  gemm_set_blocking(kc, mc, nc, budget);
  pool_unlock();
  return NULL;
}

/*
 * The first `count` arguments of an elementwise call into argv, the first `floats`
 * of them Float32Arrays (named by `names`) read into arrays; 0 with an error thrown.
 */
static int elementwise_args(napi_env env, napi_callback_info info, const char *fn, const char *usage, size_t count,
                            napi_value *argv, const char *const *names, size_t floats, array_t *arrays) {
  size_t argc = count;
  char message[160];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < count) {
    snprintf(message, sizeof message, "%s: expected %s", fn, usage);
    throw_error(env, 0, message);
    return 0;
  }
  for (size_t i = 0; i < floats; i++)
    if (!get_array(env, fn, argv[i], names[i], napi_float32_array, "Float32Array", &arrays[i])) return 0;
  return 1;
}

/* Whether two arrays of 4-byte elements share no memory. */
static int apart(const array_t *x, const array_t *y) {
  if (x->length == 0 || y->length == 0) return 1;
  return !overlaps(x->data, 0, (double)x->length - 1, 4, y->data, 0, (double)y->length - 1, 4);
}

/* Whether an elementwise output is its input itself or shares none of its memory (one length). */
static int same_or_apart(const array_t *out, const array_t *in) { return out->data == in->data || apart(out, in); }

/*
 * scaleAdd(a, b, out, s): out[i] = a[i] + b[i] * s over three Float32Arrays of one
 * length. out may be a or b itself (in place) but no other part of their memory: a
 * partial overlap would read values the loop has already written.
 */
static napi_value js_scale_add(napi_env env, napi_callback_info info) {
  static const char *const names[] = {"a", "b", "out"};
  napi_value argv[4];
  array_t arrays[3];
  char message[200];
  if (!elementwise_args(env, info, "scaleAdd", "(a, b, out, s)", 4, argv, names, 3, arrays)) return NULL;
  const array_t a = arrays[0], b = arrays[1], out = arrays[2];
  double s;
  if (napi_get_value_double(env, argv[3], &s) != napi_ok) return throw_error(env, 0, "scaleAdd: s must be a number");
  if (!isfinite(s)) {
    snprintf(message, sizeof message, "scaleAdd: s must be a finite number, got %g", s);
    return throw_error(env, 1, message);
  }
  if (b.length != a.length || out.length != a.length) {
    snprintf(message, sizeof message, "scaleAdd: a, b and out must have one length, got %zu, %zu and %zu", a.length,
             b.length, out.length);
    return throw_error(env, 1, message);
  }
  if (!same_or_apart(&out, &a) || !same_or_apart(&out, &b))
    return throw_error(env, 1, "scaleAdd: out must be a or b itself, or share no memory with them");
  molrl_scale_add((const float *)a.data, (const float *)b.data, (float)s, (float *)out.data, (int64_t)a.length);
  return NULL;
}

/* A number argument of `fn` that must be an integer in [min, max]; 0 with an error thrown. */
static int integer_arg(napi_env env, const char *fn, napi_value value, const char *name, double min, double max,
                       double *out) {
  char message[200];
  if (napi_get_value_double(env, value, out) != napi_ok || !(*out >= min && *out <= max) || floor(*out) != *out) {
    snprintf(message, sizeof message, "%s: %s must be an integer in [%.0f, %.0f]", fn, name, min, max);
    throw_error(env, 1, message);
    return 0;
  }
  return 1;
}

/*
 * dropout(x, out, first, k0, k1, keepFrom, scale): x's elements as elements first..
 * of the Philox stream of key (k0, k1), kept (x * scale) where word >> 8 reaches
 * keepFrom, else x * 0. out is x itself or shares no memory with it.
 */
static napi_value js_dropout(napi_env env, napi_callback_info info) {
  static const char *const names[] = {"x", "out"};
  napi_value argv[7];
  array_t arrays[2];
  char message[200];
  if (!elementwise_args(env, info, "dropout", "(x, out, first, k0, k1, keepFrom, scale)", 7, argv, names, 2, arrays))
    return NULL;
  const array_t x = arrays[0], out = arrays[1];
  if (out.length != x.length) {
    snprintf(message, sizeof message, "dropout: x and out must have one length, got %zu and %zu", x.length, out.length);
    return throw_error(env, 1, message);
  }
  double first, k0, k1, keep_from, scale;
  if (!integer_arg(env, "dropout", argv[2], "first", 0, MAX_INDEX - (double)x.length, &first) ||
      !integer_arg(env, "dropout", argv[3], "k0", 0, 4294967295.0, &k0) || !integer_arg(env, "dropout", argv[4], "k1", 0, 4294967295.0, &k1) ||
      !integer_arg(env, "dropout", argv[5], "keepFrom", 0, 16777216.0, &keep_from))
    return NULL;
  if (napi_get_value_double(env, argv[6], &scale) != napi_ok || !isfinite(scale))
    return throw_error(env, 1, "dropout: scale must be a finite number");
  if (!same_or_apart(&out, &x)) return throw_error(env, 1, "dropout: out must be x itself or share no memory with it");
  molrl_dropout((const float *)x.data, (float *)out.data, (int64_t)x.length, (int64_t)first, (uint32_t)k0, (uint32_t)k1,
                (uint32_t)keep_from, (float)scale);
  return NULL;
}

/* Whether every output shares no memory with any input or with another output. */
static int outputs_apart(const array_t *const *outs, int n_outs, const array_t *const *ins, int n_ins) {
  for (int o = 0; o < n_outs; o++) {
    for (int i = 0; i < n_ins; i++)
      if (!apart(outs[o], ins[i])) return 0;
    for (int p = o + 1; p < n_outs; p++)
      if (!apart(outs[o], outs[p])) return 0;
  }
  return 1;
}

/*
 * The row length d = weight.length of `fn`'s rows in x: weight not empty and x a whole
 * number of rows; 0 with an error thrown.
 */
static int row_length(napi_env env, const char *fn, const array_t *x, const array_t *weight, size_t *d) {
  char message[200];
  *d = weight->length;
  if (*d == 0) {
    snprintf(message, sizeof message, "%s: weight must not be empty (its length is the row length)", fn);
    throw_error(env, 1, message);
    return 0;
  }
  if (x->length % *d != 0) {
    snprintf(message, sizeof message, "%s: x's length (%zu) must be a multiple of weight's (%zu)", fn, x->length,
             *d);
    throw_error(env, 1, message);
    return 0;
  }
  return 1;
}

/* eps: a finite number >= 0; 0 with an error thrown. */
static int eps_arg(napi_env env, const char *fn, napi_value value, double *eps) {
  char message[200];
  if (napi_get_value_double(env, value, eps) != napi_ok) {
    snprintf(message, sizeof message, "%s: eps must be a number", fn);
    throw_error(env, 0, message);
    return 0;
  }
  if (!isfinite(*eps) || *eps < 0) {
    snprintf(message, sizeof message, "%s: eps must be a finite number >= 0, got %g", fn, *eps);
    throw_error(env, 1, message);
    return 0;
  }
  return 1;
}

/*
 * rmsNorm(x, weight, y, eps): rows of d = weight.length normalised into y, which shares
 * no memory with x or weight.
 */
static napi_value js_rms_norm(napi_env env, napi_callback_info info) {
  static const char *const fn = "rmsNorm";
  static const char *const names[] = {"x", "weight", "y"};
  napi_value argv[4];
  array_t a[3];
  char message[200];
  if (!elementwise_args(env, info, fn, "(x, weight, y, eps)", 4, argv, names, 3, a)) return NULL;
  const array_t x = a[0], weight = a[1], y = a[2];
  double eps;
  if (!eps_arg(env, fn, argv[3], &eps)) return NULL;
  size_t d;
  if (!row_length(env, fn, &x, &weight, &d)) return NULL;
  if (y.length != x.length) {
    snprintf(message, sizeof message, "rmsNorm: y must have x's length (%zu), got %zu", x.length, y.length);
    return throw_error(env, 1, message);
  }
  const array_t *outs[] = {&y}, *ins[] = {&x, &weight};
  if (!outputs_apart(outs, 1, ins, 2)) return throw_error(env, 1, "rmsNorm: y must share no memory with x or weight");
  molrl_rms_norm((const float *)x.data, (const float *)weight.data, (float *)y.data, (int64_t)(x.length / d),
                 (int64_t)d, eps);
  return NULL;
}

/*
 * rmsNormGrad(dy, x, weight, dx, dweight, eps): rows of d = weight.length; dx gets the
 * rows' input gradients, dweight (d) the weight's. The outputs share no memory with the inputs or each other.
 */
static napi_value js_rms_norm_grad(napi_env env, napi_callback_info info) {
  static const char *const fn = "rmsNormGrad";
  static const char *const names[] = {"dy", "x", "weight", "dx", "dweight"};
  napi_value argv[6];
  array_t a[5];
  char message[200];
  if (!elementwise_args(env, info, fn, "(dy, x, weight, dx, dweight, eps)", 6, argv, names, 5, a)) return NULL;
  const array_t dy = a[0], x = a[1], weight = a[2], dx = a[3], dw = a[4];
  double eps;
  if (!eps_arg(env, fn, argv[5], &eps)) return NULL;
  size_t d;
  if (!row_length(env, fn, &x, &weight, &d)) return NULL;
  if (dy.length != x.length || dx.length != x.length) {
    snprintf(message, sizeof message, "rmsNormGrad: dy, x and dx must have one length, got %zu, %zu and %zu",
             dy.length, x.length, dx.length);
    return throw_error(env, 1, message);
  }
  if (dw.length != d) {
    snprintf(message, sizeof message, "rmsNormGrad: dweight must have weight's length (%zu), got %zu", d, dw.length);
    return throw_error(env, 1, message);
  }
  const array_t *outs[] = {&dx, &dw}, *ins[] = {&dy, &x, &weight};
  if (!outputs_apart(outs, 2, ins, 3))
    return throw_error(env, 1, "rmsNormGrad: dx and dweight must share no memory with dy, x, weight or each other");
  double *scratch = malloc((d + 2 * RMS_NORM_ROWS) * sizeof(double));
  if (!scratch) return throw_error(env, 1, "rmsNormGrad: out of memory");
  molrl_rms_norm_grad((const float *)dy.data, (const float *)x.data, (const float *)weight.data, (float *)dx.data,
                      (float *)dw.data, (int64_t)(x.length / d), (int64_t)d, eps, scratch, scratch + d);
  free(scratch);
  return NULL;
}

/* The shape of a rope call: b, t, h, d and the checks they share; 0 with an error thrown. */
typedef struct {
  int64_t b, t, h, d;
  double eps;
} rope_shape_t;

/*
 * Reads t, heads and eps from argv[at..at+2] and checks x, w, positions, cos and sin (and every
 * position against the angle table) for `fn`: x [b, t, h, d] with d = w.length, b t =
 * positions.length, d = weight.length, cos and sin D/2 values per position.
 */
static int rope_shape(napi_env env, const char *fn, napi_value *argv, int at, const array_t *x, const array_t *w,
                      const array_t *positions, const array_t *cos, const array_t *sin, rope_shape_t *out) {
  char message[240];
  double t, h;
  if (!integer_arg(env, fn, argv[at], "t", 1, 2147483647.0, &t) ||
      !integer_arg(env, fn, argv[at + 1], "heads", 1, 2147483647.0, &h) || !eps_arg(env, fn, argv[at + 2], &out->eps))
    return 0;
  const size_t d = w->length;
  if (d < 2 || d % 2 != 0) {
    snprintf(message, sizeof message, "%s: weight's length (the head dim, %zu) must be even and at least 2", fn, d);
    throw_error(env, 1, message);
    return 0;
  }
  if (positions->length % (size_t)t != 0) {
    snprintf(message, sizeof message, "%s: positions' length (%zu) must be a multiple of t (%.0f): one per token",
             fn, positions->length, t);
    throw_error(env, 1, message);
    return 0;
  }
  const double want = (double)positions->length * h * (double)d;
  if ((double)x->length != want) {
    snprintf(message, sizeof message, "%s: x must hold positions' length x heads x d = %zu x %.0f x %zu values, got %zu",
             fn, positions->length, h, d, x->length);
    throw_error(env, 1, message);
    return 0;
  }
  const size_t half = d / 2;
  if (cos->length != sin->length || cos->length % half != 0) {
    snprintf(message, sizeof message,
             "%s: cos and sin must have one length, a multiple of d / 2 (%zu), got %zu and %zu", fn, half,
             cos->length, sin->length);
    throw_error(env, 1, message);
    return 0;
  }
  const int32_t *p = (const int32_t *)positions->data;
  const size_t covered = cos->length / half;
  for (size_t i = 0; i < positions->length; i++)
    if (p[i] < 0 || (size_t)p[i] >= covered) {
      snprintf(message, sizeof message,
               "%s: positions[%zu] is %d, outside the angle table (cos and sin cover positions 0 to %zu)", fn, i,
               p[i], covered == 0 ? 0 : covered - 1);
      throw_error(env, 1, message);
      return 0;
    }
  out->t = (int64_t)t;
  out->h = (int64_t)h;
  out->d = (int64_t)d;
  out->b = (int64_t)(positions->length / (size_t)t);
  return 1;
}

/* positions (an Int32Array) of `fn`; 0 with an error thrown. */
static int positions_arg(napi_env env, const char *fn, napi_value value, array_t *out) {
  return get_array(env, fn, value, "positions", napi_int32_array, "Int32Array", out);
}

/*
 * rmsNormRope(x, weight, positions, cos, sin, y, t, heads, eps): x [b, t, h, d] normalised over d
 * and rotated by each token's position into y [b, h, t, d], which shares no memory with the inputs.
 */
static napi_value js_rms_norm_rope(napi_env env, napi_callback_info info) {
  static const char *const fn = "rmsNormRope";
  static const char *const names[] = {"x", "weight"};
  napi_value argv[9];
  array_t a[2], positions, cos, sin, y;
  char message[200];
  if (!elementwise_args(env, info, fn, "(x, weight, positions, cos, sin, y, t, heads, eps)", 9, argv, names, 2, a) ||
      !positions_arg(env, fn, argv[2], &positions) ||
      !get_array(env, fn, argv[3], "cos", napi_float32_array, "Float32Array", &cos) ||
      !get_array(env, fn, argv[4], "sin", napi_float32_array, "Float32Array", &sin) ||
      !get_array(env, fn, argv[5], "y", napi_float32_array, "Float32Array", &y))
    return NULL;
  rope_shape_t shape;
  if (!rope_shape(env, fn, argv, 6, &a[0], &a[1], &positions, &cos, &sin, &shape)) return NULL;
  if (y.length != a[0].length) {
    snprintf(message, sizeof message, "rmsNormRope: y must have x's length (%zu), got %zu", a[0].length, y.length);
    return throw_error(env, 1, message);
  }
  const array_t *outs[] = {&y}, *ins[] = {&a[0], &a[1], &positions, &cos, &sin};
  if (!outputs_apart(outs, 1, ins, 5))
    return throw_error(env, 1, "rmsNormRope: y must share no memory with x, weight, positions, cos or sin");
  molrl_rms_norm_rope((const float *)a[0].data, (const float *)a[1].data, (const int32_t *)positions.data,
                      (const float *)cos.data, (const float *)sin.data, (float *)y.data, shape.b, shape.t, shape.h,
                      shape.d, shape.eps);
  return NULL;
}

/*
 * rmsNormRopeGrad(dy, x, weight, positions, cos, sin, dx, dweight, t, heads, eps): dy
 * [b, h, t, d] back through the rotation and the norm into dx [b, t, h, d] and dweight (d). The outputs share no
 * memory with the inputs or each other.
 */
static napi_value js_rms_norm_rope_grad(napi_env env, napi_callback_info info) {
  static const char *const fn = "rmsNormRopeGrad";
  static const char *const names[] = {"dy", "x", "weight"};
  napi_value argv[11];
  array_t a[3], positions, cos, sin, dx, dw;
  char message[200];
  if (!elementwise_args(env, info, fn, "(dy, x, weight, positions, cos, sin, dx, dweight, t, heads, eps)", 11, argv, names, 3,
                        a) ||
      !positions_arg(env, fn, argv[3], &positions) ||
      !get_array(env, fn, argv[4], "cos", napi_float32_array, "Float32Array", &cos) ||
      !get_array(env, fn, argv[5], "sin", napi_float32_array, "Float32Array", &sin) ||
      !get_array(env, fn, argv[6], "dx", napi_float32_array, "Float32Array", &dx) ||
      !get_array(env, fn, argv[7], "dweight", napi_float32_array, "Float32Array", &dw))
    return NULL;
  rope_shape_t shape;
  if (!rope_shape(env, fn, argv, 8, &a[1], &a[2], &positions, &cos, &sin, &shape)) return NULL;
  if (a[0].length != a[1].length || dx.length != a[1].length) {
    snprintf(message, sizeof message, "rmsNormRopeGrad: dy, x and dx must have one length, got %zu, %zu and %zu",
             a[0].length, a[1].length, dx.length);
    return throw_error(env, 1, message);
  }
  if (dw.length != (size_t)shape.d) {
    snprintf(message, sizeof message, "rmsNormRopeGrad: dweight must have weight's length (%lld), got %zu",
             (long long)shape.d, dw.length);
    return throw_error(env, 1, message);
  }
  const array_t *outs[] = {&dx, &dw}, *ins[] = {&a[0], &a[1], &a[2], &positions, &cos, &sin};
  if (!outputs_apart(outs, 2, ins, 6))
    return throw_error(env, 1,
                       "rmsNormRopeGrad: dx and dweight must share no memory with dy, x, weight, positions, cos, sin or each other");
  double *scratch = malloc((size_t)(shape.d + 2 * shape.h) * sizeof(double));
  float *rows = malloc((size_t)shape.h * (size_t)shape.d * sizeof(float));
  if (!scratch || !rows) {
    free(scratch);
    free(rows);
    return throw_error(env, 1, "rmsNormRopeGrad: out of memory");
  }
  molrl_rms_norm_rope_grad((const float *)a[0].data, (const float *)a[1].data, (const float *)a[2].data,
                           (const int32_t *)positions.data, (const float *)cos.data, (const float *)sin.data,
                           (float *)dx.data, (float *)dw.data, shape.b, shape.t, shape.h, shape.d, shape.eps, scratch,
                           scratch + shape.d, rows);
  free(scratch);
  free(rows);
  return NULL;
}

static napi_value js_release_memory(napi_env env, napi_callback_info info) {
  (void)env;
  (void)info;
  pool_lock();
  gemm_release_memory();
  pool_unlock();
  return NULL;
}

NAPI_MODULE_INIT() {
  const napi_property_descriptor props[] = {
      {"sgemm", NULL, js_sgemm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"gemv", NULL, js_gemv, NULL, NULL, NULL, napi_enumerable, NULL},
      {"scaleAdd", NULL, js_scale_add, NULL, NULL, NULL, napi_enumerable, NULL},
      {"dropout", NULL, js_dropout, NULL, NULL, NULL, napi_enumerable, NULL},
      {"rmsNorm", NULL, js_rms_norm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"rmsNormGrad", NULL, js_rms_norm_grad, NULL, NULL, NULL, napi_enumerable, NULL},
      {"rmsNormRope", NULL, js_rms_norm_rope, NULL, NULL, NULL, napi_enumerable, NULL},
      {"rmsNormRopeGrad", NULL, js_rms_norm_rope_grad, NULL, NULL, NULL, napi_enumerable, NULL},
      {"info", NULL, js_info, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setThreads", NULL, js_set_threads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setIsa", NULL, js_set_isa, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setBlocking", NULL, js_set_blocking, NULL, NULL, NULL, napi_enumerable, NULL},
      {"releaseMemory", NULL, js_release_memory, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
