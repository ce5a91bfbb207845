/* One checked SGEMM call for the reliability tests (see rel_call.h). */
#include "rel_call.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int64_t random_dim(check_rng *rng, int64_t max_size) {
  static const int64_t steps[] = {16, 24, 128};
  switch (check_rng_range(rng, 0, 2)) {
  case 0:
    return check_rng_range(rng, 1, 16);
  case 1: {
    int64_t step = steps[check_rng_range(rng, 0, 2)];
    int64_t d = step * check_rng_range(rng, 1, max_size / step > 1 ? max_size / step : 1) +
                check_rng_range(rng, -1, 1);
    return d < 1 ? 1 : d > max_size ? max_size : d;
  }
  default:
    return check_rng_range(rng, 1, max_size);
  }
}

check_gemm rel_random_call(check_rng *rng, int64_t max_size) {
  static const char letters[] = "NTC";
  check_gemm g = {.entry = check_rng_range(rng, 0, 1) ? CHECK_FORTRAN : CHECK_CBLAS};
  g.layout = g.entry == CHECK_FORTRAN || check_rng_range(rng, 0, 1) ? 'C' : 'R';
  g.transa = letters[check_rng_range(rng, 0, 2)];
  g.transb = letters[check_rng_range(rng, 0, 2)];
  g.m = random_dim(rng, max_size);
  g.n = random_dim(rng, max_size);
  g.k = random_dim(rng, max_size);
  g.alpha = 2.0f * check_rng_unit(rng);
  int64_t beta_kind = check_rng_range(rng, 0, 2);
  g.beta = beta_kind == 0 ? 0.0f : beta_kind == 1 ? 1.0f : 2.0f * check_rng_unit(rng);
  if (check_rng_range(rng, 0, 15) == 0) {
    if (check_rng_range(rng, 0, 1))
      g.alpha = 0.0f;
    else
      g.k = 0;
  }
  return g;
}

void rel_normalized_trans(const check_gemm *g, bool *trans_a, bool *trans_b) {
  bool ta = g->transa != 'N' && g->transa != 'n', tb = g->transb != 'N' && g->transb != 'n';
  *trans_a = g->layout == 'R' ? tb : ta;
  *trans_b = g->layout == 'R' ? ta : tb;
}

bool rel_counted(const check_gemm *g) {
  return g->m > 0 && g->n > 0 && g->k > 0 && g->alpha != 0.0f;
}

static void fail_line(const char *tag, const check_gemm *g, const char *what) {
  char desc[256];
  check_gemm_describe(g, desc, sizeof desc);
  printf("FAIL [%s] %s: %s\n", tag, desc, what);
}

/* Elements of C (after the call) outside `bound` of the reference; the
 * first one is described in `what`. */
static int64_t count_bad(const check_gemm *g, const double *ref, const double *mag,
                         rel_bound bound, char *what, size_t what_len) {
  const double eps = CHECK_EPS_F32;
  double rel = 8.0 * (double)(g->k + 2) * eps, abs_term = 1e-30;
  if (bound == REL_FP16) {
    rel += 0x1p-10 + 0x1p-20;
    abs_term += (double)g->k * 0x1p-23 * fabs((double)g->alpha);
  }
  int64_t ci = g->layout == 'R' ? g->ldc : 1, cj = g->layout == 'R' ? 1 : g->ldc, bad = 0;
  for (int64_t j = 0; j < g->n; j++)
    for (int64_t i = 0; i < g->m; i++) {
      double got = g->c[i * ci + j * cj], want = ref[i + j * g->m];
      double limit = rel * mag[i + j * g->m] + abs_term;
      if (fabs(got - want) <= limit) continue; /* NaN fails here too */
      if (bad++ == 0)
        snprintf(what, what_len,
                 "C(%" PRId64 ",%" PRId64 ") = %.9g, reference %.9g, bound %.3g (%s)", i, j,
                 got, want, limit, bound == REL_FP16 ? "fp16 opt-in" : "float32");
    }
  return bad;
}

bool rel_run(check_gemm g, int64_t pad_a, int64_t pad_b, int64_t pad_c, rel_bound bound,
             float outlier, check_rng *rng, const char *tag) {
  check_matrix a, b, c;
  check_gemm_operands(&g, pad_a, pad_b, pad_c, &a, &b, &c);
  size_t mn = (size_t)(g.m * g.n) + 1;
  double *ref = malloc(mn * sizeof *ref), *mag = malloc(mn * sizeof *mag);
  if (!ref || !mag) {
    fprintf(stderr, "FATAL: out of memory\n");
    exit(1);
  }
  check_matrix_fill_random(&a, rng);
  check_matrix_fill_random(&b, rng);
  if (outlier != 0.0f && a.rows > 0 && a.cols > 0) a.data[0] = outlier;
  check_gemm_arm(&g, &a, &b, &c, rng);

  check_reference(&g, ref, mag);
  check_gemm_run(&g);

  bool ok = true;
  char what[256];
  int64_t bad = count_bad(&g, ref, mag, bound, what, sizeof what);
  if (bad) {
    char line[320];
    snprintf(line, sizeof line, "%" PRId64 " elements out of bound, first %s", bad, what);
    fail_line(tag, &g, line);
    ok = false;
  }
  int64_t first = 0, changed = check_matrix_changed(&c, true, &first);
  if (changed) {
    snprintf(what, sizeof what,
             "%" PRId64 " elements of C outside M x N changed, first at offset %" PRId64,
             changed, first);
    fail_line(tag, &g, what);
    ok = false;
  }
  if (check_matrix_changed(&a, false, NULL) || check_matrix_changed(&b, false, NULL)) {
    fail_line(tag, &g, "A or B modified");
    ok = false;
  }
  check_matrix_free(&a);
  check_matrix_free(&b);
  check_matrix_free(&c);
  free(ref);
  free(mag);
  return ok;
}
