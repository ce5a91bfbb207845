/* Helpers shared by the device-path tests (see device.h). */
#include "device.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemm590.h"

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

static void fail_line(const char *tag, const check_gemm *g, const char *what) {
  char desc[256];
  check_gemm_describe(g, desc, sizeof desc);
  printf("FAIL [%s] %s: %s\n", tag, desc, what);
}

dev_outcome dev_run(check_gemm g, int64_t pad_a, int64_t pad_b, int64_t pad_c,
                    dev_values values, check_rng *rng, const char *tag) {
  check_matrix a, b, c, a16 = {0}, b16 = {0};
  check_gemm_operands(&g, pad_a, pad_b, pad_c, &a, &b, &c);
  size_t mn = (size_t)(g.m * g.n) + 1;
  double *ref = malloc(mn * sizeof *ref), *mag = malloc(mn * sizeof *mag);
  bool half_ref = values == DEV_HALF_ROUNDED;
  double *ref32 = half_ref ? malloc(mn * sizeof *ref32) : NULL;
  if (!ref || !mag || (half_ref && !ref32) ||
      (half_ref && (!check_matrix_alloc(&a16, a.rows, a.cols, g.lda) ||
                    !check_matrix_alloc(&b16, b.rows, b.cols, g.ldb)))) {
    fprintf(stderr, "FATAL: out of memory\n");
    exit(1);
  }
  check_matrix_fill_random(&a, rng);
  check_matrix_fill_random(&b, rng);
  if (values == DEV_HALF_EXACT) {
    round_block_half(&a);
    round_block_half(&b);
  }
  check_gemm_arm(&g, &a, &b, &c, rng);
  double norm_c0 = g.beta == 0.0f ? 0.0 : dev_norm_f(c.data, c.rows, c.cols, g.ldc);

  if (half_ref) {
    /* What a binary16 family computes: the reference of the rounded A, B. */
    check_reference(&g, ref32, mag);
    memcpy(a16.base, a.base, a.len * sizeof *a.base);
    memcpy(b16.base, b.base, b.len * sizeof *b.base);
    round_block_half(&a16);
    round_block_half(&b16);
    check_gemm g16 = g;
    g16.a = a16.data, g16.b = b16.data;
    check_reference(&g16, ref, mag);
  } else {
    check_reference(&g, ref, mag);
  }
  check_gemm_run(&g);

  dev_outcome out = {.ok = true};
  check_result r;
  check_compare(&g, ref, mag, CHECK_EPS_F32, &r);
  out.max_ratio = r.max_ratio;
  char what[256];
  if (r.bad) {
    snprintf(what, sizeof what,
             "%" PRId64 " elements out of bound, first C(%" PRId64 ",%" PRId64
             ") = %.9g, reference %.9g, bound %.3g",
             r.bad, r.bad_i, r.bad_j, r.got, r.want, r.bound);
    fail_line(tag, &g, what);
    out.ok = false;
  }
  int64_t first = 0, changed = check_matrix_changed(&c, true, &first);
  if (changed) {
    snprintf(what, sizeof what,
             "%" PRId64 " elements of C outside M x N changed, first at offset %" PRId64,
             changed, first);
    fail_line(tag, &g, what);
    out.ok = false;
  }
  if (check_matrix_changed(&a, false, NULL) || check_matrix_changed(&b, false, NULL)) {
    fail_line(tag, &g, "A or B modified");
    out.ok = false;
  }
  if (half_ref) {
    out.contract_ratio = dev_half_contract(&g, ref32, norm_c0);
    if (!(out.contract_ratio <= 1.0)) {
      snprintf(what, sizeof what, "binary16 precision contract broken: %.3g of the bound",
               out.contract_ratio);
      fail_line(tag, &g, what);
      out.ok = false;
    }
  }

  check_matrix_free(&a);
  check_matrix_free(&b);
  check_matrix_free(&c);
  if (half_ref) {
    check_matrix_free(&a16);
    check_matrix_free(&b16);
  }
  free(ref);
  free(mag);
  free(ref32);
  return out;
}

int64_t dev_random_dim(check_rng *rng, int64_t max_size) {
  static const int64_t steps[] = {16, 20, 24, 32, 64, 128};
  switch (check_rng_range(rng, 0, 2)) {
  case 0:
    return check_rng_range(rng, 1, max_size < 64 ? max_size : 64);
  case 1: {
    int64_t step = steps[check_rng_range(rng, 0, 5)];
    int64_t mult = check_rng_range(rng, 1, max_size / step > 1 ? max_size / step : 1);
    int64_t d = mult * step + check_rng_range(rng, -1, 1);
    return d < 1 ? 1 : d > max_size ? max_size : d;
  }
  default:
    return check_rng_range(rng, 1, max_size);
  }
}

check_gemm dev_random_call(check_rng *rng, int64_t max_size, bool all_entries) {
  static const char upper[] = "NTC", lower[] = "ntc";
  check_gemm g = {0};
  g.entry = all_entries ? (check_entry)check_rng_range(rng, 0, CHECK_ENTRY_COUNT - 1)
                        : check_rng_range(rng, 0, 1) ? CHECK_FORTRAN : CHECK_CBLAS;
  bool fortran = check_entry_is_fortran(g.entry);
  /* Fortran callers may spell the transposes in lower case. */
  const char *letters = fortran && check_rng_range(rng, 0, 1) ? lower : upper;
  g.layout = fortran || check_rng_range(rng, 0, 1) ? 'C' : 'R';
  g.transa = letters[check_rng_range(rng, 0, 2)];
  g.transb = letters[check_rng_range(rng, 0, 2)];
  g.m = dev_random_dim(rng, max_size);
  g.n = dev_random_dim(rng, max_size);
  g.k = dev_random_dim(rng, max_size);
  g.alpha = 2.0f * check_rng_unit(rng);
  int64_t beta_kind = check_rng_range(rng, 0, 2);
  g.beta = beta_kind == 0 ? 0.0f : beta_kind == 1 ? 1.0f : 2.0f * check_rng_unit(rng);
  return g;
}

void dev_counters(uint64_t *host, uint64_t *device) {
  struct gemm590_counters c;
  gemm590_get_counters(&c);
  *host = c.calls[GEMM590_PATH_HOST];
  *device = c.calls[GEMM590_PATH_DEVICE];
}

bool dev_counted(const check_gemm *g) {
  return g->m > 0 && g->n > 0 && g->k > 0 && g->alpha != 0.0f;
}
