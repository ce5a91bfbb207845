/* The TF32 opt-in (gemm590_set_math_mode(GEMM590_MATH_TF32), GEMM590_MATH=tf32):
 * regblock's tensor-core form in float32 (-DMMA=1, mma.sync m16n8k8 .tf32),
 * run with GEMM590_KERNEL naming it with -DEMULATE_MMA=1 on PoCL, which
 * computes every fragment element from local memory with the same
 * rounding to TF32.
 *
 * 1. The mode: set, read back, and returned to the default.
 * 2. Rounding happens, and only when opted in: A = 1 + 2^-12 (exact in
 *    float32, 1 in TF32), B = 1, K = 1: C is 1 in math mode tf32 on the
 *    device, and 1 + 2^-12 in float32 (the kernel refuses to run without
 *    the opt-in, so the host computes it).
 * 3. Random calls (every SGEMM spelling, both layouts, transposes, odd
 *    sizes, padding, alpha and beta kinds) within the TF32 bound of
 *    check.h, every one on the device; prints the worst |error| / bound and
 *    the largest error relative to max |ref| against the float64 reference.
 * With --any-device it runs on whatever device is chosen (the GPU machine,
 * with the real mma). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemm590.h"
#include "check.h"
#include "cpu_device.h"

static int failures;

static void expect(bool ok, const char *what) {
  printf("%s %s\n", ok ? "ok  " : "FAIL", what);
  if (!ok) failures++;
}

static int64_t any_dim(check_rng *rng, int64_t max_size) { return check_rng_range(rng, 1, max_size); }

static float one_by_one(void) {
  float a = 1.0f + 0x1p-12f, b = 1.0f, c = -7.0f;
  cblas_sgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, 1, 1, 1, 1.0f, &a, 1, &b, 1, 0.0f, &c, 1);
  return c;
}

int main(int argc, char **argv) {
  /* --any-device: on the device GEMM590_DEVICE names (a GPU, the kernel not
   * emulated), without requiring the CPU device the suite runs on. */
  if (!(argc > 1 && strcmp(argv[1], "--any-device") == 0)) dev_require_cpu_device();
  gemm590_set_math_mode(GEMM590_MATH_FP32);
  expect(gemm590_set_math_mode(GEMM590_MATH_TF32) == GEMM590_MATH_FP32 &&
             gemm590_get_math_mode() == GEMM590_MATH_TF32,
         "math mode tf32 set and read back");

  uint64_t host0, device0, host1, device1;
  check_counters(&host0, &device0);
  float c = one_by_one();
  check_counters(&host1, &device1);
  expect(c == 1.0f && device1 == device0 + 1, "tf32: (1 + 2^-12) * 1 is 1 on the device");
  gemm590_set_math_mode(GEMM590_MATH_FP32);
  c = one_by_one();
  expect(c == 1.0f + 0x1p-12f, "float32: (1 + 2^-12) * 1 is 1 + 2^-12 (not rounded to TF32)");
  gemm590_set_math_mode(GEMM590_MATH_TF32);

  check_rng rng;
  check_rng_seed(&rng, 590);
  double worst = 0, max_rel = 0;
  int calls = 80, counted = 0;
  check_counters(&host0, &device0);
  for (int i = 0; i < calls; i++) {
    check_gemm g = check_random_call(&rng, 150, true, true, any_dim);
    counted += check_counted(&g);
    check_case t;
    check_case_begin(&t, g, i % 3, (i + 1) % 3, i % 4, &rng);
    check_case_arm(&t, &rng);
    check_gemm_run(&t.g);
    if (!check_case_verify(&t, CHECK_TF32_OPTIN)) {
      check_fail("tf32", &t.g, t.what);
      failures++;
    }
    if (t.result.max_ratio > worst) worst = t.result.max_ratio;
    double big = 0, err = 0;
    check_result r;
    check_compare(&t.g, t.ref, t.mag, CHECK_F32, &r);
    for (int64_t k = 0; k < t.g.m * t.g.n; k++)
      if (fabs(t.ref[k]) > big) big = fabs(t.ref[k]);
    if (r.bad && big > 0 && (err = fabs(r.got - r.want) / big) > max_rel) max_rel = err;
    check_case_end(&t);
  }
  check_counters(&host1, &device1);
  expect(device1 - device0 == (uint64_t)counted && host1 == host0,
         "every random call ran on the device");
  printf("%d random calls: worst |error| / tf32 bound %.3g; largest error beyond the float32 "
         "bound, relative to max |ref|: %.3g\n", calls, worst, max_rel);
  printf("%s\n", failures ? "FAILED" : "PASS");
  return failures ? 1 : 0;
}
