/*
 * The row loops of rms_norm.c, included once per instruction set: RN_TARGET is the
 * function attribute (empty, or target("avx2")) and RN(name) the suffixed name.
 * Each chain (a row's sum of squares, its dot product) is scalar and in element
 * order; the loops without one are elementwise over restrict pointers, so the
 * compiler vectorises them at the target's width. No operation is reordered, so
 * every target gives the same bits.
 */

/* 1 / sqrt(mean(x^2) + eps) of `rows` rows of d from x into inv: ROWS chains side by side, each in element order. */
static RN_TARGET NO_CONTRACT void RN(inverse_rms)(const float *restrict x, int64_t rows, int64_t d, double eps,
                                                  double *restrict inv) {
  int64_t r = 0;
  for (; r + ROWS <= rows; r += ROWS) {
    const float *row = x + r * d;
    double s[ROWS] = {0};
    for (int64_t c = 0; c < d; c++)
      for (int k = 0; k < ROWS; k++) {
        const double v = row[k * d + c];
        s[k] += v * v;
      }
    for (int k = 0; k < ROWS; k++) inv[r + k] = 1.0 / sqrt(s[k] / (double)d + eps);
  }
  for (; r < rows; r++) {
    const float *row = x + r * d;
    double s = 0;
    for (int64_t c = 0; c < d; c++) s += (double)row[c] * row[c];
    inv[r] = 1.0 / sqrt(s / (double)d + eps);
  }
}

/* A group of four's squares into the WebAssembly kernel's two chains: elements 0 and 2, then 1 and 3. */
static inline RN_TARGET NO_CONTRACT void RN(add_group_squares)(const float *v, double *even, double *odd) {
  const double a = v[0], b = v[1], e = v[2], f = v[3];
  *even += a * a;
  *odd += b * b;
  *even += e * e;
  *odd += f * f;
}

/*
 * rmsNorm of `rows` rows of d from x into y with the cpu backend's WebAssembly kernel's
 * sums and roundings: each row's squares summed in float64 as two chains, the first
 * taking elements 0 and 2 of every group of four and every element past the last group,
 * the second elements 1 and 3; the factor 1 / sqrt((first + second) / d + eps) rounded
 * to float32; y = (x f) w, each product rounded to float32. ROWS rows' chains side by side.
 */
static RN_TARGET NO_CONTRACT void RN(rms_norm_rows)(const float *restrict x, const float *restrict w,
                                                    float *restrict y, int64_t rows, int64_t d, double eps) {
  const int64_t groups = d / 4 * 4;
  for (int64_t r = 0; r < rows; r += ROWS) {
    const int64_t n = rows - r < ROWS ? rows - r : ROWS;
    const float *block = x + r * d;
    double even[ROWS] = {0}, odd[ROWS] = {0};
    /* A whole block: a constant count, so the ROWS pairs of chains stay in registers, side by side. */
    if (n == ROWS)
      for (int64_t c = 0; c < groups; c += 4)
        for (int k = 0; k < ROWS; k++) RN(add_group_squares)(block + k * d + c, &even[k], &odd[k]);
    else
      for (int64_t k = 0; k < n; k++)
        for (int64_t c = 0; c < groups; c += 4) RN(add_group_squares)(block + k * d + c, &even[k], &odd[k]);
    for (int64_t k = 0; k < n; k++) {
      const float *row = block + k * d;
      for (int64_t c = groups; c < d; c++) even[k] += (double)row[c] * row[c];
      const float f = (float)(1.0 / sqrt((even[k] + odd[k]) / (double)d + eps));
      float *out = y + (r + k) * d;
      for (int64_t c = 0; c < d; c++) {
        const float scaled = row[c] * f;
        out[c] = scaled * w[c];
      }
    }
  }
}

/* dot[k] = the sum over c of g w x r for `rows` rows (g rows gd apart, x rows d apart): one chain per row. */
static RN_TARGET NO_CONTRACT void RN(grad_dots)(const float *restrict g, int64_t gd, const float *restrict x,
                                                const float *restrict w, const double *restrict inv, int64_t rows,
                                                int64_t d, double *restrict dot) {
  int64_t r = 0;
  for (; r + ROWS <= rows; r += ROWS) {
    double s[ROWS] = {0};
    for (int64_t c = 0; c < d; c++) {
      const double wc = w[c];
      for (int k = 0; k < ROWS; k++) s[k] += (double)g[(r + k) * gd + c] * wc * ((double)x[(r + k) * d + c] * inv[r + k]);
    }
    for (int k = 0; k < ROWS; k++) dot[r + k] = s[k];
  }
  for (; r < rows; r++) {
    double s = 0;
    for (int64_t c = 0; c < d; c++) s += (double)g[r * gd + c] * w[c] * ((double)x[r * d + c] * inv[r]);
    dot[r] = s;
  }
}

/* One row: dweight[c] += g x r (rows called in order), then dx = r (g w - x r m) with m the mean of g w x r. */
static RN_TARGET NO_CONTRACT void RN(row_grad)(const float *restrict g, const float *restrict x, const float *restrict w,
                                               double r, double m, int64_t d, double *restrict dw,
                                               float *restrict dx) {
  for (int64_t c = 0; c < d; c++) dw[c] += (double)g[c] * ((double)x[c] * r);
  for (int64_t c = 0; c < d; c++) dx[c] = (float)(r * ((double)g[c] * w[c] - (double)x[c] * r * m));
}

/* The gradient of `rows` rows (g rows gd apart; x and dx rows d apart) given their inverse RMS. */
static RN_TARGET NO_CONTRACT void RN(grad_rows)(const float *g, int64_t gd, const float *x, const float *w,
                                                const double *inv, int64_t rows, int64_t d, double *dw, float *dx,
                                                double *dot) {
  RN(grad_dots)(g, gd, x, w, inv, rows, d, dot);
  for (int64_t r = 0; r < rows; r++) RN(row_grad)(g + r * gd, x + r * d, w, inv[r], dot[r] / (double)d, d, dw, dx + r * d);
}

/* One head's row normalised (each value rounded to float32, as rmsNorm's output is) and rotated into y. */
static RN_TARGET NO_CONTRACT void RN(norm_rotate_row)(const float *restrict x, const float *restrict w, double r,
                                                      const float *restrict cos, const float *restrict sin,
                                                      int64_t half, float *restrict y) {
  for (int64_t i = 0; i < half; i++) {
    const double x1 = (float)((double)x[i] * r * w[i]);
    const double x2 = (float)((double)x[i + half] * r * w[i + half]);
    const double c = cos[i], s = sin[i];
    y[i] = (float)(x1 * c - x2 * s);
    y[i + half] = (float)(x2 * c + x1 * s);
  }
}

/* A row of dy rotated back (rope's inverse), each value rounded to float32: y1 cos - y2 (-sin) is y1 cos + y2 sin. */
static RN_TARGET NO_CONTRACT void RN(rotate_back)(const float *restrict dy, const float *restrict cos,
                                                  const float *restrict sin, int64_t half, float *restrict g) {
  for (int64_t i = 0; i < half; i++) {
    const double y1 = dy[i], y2 = dy[i + half], c = cos[i], s = sin[i];
    g[i] = (float)(y1 * c + y2 * s);
    g[i + half] = (float)(y2 * c - y1 * s);
  }
}

static RN_TARGET void RN(rms_norm_grad)(const float *dy, const float *x, const float *w, float *dx, int64_t rows,
                                        int64_t d, double eps, double *dw, double *scratch) {
  double *inv = scratch, *dot = scratch + ROWS;
  for (int64_t r = 0; r < rows; r += ROWS) {
    const int64_t n = rows - r < ROWS ? rows - r : ROWS;
    RN(inverse_rms)(x + r * d, n, d, eps, inv);
    RN(grad_rows)(dy + r * d, d, x + r * d, w, inv, n, d, dw, dx + r * d, dot);
  }
}

/* Tokens [first, last) (indices b t + t into positions) of rms_norm_rope: ROWS heads' sums at a time. */
static RN_TARGET void RN(rms_norm_rope)(const float *x, const float *w, const int32_t *positions, const float *cos,
                                        const float *sin, float *y, int64_t first, int64_t last, int64_t t, int64_t h,
                                        int64_t d, double eps) {
  const int64_t half = d / 2;
  double inv[ROWS];
  for (int64_t token = first; token < last; token++) {
    const int64_t bi = token / t, ti = token % t;
    const int64_t at = (int64_t)positions[token] * half;
    const float *rows = x + token * h * d;
    for (int64_t h0 = 0; h0 < h; h0 += ROWS) {
      const int64_t n = h - h0 < ROWS ? h - h0 : ROWS;
      RN(inverse_rms)(rows + h0 * d, n, d, eps, inv);
      for (int64_t k = 0; k < n; k++)
        RN(norm_rotate_row)(rows + (h0 + k) * d, w, inv[k], cos + at, sin + at, half,
                            y + ((bi * h + h0 + k) * t + ti) * d);
    }
  }
}

static RN_TARGET void RN(rms_norm_rope_grad)(const float *dy, const float *x, const float *w, const int32_t *positions,
                                             const float *cos, const float *sin, float *dx, int64_t b, int64_t t,
                                             int64_t h, int64_t d, double eps, double *dw, double *scratch, float *g) {
  const int64_t half = d / 2;
  double *inv = scratch, *dot = scratch + h;
  for (int64_t bi = 0; bi < b; bi++)
    for (int64_t ti = 0; ti < t; ti++) {
      const int64_t at = (int64_t)positions[bi * t + ti] * half;
      const int64_t token = (bi * t + ti) * h * d;
      RN(inverse_rms)(x + token, h, d, eps, inv);
      for (int64_t hi = 0; hi < h; hi++)
        RN(rotate_back)(dy + ((bi * h + hi) * t + ti) * d, cos + at, sin + at, half, g + hi * d);
      RN(grad_rows)(g, d, x + token, w, inv, h, d, dw, dx + token, dot);
    }
}
