/* Helpers shared by the device-path tests (see device.h). */
#include "device.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

float dev_round_half(float x) {
  double ax = fabs((double)x);
  if (ax < 0x1p-14) /* subnormal binary16: a fixed grid of 2^-24 */
    return (float)(rint((double)x * 0x1p24) * 0x1p-24);
  int e;
  double m = frexp((double)x, &e); /* x = m * 2^e, 0.5 <= |m| < 1 */
  /* 11 significant bits; rint rounds half to even in the default mode. */
  return (float)ldexp(rint(ldexp(m, 11)), e - 11);
}

double dev_norm_f(const float *x, int64_t rows, int64_t cols, int64_t ld) {
  double s = 0.0;
  for (int64_t j = 0; j < cols; j++)
    for (int64_t i = 0; i < rows; i++) s += (double)x[i + j * ld] * (double)x[i + j * ld];
  return sqrt(s);
}

double dev_half_contract(const check_gemm *g, const double *ref, double norm_c0) {
  int64_t ra, ca, rb, cb;
  check_gemm_storage(g, 'A', &ra, &ca);
  check_gemm_storage(g, 'B', &rb, &cb);
  double ahat = dev_norm_f(g->a, ra, ca, g->lda) + 0x1p-14 * sqrt((double)(ra * ca));
  double bhat = dev_norm_f(g->b, rb, cb, g->ldb) + 0x1p-14 * sqrt((double)(rb * cb));
  /* C as the caller stores it: element (i, j) at i*ci + j*cj. */
  int64_t ci = g->layout == 'R' ? g->ldc : 1, cj = g->layout == 'R' ? 1 : g->ldc;
  double diff = 0.0;
  for (int64_t j = 0; j < g->n; j++)
    for (int64_t i = 0; i < g->m; i++) {
      double d = (double)g->c[i * ci + j * cj] - ref[i + j * g->m];
      diff += d * d;
    }
  double bound = fabs((double)g->alpha) * ahat * bhat * (0x1p-10 + (double)(g->k + 4) * 0x1p-23) +
                 0x1p-23 * fabs((double)g->beta) * norm_c0;
  return sqrt(diff) / bound;
}

/* Replaces the rows x cols block of m by its binary16 rounding. */
static void round_block_half(check_matrix *m) {
  for (int64_t j = 0; j < m->cols; j++)
    for (int64_t i = 0; i < m->rows; i++) {
      float *x = &m->data[i + j * m->ld];
      *x = dev_round_half(*x);
    }
}

dev_outcome dev_run(check_gemm g, int64_t pad_a, int64_t pad_b, int64_t pad_c,
                    dev_values values, check_rng *rng, const char *tag) {
  check_case t;
  check_case_begin(&t, g, pad_a, pad_b, pad_c, rng);
  if (values == DEV_HALF_EXACT) {
    round_block_half(&t.a);
    round_block_half(&t.b);
  }
  check_case_arm(&t, rng);
  double norm_c0 = t.g.beta == 0.0f ? 0.0 : dev_norm_f(t.c.data, t.c.rows, t.c.cols, t.g.ldc);

  /* DEV_HALF_ROUNDED: the reference of the float32 operands is kept for
   * the contract; C is compared with the reference of A and B rounded to
   * binary16, which is what a binary16 family computes. */
  bool half_ref = values == DEV_HALF_ROUNDED;
  double *ref32 = NULL;
  if (half_ref) {
    check_matrix a16, b16;
    ref32 = t.ref;
    t.ref = malloc(((size_t)(t.g.m * t.g.n) + 1) * sizeof *t.ref);
    if (!t.ref || !check_matrix_alloc(&a16, t.a.rows, t.a.cols, t.g.lda) ||
        !check_matrix_alloc(&b16, t.b.rows, t.b.cols, t.g.ldb)) {
      fprintf(stderr, "FATAL: out of memory\n");
      exit(1);
    }
    memcpy(a16.base, t.a.base, t.a.len * t.a.size);
    memcpy(b16.base, t.b.base, t.b.len * t.b.size);
    round_block_half(&a16);
    round_block_half(&b16);
    check_gemm g16 = t.g;
    g16.a = a16.data, g16.b = b16.data;
    check_reference(&g16, t.ref, t.mag);
    check_matrix_free(&a16);
    check_matrix_free(&b16);
  }
  check_gemm_run(&t.g);

  dev_outcome out = {.ok = check_case_verify(&t, CHECK_F32), .max_ratio = t.result.max_ratio};
  if (!out.ok) check_fail(tag, &t.g, t.what);
  if (half_ref) {
    out.contract_ratio = dev_half_contract(&t.g, ref32, norm_c0);
    if (!(out.contract_ratio <= 1.0)) {
      char what[96];
      snprintf(what, sizeof what, "binary16 precision contract broken: %.3g of the bound",
               out.contract_ratio);
      check_fail(tag, &t.g, what);
      out.ok = false;
    }
  }
  check_case_end(&t);
  free(ref32);
  return out;
}

static int64_t random_dim(check_rng *rng, int64_t max_size) {
  static const int64_t steps[] = {16, 20, 24, 32, 64, 128};
  return check_random_dim(rng, max_size, 64, steps, 6);
}

check_gemm dev_random_call(check_rng *rng, int64_t max_size, bool all_entries) {
  return check_random_call(rng, max_size, all_entries, true, random_dim);
}
