/* Opt-in cblas_sgemm (math mode fp16): A and B rounded to binary16 on the
 * way to the device, products and sums in float32: in the fp16_mixed
 * kernel, or in a float32 family on copies widened on the device.  Run
 * with GEMM590_MATH=fp16, GEMM590_KERNEL=fp16_mixed or regblock and
 * GEMM590_VERBOSE=1 on an OpenCL device (PoCL here).
 *
 * Part 1, accuracy on random data (uniform in (-1, 1), as the seed
 * prototype measured it), against the float64 reference of the float32
 * inputs; float32 SGEMM itself is within ~1e-6 of that reference, so this
 * is the error against float32.  Reported per shape:
 *   max_rel   max |C - ref| / max |ref|  (the prototype's bar: below 1%)
 *   comp      max |C - ref| / mag, mag = |alpha| sum |a||b| + |beta c|
 * and every element must satisfy the stated bound, for inputs of
 * magnitude below 1:
 *   |C - ref| <= (2^-10 + 2^-20) |alpha| sum_l |a_il||b_lj| + K 2^-23 |alpha|
 *                + 8 (K + 2) 2^-23 mag
 * Why: rounding x to binary16 changes it by at most 2^-11 |x|, or by 2^-25
 * where x is binary16-subnormal, so |a16 b16 - a b| <= (2^-10 + 2^-22)|a||b|
 * + 2^-24 (|a| + |b| < 2); the last term is check.h's float32 bound of the
 * float32 products and sums.  Every call must run on the device.
 *
 * Part 2, inputs binary16 cannot hold (|x| > 65504, or 0 < |x| < 2^-24):
 * one element 1e5, -1e5 or 1e-30 makes the call run in float32, so the
 * result meets the float32 bound of check.h, and the verbose line says
 * "outside binary16".  A control call on the same data without the outlier
 * must miss that float32 bound (it ran in binary16): the check can fail. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemm590.h"
#include "check.h"
#include "cpu_device.h"

static int failures;

/* g's operands: random A and B, leading dimensions padded by 1, 2, 3. */
static void operands_make(check_case *o, check_gemm g, check_rng *rng) {
  check_case_begin(o, g, 1, 2, 3, rng);
  check_case_arm(o, rng);
}

/* Runs o->g with a fresh reference and C, capturing the verbose line. */
static const char *run_captured(check_case *o, const float *c0) {
  for (int64_t j = 0; j < o->c.cols; j++)
    memcpy(o->c.data + j * o->c.ld, c0 + j * o->c.rows, (size_t)o->c.rows * sizeof *c0);
  check_reference(&o->g, o->ref, o->mag);
  check_matrix_snapshot(&o->c);
  check_capture_begin();
  check_gemm_run(&o->g);
  return check_capture_end();
}

/* Copy of C's block, so that repeated calls start from the same C. */
static float *save_c(const check_case *o) {
  float *c0 = malloc((size_t)(o->c.rows * o->c.cols) * sizeof *c0);
  if (!c0) exit(1);
  for (int64_t j = 0; j < o->c.cols; j++)
    memcpy(c0 + j * o->c.rows, o->c.data + j * o->c.ld, (size_t)o->c.rows * sizeof *c0);
  return c0;
}

/* Part 1 for one shape. */
static void accuracy(check_gemm g, check_rng *rng) {
  check_case o;
  operands_make(&o, g, rng);
  float *c0 = save_c(&o);
  uint64_t host0, device0, host1, device1;
  check_counters(&host0, &device0);
  run_captured(&o, c0);
  check_counters(&host1, &device1);
  char what[256];
  check_gemm_describe(&o.g, what, sizeof what);
  if (device1 - device0 != 1 || host1 != host0) {
    printf("FAIL %s: did not run on the device\n", what);
    failures++;
  }
  /* C(i, j) in the caller's C and in the dense copy c0 of its block. */
  int64_t ci = g.layout == 'R' ? o.c.ld : 1, cj = g.layout == 'R' ? 1 : o.c.ld;
  int64_t ci0 = g.layout == 'R' ? o.c.rows : 1, cj0 = g.layout == 'R' ? 1 : o.c.rows;
  double max_err = 0, max_ref = 0, comp = 0, worst = 0;
  double k = (double)g.k, alpha = fabs((double)g.alpha);
  for (int64_t j = 0; j < g.n; j++)
    for (int64_t i = 0; i < g.m; i++) {
      double ref = o.ref[i + j * g.m], mag = o.mag[i + j * g.m];
      double bc = g.beta == 0.0f ? 0.0 : fabs((double)g.beta * c0[i * ci0 + j * cj0]);
      double ab = alpha > 0 ? (mag - bc) / alpha : 0; /* sum |a||b| */
      double err = fabs((double)o.c.data[i * ci + j * cj] - ref);
      double bound = (0x1p-10 + 0x1p-20) * alpha * ab + k * 0x1p-23 * alpha +
                     8.0 * (k + 2) * 0x1p-23 * mag;
      if (isnan(err) || err / bound > worst) worst = isnan(err) ? INFINITY : err / bound;
      if (err > max_err) max_err = err;
      if (fabs(ref) > max_ref) max_ref = fabs(ref);
      if (err / mag > comp) comp = err / mag;
    }
  double max_rel = max_err / max_ref;
  bool ok = max_rel < 0.01 && worst <= 1.0 && check_matrix_changed(&o.c, true, NULL) == 0;
  printf("%s %s: max_rel %.3e, comp %.3e, error/bound %.3f\n", ok ? "ok" : "FAIL", what,
         max_rel, comp, worst);
  if (!ok) failures++;
  free(c0);
  check_case_end(&o);
}

/* Float32 check of o (after a call): number of elements out of bound. */
static int64_t float32_misses(const check_case *o, double *max_ratio) {
  check_result r;
  check_compare(&o->g, o->ref, o->mag, CHECK_F32, &r);
  *max_ratio = r.max_ratio;
  return r.bad;
}

typedef struct outlier {
  const char *what;
  char operand; /* 'A' or 'B' */
  int64_t row, col;
  float value;
} outlier;

static void out_of_range(check_rng *rng) {
  static const outlier cases[] = {
      {"A = 1e5", 'A', 0, 0, 1e5f},
      {"A = -1e5", 'A', 5, 3, -1e5f},
      {"B = 1e-30", 'B', 2, 7, 1e-30f},
  };
  check_gemm g = {.entry = CHECK_CBLAS, .layout = 'C', .transa = 'N', .transb = 'T', .m = 48,
                  .n = 40, .k = 8, .alpha = 1.5f, .beta = 0.5f};
  check_case o;
  operands_make(&o, g, rng);
  float *c0 = save_c(&o);
  double ratio;
  const char *log = run_captured(&o, c0);
  int64_t misses = float32_misses(&o, &ratio);
  bool control_ok = misses > 0 && strstr(log, "outside binary16") == NULL;
  printf("%s control (no outlier, ran in binary16): %lld of %lld elements miss the float32 "
         "bound, max error/bound %.1f\n",
         control_ok ? "ok" : "FAIL", (long long)misses, (long long)(g.m * g.n), ratio);
  if (!control_ok) failures++;

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const outlier *x = &cases[i];
    check_matrix *m = x->operand == 'A' ? &o.a : &o.b;
    float *at = m->data + x->row + x->col * m->ld, old = *at;
    *at = x->value;
    log = run_captured(&o, c0);
    misses = float32_misses(&o, &ratio);
    bool said = strstr(log, "outside binary16") != NULL;
    bool ok = misses == 0 && said && check_matrix_changed(&o.c, true, NULL) == 0;
    printf("%s %s: float32 result, %lld misses, max error/bound %.3f; verbose line %s\n",
           ok ? "ok" : "FAIL", x->what, (long long)misses, ratio,
           said ? "says \"outside binary16\"" : "does NOT say \"outside binary16\"");
    if (!ok) failures++;
    *at = old;
  }
  free(c0);
  check_case_end(&o);
}

int main(void) {
  dev_require_cpu_device();
  if (gemm590_get_math_mode() != GEMM590_MATH_FP16) {
    printf("FAIL: run with GEMM590_MATH=fp16 (math mode is fp32)\n");
    return 1;
  }
  check_rng rng;
  check_rng_seed(&rng, 590);
  static const check_gemm shapes[] = {
      {.entry = CHECK_CBLAS, .layout = 'C', .transa = 'N', .transb = 'N', .m = 256, .n = 256,
       .k = 256, .alpha = 1.0f, .beta = 0.0f},
      {.entry = CHECK_CBLAS, .layout = 'R', .transa = 'T', .transb = 'N', .m = 300, .n = 200,
       .k = 500, .alpha = -1.5f, .beta = 0.5f},
      {.entry = CHECK_CBLAS, .layout = 'C', .transa = 'N', .transb = 'T', .m = 123, .n = 457,
       .k = 1024, .alpha = 1.0f, .beta = 1.0f},
      {.entry = CHECK_FORTRAN, .layout = 'C', .transa = 'T', .transb = 'T', .m = 64, .n = 96,
       .k = 2048, .alpha = 0.75f, .beta = 0.0f},
  };
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) accuracy(shapes[i], &rng);
  out_of_range(&rng);
  printf("%d failures\n", failures);
  return failures ? 1 : 0;
}
