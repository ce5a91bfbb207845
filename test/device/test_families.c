/* Per-family correctness on the device: run with GEMM590_DEVICE=cpu and
 * GEMM590_KERNEL=<family>, so that the family computes every call that is
 * not a quick return or an alpha = 0 / K = 0 update (those never reach a
 * kernel), whatever its size.
 *
 * Part 1, the sweep: cblas_sgemm column- and row-major and sgemm_, every
 * transA x transB in {N, T, C}, alpha in {0, 1, -1.5}, beta in {0, 1, 0.5},
 * M, N, K in {0, 1, 2, 3, 7, 16, 33, 67} (edge tiles of every family),
 * leading dimensions padded by 0 to 4.  Part 2: random shapes up to
 * --max-size through every exported spelling, sizes next to tile
 * multiples, paddings up to 37.  Every call: C against the float64
 * reference, NaN-poisoned C when beta = 0, C's padding and guards and all
 * of A and B unchanged.  At the end the counters must show every counted
 * call on the device and none on the host: a silent fallback would pass
 * the numeric checks.
 *
 * --binary16 is for families that store A and B as binary16 (fp16_mixed).
 * The sweep then uses operands that are binary16 values already, so the
 * float32 bound applies unchanged; the random shapes use arbitrary float32
 * operands, compared elementwise (float32 bound) with the reference of the
 * operands rounded to nearest binary16 (so truncation instead of rounding
 * fails), and against the unrounded reference with the precision contract
 * of dev_half_contract (device.h), a normwise bound of about 2^-10. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "gemm590.h"

typedef struct options {
  bool binary16;
  int random;
  int64_t max_size;
  uint64_t seed;
} options;

typedef struct stats {
  uint64_t calls, counted, failures;
  double max_ratio, max_contract;
} stats;

static bool parse_options(int argc, char **argv, options *o) {
  *o = (options){.random = 200, .max_size = 512, .seed = 590};
  for (int i = 1; i < argc; i++) {
    const char *val = i + 1 < argc ? argv[i + 1] : "";
    long long v;
    if (strcmp(argv[i], "--binary16") == 0)
      o->binary16 = true;
    else if (strcmp(argv[i], "--random") == 0 && check_parse_number(val, 0, &v) && v <= 100000)
      o->random = (int)v, i++;
    else if (strcmp(argv[i], "--max-size") == 0 && check_parse_number(val, 1, &v) && v <= 100000)
      o->max_size = v, i++;
    else if (strcmp(argv[i], "--seed") == 0 && check_parse_number(val, 0, &v))
      o->seed = (uint64_t)v, i++;
    else
      return false;
  }
  return true;
}

static void record(stats *st, const check_gemm *g, dev_outcome r) {
  st->calls++;
  if (check_counted(g)) st->counted++;
  if (!r.ok) st->failures++;
  if (r.max_ratio > st->max_ratio) st->max_ratio = r.max_ratio;
  if (r.contract_ratio > st->max_contract) st->max_contract = r.contract_ratio;
}

typedef struct sweep_state {
  check_rng rng;
  dev_values values;
  stats *st;
} sweep_state;

static void sweep_call(void *ctx, check_gemm g, const int64_t *pad) {
  sweep_state *s = ctx;
  record(s->st, &g, dev_run(g, pad[0], pad[1], pad[2], s->values, &s->rng, "sweep"));
}

static void sweep(const options *o, stats *st) {
  static const int64_t sizes[] = {0, 1, 2, 3, 7, 16, 33, 67};
  sweep_state s = {.values = o->binary16 ? DEV_HALF_EXACT : DEV_F32, .st = st};
  check_rng_seed(&s.rng, o->seed);
  check_sweep(check_sgemm_bases, 3, sizes, 8, &s.rng, sweep_call, &s);
}

static void random_shapes(const options *o, stats *st) {
  check_rng rng;
  check_rng_seed(&rng, o->seed ^ 0x5eed5eed5eedu);
  for (int s = 0; s < o->random; s++) {
    check_gemm g = dev_random_call(&rng, o->max_size, true);
    int64_t pa = check_rng_range(&rng, 0, 37), pb = check_rng_range(&rng, 0, 37),
            pc = check_rng_range(&rng, 0, 37);
    record(st, &g,
           dev_run(g, pa, pb, pc, o->binary16 ? DEV_HALF_ROUNDED : DEV_F32, &rng, "random"));
  }
}

int main(int argc, char **argv) {
  options o;
  if (!parse_options(argc, argv, &o)) {
    fprintf(stderr, "usage: %s [--binary16] [--random N] [--max-size S] [--seed X]\n"
            "  (run with GEMM590_DEVICE=cpu GEMM590_KERNEL=<family>)\n", argv[0]);
    return 2;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char *family = getenv("GEMM590_KERNEL");
  if (!family || !*family) {
    fprintf(stderr, "%s: GEMM590_KERNEL must name the family under test\n", argv[0]);
    return 2;
  }
  /* The PoCL registrations ask for the CPU device, which must then exist;
   * without GEMM590_DEVICE the library's default device (a GPU) runs it. */
  const char *device_spec = getenv("GEMM590_DEVICE");
  if (device_spec && strcmp(device_spec, "cpu") == 0) dev_require_cpu_device();
  printf("family %s%s: seed %" PRIu64 ", %d random shapes up to %" PRId64 "\n", family,
         o.binary16 ? " (binary16 operands)" : "", o.seed, o.random, o.max_size);

  gemm590_reset_counters();
  stats st = {0};
  double t0 = check_seconds();
  sweep(&o, &st);
  uint64_t sweep_calls = st.calls, sweep_failures = st.failures;
  double t1 = check_seconds();
  random_shapes(&o, &st);
  double t2 = check_seconds();

  uint64_t host, device;
  check_counters(&host, &device);
  printf("sweep: %" PRIu64 " calls, %" PRIu64 " failed, %.1f s\n", sweep_calls, sweep_failures,
         t1 - t0);
  printf("random: %" PRIu64 " calls, %" PRIu64 " failed, %.1f s\n", st.calls - sweep_calls,
         st.failures - sweep_failures, t2 - t1);
  printf("worst elementwise error: %.3g of the bound\n", st.max_ratio);
  if (o.binary16)
    printf("worst binary16 contract ratio: %.3g of the bound\n", st.max_contract);
  printf("counters: %" PRIu64 " device, %" PRIu64 " host; %" PRIu64 " counted calls made\n",
         device, host, st.counted);

  bool ok = st.failures == 0;
  if (device != st.counted || host != 0) {
    printf("FAIL: every counted call must run on the device (family %s)\n", family);
    ok = false;
  }
  printf("%s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}
