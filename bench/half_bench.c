/* half-bench: the half-precision extension of libgemm590, in one run.
 *
 * 1. Host conversion throughput, one thread, portable C against F16C, in
 *    GB/s of bytes read plus bytes written: half -> float, float -> half,
 *    and pack (float -> half with the binary16 range check of the SGEMM
 *    opt-in), on a 1024 x 1024 block (the host path's block, in cache) and
 *    on 64 Mi elements (streaming from memory).
 * 2. End-to-end TFLOPS (2 n^3 / seconds / 1e12) from host memory to host
 *    memory, square n x n x n, NN, column-major, beta = 0, for each n:
 *      hgemm       gemm590_hgemm (binary16 in and out; path by the library)
 *      sgemm-fp16  cblas_sgemm with math mode fp16 (the opt-in)
 *      sgemm       cblas_sgemm with math mode fp32 (plain)
 *      hgemm-host  gemm590_hgemm's host path alone (convert, host SGEMM,
 *                  convert back)
 *      host        the host BLAS's SGEMM alone
 *    The path each library call took is printed beside it (dev / host), then
 *    the speed-ups of hgemm and sgemm-fp16 over sgemm, and the largest
 *    difference between the hgemm and sgemm results relative to the largest
 *    element, as a sanity check.
 * Medians of 5 batches after a warm-up call (`half-bench --help` lists
 * the options).  GEMM590_* variables apply (GEMM590_DEVICE,
 * GEMM590_KERNEL, ...). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp16.h"
#include "gemm590.h"
#include "cli.h"
#include "g590.h"
#include "timing.h"

enum { MAX_SIZES = 16, OPT_SIZES = 0x200, OPT_NO_HOST };

static const char help[] =
    "usage: half-bench [OPTION]...\n"
    "The half-precision extension of libgemm590: binary16 conversion rates (GB/s, one\n"
    "thread, portable C and F16C), then end-to-end TFLOPS of n x n x n products (NN) for\n"
    "gemm590_hgemm, cblas_sgemm with the fp16 opt-in and plain cblas_sgemm, each with the\n"
    "path it took (dev, host), and the host path alone.  GEMM590_* variables apply.\n"
    "\n"
    "  --sizes LIST          sizes n, comma-separated, at most 16\n"
    "                        (default 1024,2048,4096,8192)\n"
    "  --no-host             leave out the hgemm-host and host columns\n" CLI_STANDARD_HELP;

static const struct option long_options[] = {
    {"sizes", required_argument, NULL, OPT_SIZES},
    {"no-host", no_argument, NULL, OPT_NO_HOST},
    CLI_STANDARD_OPTIONS};
static const cli half_cli = {"half-bench", help, "h", long_options};

/* Repeats run(ctx) until a batch takes >= 30 ms, then times 5 such
 * batches: median seconds per run. */
static double time_runs(void (*run)(void *), void *ctx) {
  int reps = 1;
  double t[5];
  run(ctx); /* warm-up: kernel builds, buffers, page faults */
  for (;;) {
    double t0 = bench_now();
    for (int r = 0; r < reps; r++) run(ctx);
    if (bench_now() - t0 >= 0.03 || reps >= 1 << 20) break;
    reps *= 2;
  }
  for (int b = 0; b < 5; b++) {
    double t0 = bench_now();
    for (int r = 0; r < reps; r++) run(ctx);
    t[b] = (bench_now() - t0) / reps;
  }
  bench_sort(t, 5);
  return t[2];
}

static void *checked_malloc(size_t bytes) {
  void *p = malloc(bytes);
  if (!p) {
    fprintf(stderr, "half-bench: out of memory (%zu bytes)\n", bytes);
    exit(1);
  }
  return p;
}

static void fill_random(float *x, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; i++) {
    seed = seed * 1664525u + 1013904223u;
    x[i] = (float)((seed >> 8) * (2.0 / 16777216.0) - 1.0);
  }
}

/* ---- 1. conversions ---- */

typedef struct convert_ctx {
  const g590_fp16_ops *ops;
  int which; /* 0 to_float, 1 to_half, 2 pack */
  float *f;
  uint16_t *h;
  size_t n;
} convert_ctx;

static void run_convert(void *p) {
  convert_ctx *c = p;
  if (c->which == 0) c->ops->to_float(c->f, c->h, c->n);
  else if (c->which == 1) c->ops->to_half(c->h, c->f, c->n);
  else if (!c->ops->pack(c->h, c->f, c->n)) abort(); /* random data in (-1, 1) fits */
}

static void bench_conversions(void) {
  static const char *const names[3] = {"half->float", "float->half", "pack"};
  const g590_fp16_ops *sets[2] = {&g590_host_fp16_portable, g590_host_fp16_f16c()};
  static const size_t lengths[2] = {1 << 20, 64 << 20};
  static const char *const where[2] = {"1024x1024 block", "64 Mi elements"};
  float *f = checked_malloc(lengths[1] * sizeof *f);
  uint16_t *h = checked_malloc(lengths[1] * sizeof *h);
  fill_random(f, lengths[1], 1);
  g590_host_fp16_portable.to_half(h, f, lengths[1]);
  printf("conversion, 1 thread, GB/s (bytes read + written)   portable      f16c\n");
  for (int which = 0; which < 3; which++)
    for (int l = 0; l < 2; l++) {
      printf("  %-12s %-16s                      ", names[which], where[l]);
      for (int s = 0; s < 2; s++) {
        if (!sets[s]) {
          printf("%10s", "-");
          continue;
        }
        convert_ctx c = {sets[s], which, f, h, lengths[l]};
        double sec = time_runs(run_convert, &c);
        printf("%10.1f", (double)lengths[l] * 6.0 / sec / 1e9);
      }
      printf("\n");
    }
  if (!sets[1]) printf("  (this CPU has no F16C)\n");
  printf("library's choice: %s\n\n", g590_host_fp16()->name);
  free(f);
  free(h);
}

/* ---- 2. end to end ---- */

typedef struct gemm_ctx {
  int n;
  const float *af, *bf;
  float *cf;
  const uint16_t *ah, *bh;
  uint16_t *ch;
  enum gemm590_math mode;
} gemm_ctx;

static void run_hgemm(void *p) {
  gemm_ctx *g = p;
  gemm590_hgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, g->n, g->n, g->n, 1.0f, g->ah, g->n,
                g->bh, g->n, 0.0f, g->ch, g->n);
}

static void run_sgemm(void *p) {
  gemm_ctx *g = p;
  gemm590_set_math_mode(g->mode);
  cblas_sgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, g->n, g->n, g->n, 1.0f, g->af, g->n,
              g->bf, g->n, 0.0f, g->cf, g->n);
  gemm590_set_math_mode(GEMM590_MATH_DEFAULT);
}

static g590_job host_shape(const gemm_ctx *g) {
  return (g590_job){.entry = "half-bench", .layout = 'C', .user_ta = 'N', .user_tb = 'N',
                     .user_m = g->n, .user_n = g->n, .m = g->n, .n = g->n, .k = g->n,
                     .alpha = 1.0f, .beta = 0.0f, .lda = g->n, .ldb = g->n, .ldc = g->n};
}

static void run_hgemm_host(void *p) {
  gemm_ctx *g = p;
  g590_job job = host_shape(g);
  job.type = G590_F16, job.a = g->ah, job.b = g->bh, job.c = g->ch;
  char how[160];
  g590_host_hgemm(&job, how, sizeof how);
}

static void run_host(void *p) {
  gemm_ctx *g = p;
  g590_job call = host_shape(g);
  call.a = g->af, call.b = g->bf, call.c = g->cf;
  const char *how;
  g590_host_blas(&call, &how);
}

/* Times one library entry; *path: where its calls ran ("dev", "host",
 * "mixed"), from the counters. */
static double time_library(void (*run)(void *), gemm_ctx *g, const char **path) {
  struct gemm590_counters c;
  gemm590_reset_counters();
  double sec = time_runs(run, g);
  gemm590_get_counters(&c);
  bool host = c.calls[GEMM590_PATH_HOST] > 0, dev = c.calls[GEMM590_PATH_DEVICE] > 0;
  *path = host && dev ? "mixed" : dev ? "dev" : "host";
  return sec;
}

static double tflops(int n, double sec) { return 2.0 * n * (double)n * n / sec / 1e12; }

static void bench_gemm(const long *sizes, int nsizes, bool with_host) {
  printf("end to end, TFLOPS (n x n x n, NN, beta = 0)\n");
  printf("%6s %15s %15s %15s", "n", "hgemm", "sgemm-fp16", "sgemm");
  if (with_host) printf(" %11s %9s", "hgemm-host", "host");
  printf("  hgemm/sgemm  fp16/sgemm  max|h-s|/max|s|\n");
  for (int i = 0; i < nsizes; i++) {
    int n = (int)sizes[i];
    size_t elems = (size_t)n * (size_t)n;
    float *af = checked_malloc(elems * sizeof *af), *bf = checked_malloc(elems * sizeof *bf);
    float *cf = checked_malloc(elems * sizeof *cf);
    uint16_t *ah = checked_malloc(elems * sizeof *ah), *bh = checked_malloc(elems * sizeof *bh);
    uint16_t *ch = checked_malloc(elems * sizeof *ch);
    fill_random(af, elems, 2);
    fill_random(bf, elems, 3);
    g590_host_fp16()->to_half(ah, af, elems);
    g590_host_fp16()->to_half(bh, bf, elems);
    gemm_ctx g = {n, af, bf, cf, ah, bh, ch, GEMM590_MATH_FP16};
    const char *p_h, *p_f16, *p_f32;
    double t_h = time_library(run_hgemm, &g, &p_h);
    double t_f16 = time_library(run_sgemm, &g, &p_f16);
    g.mode = GEMM590_MATH_FP32;
    double t_f32 = time_library(run_sgemm, &g, &p_f32);
    /* cf now holds the plain float32 result, ch the binary16 one. */
    double max_diff = 0, max_c = 0;
    for (size_t e = 0; e < elems; e++) {
      double d = fabs((double)g590_host_half_to_float(ch[e]) - cf[e]);
      if (d > max_diff) max_diff = d;
      if (fabs(cf[e]) > max_c) max_c = fabs(cf[e]);
    }
    printf("%6d %#9.3g %-5s %#9.3g %-5s %#9.3g %-5s", n, tflops(n, t_h), p_h, tflops(n, t_f16),
           p_f16, tflops(n, t_f32), p_f32);
    if (with_host)
      printf(" %#11.3g %#9.3g", tflops(n, time_runs(run_hgemm_host, &g)),
             tflops(n, time_runs(run_host, &g)));
    printf("  %11.2f  %10.2f  %15.2e\n", t_f32 / t_h, t_f32 / t_f16, max_diff / max_c);
    fflush(stdout);
    free(af);
    free(bf);
    free(cf);
    free(ah);
    free(bh);
    free(ch);
  }
}

int main(int argc, char **argv) {
  long sizes[MAX_SIZES] = {1024, 2048, 4096, 8192};
  int nsizes = 4;
  bool with_host = true;
  for (int opt; (opt = cli_next(&half_cli, argc, argv)) != -1;) {
    if (opt == OPT_SIZES)
      nsizes = cli_long_list(&half_cli, "--sizes", optarg, 1, 65536, sizes, MAX_SIZES);
    else if (opt == OPT_NO_HOST)
      with_host = false;
  }
  if (optind < argc) cli_fail(&half_cli, "unexpected argument '%s'", argv[optind]);
  printf("libgemm590 %s half-bench\n\n", gemm590_version());
  bench_conversions();
  bench_gemm(sizes, nsizes, with_host);
  return 0;
}
