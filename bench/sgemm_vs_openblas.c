/* GFLOPS of cblas_sgemm through libgemm590 against the host BLAS called
 * directly, in one process, on square column-major C = A * B.
 *
 *   sgemm_vs_openblas [N ...]        (default: 64 128 256 512 1024 2048)
 *
 * (`sgemm_vs_openblas --help` says the same.)
 * "Host BLAS" is the library libgemm590 falls back to (the fallback_lib
 * build option, libopenblas.so.0 by default; GEMM590_FALLBACK_LIB
 * overrides both alike).  It is dlopen()ed and its cblas_sgemm taken from
 * that handle, so the two calls share one OpenBLAS and one thread pool.
 *
 * Which path libgemm590 took is read from gemm590_get_counters(), never
 * assumed from the environment:
 *   GEMM590_DISABLE_DEVICE=1  every call runs on the host BLAS: the ratio
 *                             column is libgemm590's dispatch overhead
 *                             alone and should read 1.00 within noise.
 *   unset                     the selector may send a call to the device;
 *                             the ratio is then the speed-up over the host.
 *
 * Each timing is the median of repeated single calls, the two libraries
 * interleaved so that clock or thermal drift hits both alike.  The results
 * of the two are compared (bound 2 (K+2) eps K for inputs in [-1, 1]); a
 * mismatch makes the exit status 1. */
#include <dlfcn.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gemm590.h"
#include "timing.h"
#include "host_cblas.h"

/* Each library gets at least MIN_REPEATS calls and at most MAX_REPEATS, and
 * about TARGET_SECONDS of calls when that falls in between. */
enum { MIN_REPEATS = 5, MAX_REPEATS = 501 };
static const double TARGET_SECONDS = 0.5;

static const char help[] =
    "usage: sgemm_vs_openblas [OPTION]... [N]...\n"
    "GFLOPS of cblas_sgemm through libgemm590 against the host BLAS called directly, on\n"
    "square column-major N x N products (default N: 64 128 256 512 1024 2048), the two\n"
    "interleaved; the path libgemm590 took (from its counters), and the largest difference\n"
    "between the two results (exit 1 when it exceeds 2 (N+2) eps N).  The host BLAS is the\n"
    "build's fallback library, or GEMM590_FALLBACK_LIB; GEMM590_DISABLE_DEVICE=1 makes the\n"
    "ratio libgemm590's dispatch overhead alone.\n"
    "\n"
    "  N                     a size, 1 to 32768\n" CLI_STANDARD_HELP;

static const cli bench_cli = {"sgemm_vs_openblas", help, "h", cli_standard_options};

static double time_call(bench_cblas_fn f, int n, const float *a, const float *b, float *c) {
  double t0 = bench_now();
  f(CblasColMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
  return bench_now() - t0;
}

static float *random_matrix(size_t count) {
  /* Cache-line aligned, so that no operand straddles lines differently
   * for one library than for the other. */
  size_t bytes = (count * sizeof(float) + 63) / 64 * 64;
  float *m = aligned_alloc(64, bytes);
  if (!m) {
    perror("aligned_alloc");
    exit(2);
  }
  for (size_t i = 0; i < count; i++) m[i] = 2.0f * (float)rand() / (float)RAND_MAX - 1.0f;
  return m;
}

static const char *path_taken(const struct gemm590_counters *c) {
  uint64_t host = c->calls[GEMM590_PATH_HOST], device = c->calls[GEMM590_PATH_DEVICE];
  return host + device == 0 ? "none" : device == 0 ? "host" : host == 0 ? "device" : "mixed";
}

/* Runs one size; returns 0 when the two results agree. */
static int bench_size(int n, bench_cblas_fn host) {
  size_t count = (size_t)n * (size_t)n;
  float *a = random_matrix(count), *b = random_matrix(count);
  /* Both libraries are timed on the very same operands and output; their
   * results are compared afterwards, from one more call each. */
  float *c = random_matrix(count), *c_ours = random_matrix(count), *c_host = random_matrix(count);

  /* Warm-up: thread pools, first-touch pages, device initialisation and
   * program builds stay out of the timings. */
  time_call(host, n, a, b, c);
  time_call(bench_via_gemm590, n, a, b, c);
  /* The repeat count comes from the fastest of a few calls: one slow
   * outlier (a descheduled thread) must not cut the sample short. */
  double estimate = INFINITY;
  for (int i = 0; i < 3; i++) estimate = fmin(estimate, time_call(host, n, a, b, c));
  int repeats = (int)(TARGET_SECONDS / (estimate > 1e-9 ? estimate : 1e-9));
  repeats = repeats < MIN_REPEATS ? MIN_REPEATS : repeats > MAX_REPEATS ? MAX_REPEATS : repeats;

  double *t_ours = malloc((size_t)repeats * sizeof *t_ours);
  double *t_host = malloc((size_t)repeats * sizeof *t_host);
  if (!t_ours || !t_host) {
    perror("malloc");
    exit(2);
  }
  gemm590_reset_counters();
  for (int r = 0; r < repeats; r++) {
    t_ours[r] = time_call(bench_via_gemm590, n, a, b, c);
    t_host[r] = time_call(host, n, a, b, c);
  }
  struct gemm590_counters counted;
  gemm590_get_counters(&counted);
  time_call(bench_via_gemm590, n, a, b, c_ours);
  time_call(host, n, a, b, c_host);

  double max_diff = 0;
  for (size_t i = 0; i < count; i++) {
    double d = fabs((double)c_ours[i] - (double)c_host[i]);
    max_diff = d > max_diff || isnan(d) ? d : max_diff;
  }
  double bound = 2.0 * (n + 2) * FLT_EPSILON * n;
  int agree = max_diff <= bound;

  double flops = 2.0 * n * (double)n * n;
  double gf_ours = flops / bench_median(t_ours, repeats) * 1e-9;
  double gf_host = flops / bench_median(t_host, repeats) * 1e-9;
  printf("%6d %12.1f %12.1f %7.2f  %-6s %5d  %9.2e%s\n", n, gf_ours, gf_host, gf_ours / gf_host,
         path_taken(&counted), repeats, max_diff, agree ? "" : "  MISMATCH");
  fflush(stdout);
  free(a), free(b), free(c), free(c_ours), free(c_host), free(t_ours), free(t_host);
  return !agree;
}

int main(int argc, char **argv) {
  static const int default_sizes[] = {64, 128, 256, 512, 1024, 2048};
  /* --help and --version are its only options, and cli_next exits on any;
   * the sizes are read before anything is timed. */
  cli_next(&bench_cli, argc, argv);
  int nsizes = optind < argc ? argc - optind : (int)(sizeof default_sizes / sizeof *default_sizes);
  int *sizes = malloc((size_t)nsizes * sizeof *sizes);
  if (!sizes) {
    perror("malloc");
    return 2;
  }
  for (int i = 0; i < nsizes; i++)
    sizes[i] = optind < argc ? (int)cli_long(&bench_cli, "N", argv[optind + i], 1, 32768)
                             : default_sizes[i];
  const char *soname;
  bench_cblas_fn host = bench_host_cblas("sgemm_vs_openblas", &soname);
  if (!host) return 2;
  Dl_info host_info, our_info;
  if (!dladdr((void *)host, &host_info) || !dladdr((void *)cblas_sgemm, &our_info) ||
      host_info.dli_fbase == our_info.dli_fbase) {
    fprintf(stderr, "the host cblas_sgemm from %s is not a separate library\n", soname);
    return 2;
  }

  const char *disable = getenv("GEMM590_DISABLE_DEVICE");
  printf("libgemm590 %s (%s)\nhost BLAS  %s\n", gemm590_version(), our_info.dli_fname,
         host_info.dli_fname);
  printf("GEMM590_DISABLE_DEVICE=%s   OPENBLAS_NUM_THREADS=%s\n", disable ? disable : "(unset)",
         getenv("OPENBLAS_NUM_THREADS") ? getenv("OPENBLAS_NUM_THREADS") : "(unset)");
  printf("column-major C = A * B, N x N, median of repeats; ratio = gemm590 / host\n\n");
  printf("%6s %12s %12s %7s  %-6s %5s  %9s\n", "N", "gemm590 GF/s", "host GF/s", "ratio", "path",
         "reps", "max|diff|");

  int mismatches = 0;
  for (int i = 0; i < nsizes; i++) mismatches += bench_size(sizes[i], host);
  free(sizes);
  return mismatches ? 1 : 0;
}
