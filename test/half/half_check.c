/* Helpers of the gemm590_hgemm tests (see half_check.h). */
#include "half_check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gemm590.h"

/* ---- binary16 values from bits ---- */

double half_value(uint16_t h) {
  int sign = h >> 15, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  double v;
  if (exponent == 0x1f) v = mantissa ? NAN : INFINITY;
  else if (exponent == 0) v = ldexp(mantissa, -24);
  else v = ldexp(1024 + mantissa, exponent - 25);
  return sign ? -v : v;
}

uint16_t half_from_parts(int sign, int exponent, int mantissa) {
  return (uint16_t)((sign << 15) | (exponent << 10) | mantissa);
}

uint16_t half_random(check_rng *r) {
  uint64_t x = check_rng_next(r);
  /* Biased exponents 11..15: magnitudes 2^-4 .. 2 - 2^-10. */
  return half_from_parts((int)(x & 1), 11 + (int)((x >> 1) % 5), (int)((x >> 8) & 0x3ff));
}

/* ---- matrices ---- */

void half_matrix_alloc(half_matrix *m, int64_t rows, int64_t cols, int64_t ld) {
  size_t len = 2 * (size_t)HALF_GUARD + (size_t)(ld * cols);
  uint16_t *base = malloc(len * sizeof *base);
  if (!base) {
    fprintf(stderr, "FATAL: out of memory for a %lld x %lld matrix\n", (long long)ld,
            (long long)cols);
    exit(1);
  }
  for (size_t i = 0; i < len; i++) base[i] = HALF_CANARY;
  *m = (half_matrix){.rows = rows, .cols = cols, .ld = ld, .data = base + HALF_GUARD,
                     .base = base, .len = len};
}

void half_matrix_free(half_matrix *m) {
  free(m->base);
  free(m->saved);
  memset(m, 0, sizeof *m);
}

void half_matrix_fill_random(half_matrix *m, check_rng *r) {
  for (int64_t j = 0; j < m->cols; j++)
    for (int64_t i = 0; i < m->rows; i++) m->data[i + j * m->ld] = half_random(r);
}

void half_matrix_fill(half_matrix *m, uint16_t value) {
  for (int64_t j = 0; j < m->cols; j++)
    for (int64_t i = 0; i < m->rows; i++) m->data[i + j * m->ld] = value;
}

void half_matrix_snapshot(half_matrix *m) {
  if (!m->saved) m->saved = malloc(m->len * sizeof *m->saved);
  if (!m->saved) {
    fprintf(stderr, "FATAL: out of memory for a snapshot\n");
    exit(1);
  }
  memcpy(m->saved, m->base, m->len * sizeof *m->base);
}

int64_t half_matrix_changed(const half_matrix *m, bool outside_only) {
  int64_t changed = 0;
  for (size_t idx = 0; idx < m->len; idx++) {
    if (m->base[idx] == m->saved[idx]) continue;
    int64_t off = (int64_t)idx - HALF_GUARD;
    bool in_block = off >= 0 && off < m->ld * m->cols && off % m->ld < m->rows;
    if (!(outside_only && in_block)) changed++;
  }
  return changed;
}

/* ---- one call ---- */

static bool is_trans(char t) { return t != 'N'; }

static int cblas_trans(char t) {
  return t == 'N' ? CblasNoTrans : t == 'T' ? CblasTrans : CblasConjTrans;
}

void half_gemm_run(const half_gemm *g) {
  gemm590_hgemm(g->layout == 'R' ? CblasRowMajor : CblasColMajor, cblas_trans(g->transa),
                cblas_trans(g->transb), (int)g->m, (int)g->n, (int)g->k, g->alpha, g->a,
                (int)g->lda, g->b, (int)g->ldb, g->beta, g->c, (int)g->ldc);
}

void half_gemm_storage(const half_gemm *g, char operand, int64_t *rows, int64_t *cols) {
  int64_t r, c;
  bool flip = g->layout == 'R';
  if (operand == 'A') {
    r = g->m, c = g->k;
    flip ^= is_trans(g->transa);
  } else if (operand == 'B') {
    r = g->k, c = g->n;
    flip ^= is_trans(g->transb);
  } else {
    r = g->m, c = g->n;
  }
  *rows = flip ? c : r;
  *cols = flip ? r : c;
}

void half_gemm_describe(const half_gemm *g, char *buf, size_t len) {
  snprintf(buf, len,
           "gemm590_hgemm layout=%c transa=%c transb=%c M=%lld N=%lld K=%lld alpha=%g beta=%g "
           "lda=%lld ldb=%lld ldc=%lld",
           g->layout, g->transa, g->transb, (long long)g->m, (long long)g->n, (long long)g->k,
           (double)g->alpha, (double)g->beta, (long long)g->lda, (long long)g->ldb,
           (long long)g->ldc);
}

/* Element (r, c) of op(X) lies at x[r * *s_row + c * *s_col]. */
static void op_strides(char layout, char trans, int64_t ld, int64_t *s_row, int64_t *s_col) {
  bool flip = (layout == 'R') != is_trans(trans);
  *s_row = flip ? ld : 1;
  *s_col = flip ? 1 : ld;
}

void half_gemm_reference(const half_gemm *g, double *ref, double *mag) {
  int64_t ai, al, bl, bj, ci, cj;
  op_strides(g->layout, g->transa, g->lda, &ai, &al);
  op_strides(g->layout, g->transb, g->ldb, &bl, &bj);
  op_strides(g->layout, 'N', g->ldc, &ci, &cj);
  bool use_ab = g->alpha != 0.0f && g->k > 0;
  for (int64_t j = 0; j < g->n; j++) {
    for (int64_t i = 0; i < g->m; i++) {
      double sum = 0.0, abs_sum = 0.0;
      for (int64_t l = 0; use_ab && l < g->k; l++) {
        double p = half_value(g->a[i * ai + l * al]) * half_value(g->b[l * bl + j * bj]);
        sum += p;
        abs_sum += fabs(p);
      }
      double bc = g->beta == 0.0f ? 0.0 : (double)g->beta * half_value(g->c[i * ci + j * cj]);
      ref[i + j * g->m] = (double)g->alpha * sum + bc;
      mag[i + j * g->m] = fabs((double)g->alpha) * abs_sum + fabs(bc);
    }
  }
}

void half_gemm_compare(const half_gemm *g, const double *ref, const double *mag,
                       check_result *out) {
  int64_t ci, cj;
  op_strides(g->layout, 'N', g->ldc, &ci, &cj);
  double f32 = 8.0 * (double)(g->k + 2) * CHECK_EPS_F32 * (1.0 + 0x1p-11);
  *out = (check_result){.bad_i = -1, .bad_j = -1};
  for (int64_t j = 0; j < g->n; j++) {
    for (int64_t i = 0; i < g->m; i++) {
      double got = half_value(g->c[i * ci + j * cj]), want = ref[i + j * g->m];
      double bound = 0x1p-11 * fabs(want) + f32 * mag[i + j * g->m] + 0x1p-25;
      double err = fabs(got - want);
      double ratio = isnan(err) ? INFINITY : err / bound;
      if (ratio > out->max_ratio) out->max_ratio = ratio;
      if (err <= bound) continue;
      if (out->bad++ == 0) {
        out->bad_i = i, out->bad_j = j;
        out->got = got, out->want = want, out->bound = bound;
      }
    }
  }
}

bool half_gemm_check(half_gemm g, int64_t pad, check_rng *rng, void (*run)(const half_gemm *),
                     const char *tag, double *max_ratio) {
  half_matrix a, b, c;
  int64_t rows, cols;
  half_gemm_storage(&g, 'A', &rows, &cols);
  half_matrix_alloc(&a, rows, cols, (rows > 1 ? rows : 1) + pad);
  half_gemm_storage(&g, 'B', &rows, &cols);
  half_matrix_alloc(&b, rows, cols, (rows > 1 ? rows : 1) + pad);
  half_gemm_storage(&g, 'C', &rows, &cols);
  half_matrix_alloc(&c, rows, cols, (rows > 1 ? rows : 1) + pad);
  half_matrix_fill_random(&a, rng);
  half_matrix_fill_random(&b, rng);
  if (g.beta == 0.0f) half_matrix_fill(&c, HALF_CANARY);
  else half_matrix_fill_random(&c, rng);
  g.a = a.data, g.lda = a.ld, g.b = b.data, g.ldb = b.ld, g.c = c.data, g.ldc = c.ld;

  size_t elems = (size_t)(g.m * g.n) + 1;
  double *ref = malloc(elems * sizeof *ref), *mag = malloc(elems * sizeof *mag);
  if (!ref || !mag) {
    fprintf(stderr, "FATAL: out of memory for the reference\n");
    exit(1);
  }
  half_gemm_reference(&g, ref, mag);
  half_matrix_snapshot(&a);
  half_matrix_snapshot(&b);
  half_matrix_snapshot(&c);
  run(&g);

  char what[256];
  half_gemm_describe(&g, what, sizeof what);
  check_result res;
  half_gemm_compare(&g, ref, mag, &res);
  if (res.max_ratio > *max_ratio) *max_ratio = res.max_ratio;
  bool ok = true;
  if (res.bad) {
    printf("%s FAIL %s: %lld elements out of bound, first C(%lld,%lld) = %.9g, want %.9g "
           "(bound %.3g)\n",
           tag, what, (long long)res.bad, (long long)res.bad_i, (long long)res.bad_j, res.got,
           res.want, res.bound);
    ok = false;
  }
  int64_t changed_c = half_matrix_changed(&c, true);
  int64_t changed_a = half_matrix_changed(&a, false), changed_b = half_matrix_changed(&b, false);
  if (changed_c || changed_a || changed_b) {
    printf("%s FAIL %s: changed outside C's block: %lld in C's padding/guards, %lld in A, "
           "%lld in B\n",
           tag, what, (long long)changed_c, (long long)changed_a, (long long)changed_b);
    ok = false;
  }
  free(ref);
  free(mag);
  half_matrix_free(&a);
  half_matrix_free(&b);
  half_matrix_free(&c);
  return ok;
}

/* ---- counters and stderr ---- */

void half_counters(uint64_t *host, uint64_t *device) {
  struct gemm590_counters c;
  gemm590_get_counters(&c);
  *host = c.calls[GEMM590_PATH_HOST];
  *device = c.calls[GEMM590_PATH_DEVICE];
}

static FILE *capture_file;
static int saved_stderr = -1;

void half_capture_begin(void) {
  fflush(stderr);
  capture_file = tmpfile();
  saved_stderr = dup(2);
  if (!capture_file || saved_stderr < 0 || dup2(fileno(capture_file), 2) < 0) {
    fprintf(stderr, "FATAL: cannot capture stderr\n");
    exit(1);
  }
}

const char *half_capture_end(void) {
  static char text[1 << 16];
  fflush(stderr);
  dup2(saved_stderr, 2);
  close(saved_stderr);
  rewind(capture_file);
  size_t n = fread(text, 1, sizeof text - 1, capture_file);
  text[n] = '\0';
  fclose(capture_file);
  /* Shown as well, so a failing test's log has the library's lines. */
  fputs(text, stderr);
  return text;
}
