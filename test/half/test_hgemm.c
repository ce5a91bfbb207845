/* gemm590_hgemm against a float64 reference of its binary16 inputs.
 *
 * Part 1, sweep: column- and row-major, every transA x transB in {N, T, C},
 * alpha in {0, 1, -1.5}, beta in {0, 1, 0.5}, M, N, K in {0, 1, 2, 3, 7,
 * 16, 33, 67} ({0, 1, 3, 16, 33} with --quick), leading dimensions tight or
 * padded by 3.  Part 2: random shapes up to 300, and two with columns of
 * 9000 elements.  Every call: C within the binary16 bound of
 * test/common/check.h (beta = 0 calls get C poisoned with NaN, which must
 * all be overwritten), C's padding and guards and all of A and B (padding
 * included) bit-identical.
 * Part 3, special values, compared bit for bit: ties at the final rounding
 * go to even, sums are float32 (1024 + 4 * 0.25 = 1025, which binary16
 * accumulation loses), overflow to +-Inf, subnormal results, NaN and Inf
 * inputs, alpha = 0 / K = 0 scaling, NaN in C vanishing when beta = 0.
 * Part 4: the _Float16 spelling, where the compiler has the type.
 *
 * --expect host|device: every call the library counts (see
 * gemm590_get_counters) must have run on that path.
 *
 * --fault [--device-columns]: one checked call only, under a
 * GEMM590_FAULT set by the test registration; it must be right, counted on
 * the host, and with --device-columns the device must have delivered some
 * of C's columns first (partial completion, "device_columns=" in the
 * verbose line). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemm590.h"
#include "check.h"
#if HALF_DEVICE_CHECK
#include "cpu_device.h"
#endif

typedef struct tally {
  uint64_t counted;  /* calls the library counts */
  uint64_t failures;
  double max_ratio;
} tally;

static void checked_call(tally *t, check_gemm g, int64_t pad, check_rng *rng, const char *tag) {
  if (!check_case_run(g, pad, pad, pad, CHECK_F32, NULL, rng, tag, &t->max_ratio)) t->failures++;
  if (check_counted(&g)) t->counted++;
}

typedef struct sweep_state {
  tally *t;
  check_rng *rng;
  int64_t shape;
} sweep_state;

/* Leading dimensions tight or padded by 3, alternately. */
static void sweep_call(void *ctx, check_gemm g, const int64_t *pad) {
  (void)pad;
  sweep_state *s = ctx;
  checked_call(s->t, g, s->shape++ % 2 ? 3 : 0, s->rng, "sweep");
}

static void sweep(tally *t, bool quick, check_rng *rng) {
  static const int64_t full[] = {0, 1, 2, 3, 7, 16, 33, 67}, fast[] = {0, 1, 3, 16, 33};
  static const check_gemm layouts[] = {{.entry = CHECK_HGEMM, .layout = 'C'},
                                       {.entry = CHECK_HGEMM, .layout = 'R'}};
  sweep_state s = {.t = t, .rng = rng};
  check_sweep(layouts, 2, quick ? fast : full, quick ? 5 : 8, NULL, sweep_call, &s);
}

static void random_shapes(tally *t, int count, check_rng *rng) {
  static const char trans[] = {'N', 'T', 'C'};
  for (int s = 0; s < count; s++) {
    check_gemm g = {.entry = CHECK_HGEMM, .layout = check_rng_range(rng, 0, 1) ? 'R' : 'C',
                    .transa = trans[check_rng_range(rng, 0, 2)],
                    .transb = trans[check_rng_range(rng, 0, 2)],
                    .m = check_rng_range(rng, 1, 300), .n = check_rng_range(rng, 1, 300),
                    .k = check_rng_range(rng, 1, 300),
                    .alpha = (float)check_rng_unit(rng) * 2.0f,
                    .beta = s % 3 == 0 ? 0.0f : (float)check_rng_unit(rng)};
    checked_call(t, g, check_rng_range(rng, 0, 5), rng, "random");
  }
  /* Columns of 9000 elements: longer than a small link chunk (tests set
   * GEMM590_LINK_CHUNK=16384), so they cross the link another way. */
  static const int64_t tall[][3] = {{9000, 3, 2}, {2, 3, 9000}};
  for (int s = 0; s < 2; s++) {
    check_gemm g = {.entry = CHECK_HGEMM, .layout = 'C', .transa = 'N', .transb = 'N',
                    .m = tall[s][0], .n = tall[s][1], .k = tall[s][2], .alpha = 1.0f,
                    .beta = 0.5f};
    checked_call(t, g, 1, rng, "tall");
  }
}

/* ---- special values, bit for bit ---- */

/* binary16 patterns used below. */
enum {
  H_ZERO = 0x0000, H_ONE = 0x3c00, H_TWO = 0x4000, H_QUARTER = 0x3400, H_1024 = 0x6400,
  H_256 = 0x5c00, H_8 = 0x4800, H_16 = 0x4c00, H_MAX = 0x7bff, H_INF = 0x7c00,
  H_NEG_INF = 0xfc00, H_NAN = 0x7e00,
  H_2M11 = 0x1000,       /* 2^-11: half an ulp of 1 */
  H_3_2M11 = 0x1600,     /* 3 * 2^-11 */
  H_2M11_UP = 0x1001,    /* 2^-11 * (1 + 2^-10) */
  H_2M12 = 0x0c00,       /* 2^-12 */
  H_2M13 = 0x0800,       /* 2^-13 */
  H_3_2M13 = 0x0e00,     /* 3 * 2^-13 */
  H_MIN_SUB = 0x0001,    /* 2^-24 */
  H_MAX_SUB = 0x03ff,
};

/* C (m x n) = alpha * A (m x k) * B (k x n) + beta * C, column-major, tight
 * (or the row-major storage of the same matrices when layout is 'R'); C must
 * come out as `want`, NaN matching any NaN. */
typedef struct special {
  const char *name;
  char layout;
  int m, n, k;
  float alpha, beta;
  uint16_t a[6], b[6], c[4], want[4];
} special;

static const special specials[] = {
    {"tie 1 + 2^-11 -> 1 (even)", 'C', 1, 1, 2, 1, 0, {H_ONE, H_ONE}, {H_ONE, H_2M11}, {H_NAN},
     {H_ONE}},
    {"tie 1 + 3*2^-11 -> 1 + 2^-9 (even)", 'C', 1, 1, 2, 1, 0, {H_ONE, H_ONE},
     {H_ONE, H_3_2M11}, {H_NAN}, {0x3c02}},
    {"above tie 1 + 2^-11 + 2^-21 -> 1 + 2^-10", 'C', 1, 1, 2, 1, 0, {H_ONE, H_ONE},
     {H_ONE, H_2M11_UP}, {H_NAN}, {0x3c01}},
    {"float32 sums: 1024 + 4 * 0.25 = 1025", 'C', 1, 1, 5, 1, 0,
     {H_1024, H_QUARTER, H_QUARTER, H_QUARTER, H_QUARTER}, {H_ONE, H_ONE, H_ONE, H_ONE, H_ONE},
     {H_NAN}, {0x6401}},
    {"overflow 256 * 256 -> +Inf", 'C', 1, 1, 1, 1, 0, {H_256}, {H_256}, {H_NAN}, {H_INF}},
    {"overflow -(256 * 256) -> -Inf", 'C', 1, 1, 1, -1, 0, {H_256}, {H_256}, {H_NAN},
     {H_NEG_INF}},
    {"65504 + 8 -> 65504", 'C', 1, 1, 2, 1, 0, {H_MAX, H_8}, {H_ONE, H_ONE}, {H_NAN}, {H_MAX}},
    {"65504 + 16 (tie) -> +Inf", 'C', 1, 1, 2, 1, 0, {H_MAX, H_16}, {H_ONE, H_ONE}, {H_NAN},
     {H_INF}},
    {"subnormal 2^-12 * 2^-12 = 2^-24", 'C', 2, 1, 1, 1, 0, {H_2M12, 0x8c00}, {H_2M12}, {H_NAN},
     {H_MIN_SUB, 0x8001}},
    {"subnormal tie 3 * 2^-25 -> 2 * 2^-24 (even)", 'C', 1, 1, 1, 1, 0, {H_2M12}, {H_3_2M13},
     {H_NAN}, {0x0002}},
    {"subnormal tie 2^-25 -> 0 (even)", 'C', 1, 1, 1, 1, 0, {H_2M12}, {H_2M13}, {H_NAN},
     {H_ZERO}},
    {"subnormal inputs kept", 'C', 2, 1, 1, 1, 0, {H_MIN_SUB, H_MAX_SUB}, {H_ONE}, {H_NAN},
     {H_MIN_SUB, H_MAX_SUB}},
    {"NaN, Inf * 0, Inf inputs", 'C', 3, 1, 1, 1, 0, {H_NAN, H_INF, H_INF}, {H_ZERO}, {H_NAN},
     {H_NAN, H_NAN, H_NAN}},
    {"Inf * 2 = Inf, NaN * 2 = NaN", 'C', 2, 1, 1, 1, 0, {H_INF, 0xfe01}, {H_TWO}, {H_NAN},
     {H_INF, H_NAN}},
    {"beta = 1: 1 + 2^-11 -> 1 (one rounding)", 'C', 1, 1, 1, 1, 1, {H_2M11}, {H_ONE}, {H_ONE},
     {H_ONE}},
    {"beta = 0.5: 0.5 * 2 + 2^-11 + 2^-21 -> 1 + 2^-10", 'C', 1, 1, 1, 1, 0.5f, {H_2M11_UP},
     {H_ONE}, {H_TWO}, {0x3c01}},
    {"row-major 2x2 (C = A B, not B A)", 'R', 2, 2, 1, 1, 0, {H_ONE, H_TWO}, {H_ONE, H_8},
     {H_NAN, H_NAN, H_NAN, H_NAN}, {H_ONE, H_8, H_TWO, H_16}},
    {"alpha = 0: C = beta * C", 'C', 2, 1, 1, 0, 0.5f, {H_NAN}, {H_NAN}, {H_TWO, H_INF},
     {H_ONE, H_INF}},
    {"alpha = 0, beta = 0: zeros, C not read", 'C', 2, 1, 1, 0, 0, {H_ONE}, {H_ONE},
     {H_NAN, H_INF}, {H_ZERO, H_ZERO}},
    {"K = 0: 2 * 65504 -> +Inf", 'C', 1, 1, 0, 1, 2, {0}, {0}, {H_MAX}, {H_INF}},
};

static bool same_half(uint16_t got, uint16_t want) {
  bool got_nan = (got & 0x7c00) == 0x7c00 && (got & 0x3ff);
  bool want_nan = (want & 0x7c00) == 0x7c00 && (want & 0x3ff);
  return want_nan ? got_nan : got == want;
}

static void special_values(tally *t) {
  for (size_t s = 0; s < sizeof specials / sizeof specials[0]; s++) {
    const special *x = &specials[s];
    uint16_t c[4];
    memcpy(c, x->c, sizeof c);
    bool row = x->layout == 'R';
    /* Tight leading dimensions of the stored matrices (at least 1). */
    int lda = row ? (x->k > 0 ? x->k : 1) : x->m;
    int ldb = row ? x->n : (x->k > 0 ? x->k : 1), ldc = row ? x->n : x->m;
    gemm590_hgemm(row ? CblasRowMajor : CblasColMajor, CblasNoTrans, CblasNoTrans, x->m, x->n,
                  x->k, x->alpha, x->a, lda, x->b, ldb, x->beta, c, ldc);
    check_gemm g = {.entry = CHECK_HGEMM, .m = x->m, .n = x->n, .k = x->k, .alpha = x->alpha,
                    .beta = x->beta};
    if (check_counted(&g)) t->counted++;
    for (int e = 0; e < x->m * x->n; e++) {
      if (same_half(c[e], x->want[e])) continue;
      printf("special FAIL \"%s\": C[%d] = 0x%04x (%g), want 0x%04x (%g)\n", x->name, e, c[e],
             check_half_value(c[e]), x->want[e], check_half_value(x->want[e]));
      t->failures++;
    }
  }
}

/* The _Float16 spelling gives the same bits as gemm590_hgemm. */
static void float16_spelling(tally *t) {
#ifdef __FLT16_MAX__
  gemm590_float16 a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {0.5, -1, 0.25, 2, 1, 1};
  gemm590_float16 c[4] = {1, 1, 1, 1};
  uint16_t ah[6], bh[6], ch[4] = {H_ONE, H_ONE, H_ONE, H_ONE}, cf[4];
  memcpy(ah, a, sizeof ah);
  memcpy(bh, b, sizeof bh);
  gemm590_hgemm_f16(CblasColMajor, CblasNoTrans, CblasNoTrans, 2, 2, 3, 1.5f, a, 2, b, 3, 0.5f,
                    c, 2);
  gemm590_hgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, 2, 2, 3, 1.5f, ah, 2, bh, 3, 0.5f, ch,
                2);
  t->counted += 2;
  memcpy(cf, c, sizeof cf);
  /* C(0,0) = 1.5 * (1*0.5 + 3*-1 + 5*0.25) + 0.5 = -1.375 */
  if (memcmp(cf, ch, sizeof cf) != 0 || (double)c[0] != -1.375) {
    printf("float16 FAIL: gemm590_hgemm_f16 gave %g %g %g %g, gemm590_hgemm %g %g %g %g\n",
           (double)c[0], (double)c[1], (double)c[2], (double)c[3], check_half_value(ch[0]),
           check_half_value(ch[1]), check_half_value(ch[2]), check_half_value(ch[3]));
    t->failures++;
  }
  printf("_Float16 spelling: checked\n");
#else
  (void)t;
  printf("_Float16 spelling: this compiler has no _Float16, not checked\n");
#endif
}

/* One call under an injected fault (see the header comment). */
static int fault_call(const char *expect, bool device_columns) {
  check_rng rng;
  check_rng_seed(&rng, 590);
  check_gemm g = {.entry = CHECK_HGEMM, .layout = 'C', .transa = 'N', .transb = 'T', .m = 100,
                  .n = 300, .k = 50, .alpha = 1.25f, .beta = 0.5f};
  double max_ratio = 0;
  gemm590_reset_counters();
  check_capture_begin();
  bool ok = check_case_run(g, 2, 2, 2, CHECK_F32, NULL, &rng, "fault", &max_ratio);
  const char *log = check_capture_end();
  uint64_t host, device;
  check_counters(&host, &device);
  const char *cols = strstr(log, "device_columns=");
  long delivered = cols ? atol(cols + strlen("device_columns=")) : 0;
  if (host != 1 || device != 0) {
    printf("fault FAIL: counted %llu on the host, %llu on the device; want 1, 0\n",
           (unsigned long long)host, (unsigned long long)device);
    ok = false;
  }
  /* GEMM590_FAULT=<site>@<n>: the log names the failed site. */
  const char *fault = getenv("GEMM590_FAULT");
  char failed[96];
  snprintf(failed, sizeof failed, "OpenCL %.*s failed", fault ? (int)strcspn(fault, "@") : 0,
           fault ? fault : "");
  if (!fault || !strstr(log, failed)) {
    printf("fault FAIL: no \"%s\" in the log (GEMM590_FAULT set?)\n", failed);
    ok = false;
  }
  if (device_columns && !(delivered > 0 && delivered < g.n)) {
    printf("fault FAIL: want some columns from the device (device_columns=), got %ld\n",
           delivered);
    ok = false;
  }
  printf("fault: %s, device_columns=%ld, max |error|/bound %.3g (%s expected)\n",
         ok ? "ok" : "FAILED", delivered, max_ratio, expect);
  return ok ? 0 : 1;
}

static void usage(const char *prog) {
  fprintf(stderr,
          "usage: %s --expect host|device [--quick] [--random N]\n"
          "       %s --expect host --fault [--device-columns]\n",
          prog, prog);
}

int main(int argc, char **argv) {
  const char *expect = NULL;
  bool quick = false, fault = false, device_columns = false;
  int random = 20;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--expect") && i + 1 < argc) expect = argv[++i];
    else if (!strcmp(argv[i], "--quick")) quick = true;
    else if (!strcmp(argv[i], "--random") && i + 1 < argc) random = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--fault")) fault = true;
    else if (!strcmp(argv[i], "--device-columns")) device_columns = true;
    else {
      usage(argv[0]);
      return 2;
    }
  }
  if (!expect || (strcmp(expect, "host") && strcmp(expect, "device"))) {
    usage(argv[0]);
    return 2;
  }
  /* A device run needs a device: skip (77) without one. */
#if HALF_DEVICE_CHECK
  if (getenv("GEMM590_DEVICE")) dev_require_cpu_device();
#endif
  if (fault) return fault_call(expect, device_columns);

  check_rng rng;
  check_rng_seed(&rng, 590);
  tally t = {0};
  gemm590_reset_counters();
  sweep(&t, quick, &rng);
  random_shapes(&t, random, &rng);
  special_values(&t);
  float16_spelling(&t);

  uint64_t host, device;
  check_counters(&host, &device);
  bool on_device = !strcmp(expect, "device");
  if (host + device != t.counted || (on_device ? host : device) != 0) {
    printf("path FAIL: %llu calls counted on the host, %llu on the device; want all %llu on "
           "the %s\n",
           (unsigned long long)host, (unsigned long long)device, (unsigned long long)t.counted,
           expect);
    t.failures++;
  }
  printf("%llu counted calls on the %s, max |error|/bound %.3g, %llu failures\n",
         (unsigned long long)t.counted, expect, t.max_ratio, (unsigned long long)t.failures);
  return t.failures ? 1 : 0;
}
