/* Correctness sweep of SGEMM against the float64 reference.
 *
 * Part 1, exhaustive: cblas_sgemm column- and row-major and Fortran sgemm_,
 * every transA x transB in {N, T, C}, alpha in {0, 1, -1.5}, beta in
 * {0, 1, 0.5}, M, N, K in {0, 1, 2, 3, 7, 16, 33, 67}, padded leading
 * dimensions.  Part 2: random larger shapes through every exported entry
 * point (64-bit and scipy_ spellings included).
 *
 * Every call checks: C against the reference (beta = 0 calls get C
 * poisoned with NaN, which must all be overwritten), C's padding and the
 * guards around it bit-identical, A and B (with their padding, which holds
 * NaN that must never reach the result) bit-identical.
 *
 * GEMM590_* variables pass through to the library, so device tests run
 * this binary with GEMM590_DEVICE / GEMM590_KERNEL set (and
 * GEMM590_MIN_DEVICE_FLOPS=0 with --expect-device, or small calls stay on
 * the host). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "gemm590.h"

typedef struct options {
  bool quick;         /* small size set, few and smaller random shapes */
  bool expect_device; /* every counted call must have run on the device */
  int random;         /* number of random shapes */
  int64_t max_size;   /* largest M, N or K of a random shape */
  uint64_t seed;
} options;

typedef struct stats {
  uint64_t calls;    /* calls made */
  uint64_t counted;  /* calls the library counts: not a quick return, alpha != 0, K > 0 */
  uint64_t failures; /* calls with at least one failed check */
  double max_ratio;  /* worst |c - ref| / bound over all elements of all calls */
} stats;

enum { DETAILED_FAILURES = 10 };

static void usage(const char *prog) {
  fprintf(stderr,
          "usage: %s [--quick] [--expect-device] [--random N] [--max-size S] [--seed X]\n"
          "  --quick          sizes {0,1,3,16,33}, 6 random shapes up to 300 (slow devices)\n"
          "  --expect-device  every call that is not a quick return, alpha = 0 or K = 0\n"
          "                   must have run on the device (gemm590_get_counters)\n"
          "  --random N       number of random shapes (default 40)\n"
          "  --max-size S     largest M, N, K of a random shape (default 1000)\n"
          "  --seed X         seed of the operands and random shapes (default 590)\n",
          prog);
}

static bool parse_options(int argc, char **argv, options *o) {
  *o = (options){.random = -1, .max_size = -1, .seed = 590};
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : "";
    long long v;
    if (strcmp(arg, "--quick") == 0) {
      o->quick = true;
    } else if (strcmp(arg, "--expect-device") == 0) {
      o->expect_device = true;
    } else if (strcmp(arg, "--random") == 0 && check_parse_number(val, 0, &v) && v <= 1000000) {
      o->random = (int)v, i++;
    } else if (strcmp(arg, "--max-size") == 0 && check_parse_number(val, 1, &v)) {
      o->max_size = v, i++;
    } else if (strcmp(arg, "--seed") == 0 && check_parse_number(val, 0, &v)) {
      o->seed = (uint64_t)v, i++;
    } else {
      return false;
    }
  }
  if (o->random < 0) o->random = o->quick ? 6 : 40;
  if (o->max_size < 0) o->max_size = o->quick ? 300 : 1000;
  return true;
}

/* Counts a failed call; prints the first few in detail. */
static void report_failure(stats *st, uint64_t index, const check_gemm *g, const char *what) {
  if (st->failures++ < DETAILED_FAILURES) {
    char desc[256];
    check_gemm_describe(g, desc, sizeof desc);
    printf("FAIL call #%" PRIu64 ": %s\n  %s\n", index, desc, what);
  }
}

/* Runs g (whose leading dimensions are chosen here: the smallest valid
 * one plus the given padding) with fresh operands, and checks everything. */
static void run_one(check_gemm g, int64_t pad_a, int64_t pad_b, int64_t pad_c, check_rng *rng,
                    stats *st) {
  check_case t;
  check_case_begin(&t, g, pad_a, pad_b, pad_c, rng);
  check_case_arm(&t, rng);
  check_gemm_run(&t.g);

  uint64_t index = st->calls++;
  if (check_counted(&t.g)) st->counted++;
  if (!check_case_verify(&t, CHECK_F32)) report_failure(st, index, &t.g, t.what);
  if (t.result.max_ratio > st->max_ratio) st->max_ratio = t.result.max_ratio;
  check_case_end(&t);
}

typedef struct sweep_state {
  check_rng rng;
  stats *st;
} sweep_state;

/* Padding 0 (tight) to 4: both the exact minimum and strides unrelated to
 * the shape. */
static void sweep_call(void *ctx, check_gemm g, const int64_t *pad) {
  sweep_state *s = ctx;
  run_one(g, pad[0], pad[1], pad[2], &s->rng, s->st);
}

static void sweep(const options *o, stats *st) {
  static const int64_t full_sizes[] = {0, 1, 2, 3, 7, 16, 33, 67};
  static const int64_t quick_sizes[] = {0, 1, 3, 16, 33};
  sweep_state s = {.st = st};
  check_rng_seed(&s.rng, o->seed);
  check_sweep(check_sgemm_bases, 3, o->quick ? quick_sizes : full_sizes, o->quick ? 5 : 8,
              &s.rng, sweep_call, &s);
}

/* Mostly small dimensions with a long tail up to max_size: large calls
 * cost seconds of reference time each, small ones hit the edge tiles. */
static int64_t random_dim(check_rng *rng, int64_t max_size) {
  int64_t small = max_size < 64 ? max_size : 64;
  return check_rng_range(rng, 0, 1) ? check_rng_range(rng, 1, small)
                                    : check_rng_range(rng, 1, max_size);
}

static void random_shapes(const options *o, stats *st) {
  check_rng rng;
  check_rng_seed(&rng, o->seed ^ 0x5eed5eed5eedu);
  for (int s = 0; s < o->random; s++) {
    check_gemm g = check_random_call(&rng, o->max_size, true, true, random_dim);
    int64_t pa = check_rng_range(&rng, 0, 37), pb = check_rng_range(&rng, 0, 37),
            pc = check_rng_range(&rng, 0, 37);
    run_one(g, pa, pb, pc, &rng, st);
  }
}

int main(int argc, char **argv) {
  options o;
  if (!parse_options(argc, argv, &o)) {
    usage(argv[0]);
    return 2;
  }
  /* Line-buffered so that failure details interleave sanely with any
   * library stderr output (GEMM590_VERBOSE). */
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("test_sweep: seed %" PRIu64 ", %s sweep, %d random shapes up to %" PRId64 "\n", o.seed,
         o.quick ? "quick" : "full", o.random, o.max_size);

  gemm590_reset_counters();
  stats st = {0};
  double t0 = check_seconds();
  sweep(&o, &st);
  uint64_t sweep_calls = st.calls, sweep_failures = st.failures;
  double t1 = check_seconds();
  random_shapes(&o, &st);
  double t2 = check_seconds();

  struct gemm590_counters cnt;
  gemm590_get_counters(&cnt);
  uint64_t host = cnt.calls[GEMM590_PATH_HOST], device = cnt.calls[GEMM590_PATH_DEVICE];
  printf("sweep: %" PRIu64 " calls, %" PRIu64 " failed, %.1f s\n", sweep_calls, sweep_failures,
         t1 - t0);
  printf("random: %" PRIu64 " calls, %" PRIu64 " failed, %.1f s\n", st.calls - sweep_calls,
         st.failures - sweep_failures, t2 - t1);
  printf("total: %" PRIu64 " calls, %" PRIu64 " failed, max error ratio %.3g (bound 1)\n",
         st.calls, st.failures, st.max_ratio);
  printf("counters: %" PRIu64 " host, %" PRIu64 " device, %" PRIu64 " expected in all\n", host,
         device, st.counted);

  bool ok = st.failures == 0;
  /* Quick returns and alpha = 0 / K = 0 calls count under neither path;
   * every other call counts exactly once. */
  if (host + device != st.counted) {
    printf("FAIL: counters total %" PRIu64 " calls, expected %" PRIu64 "\n", host + device,
           st.counted);
    ok = false;
  }
  if (o.expect_device && (device != st.counted || host != 0)) {
    printf("FAIL: --expect-device: %" PRIu64 " of %" PRIu64 " calls ran on the device, %" PRIu64
           " on the host\n",
           device, st.counted, host);
    ok = false;
  }
  printf("%s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}
