/* End-to-end time of cblas_sgemm through libgemm590 on given shapes, with
 * whatever the selector decides: the tool for comparing decision tables.
 * The table is read once per process, so compare two runs, e.g.
 *
 *   GEMM590_TABLE=off       shape_time 1536x1536x1536:NN 4096x1024x2048:TN
 *   GEMM590_TABLE=mine.txt  shape_time 1536x1536x1536:NN 4096x1024x2048:TN
 *
 * alternated a few times (bench/table_ab.sh does), since the host link
 * drifts between runs.  Per shape: the median of R calls (default 7, -r R)
 * after one warm-up call, and whether the calls ran on the device or the
 * host (from gemm590_get_counters).  Operands in [-1, 1], column-major. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gemm590.h"
#include "timing.h"

enum { MAX_REPEATS = 64 };

static const char help[] =
    "usage: shape_time [OPTION]... SHAPE...\n"
    "End-to-end time of cblas_sgemm through libgemm590 on each SHAPE (MxNxK, or MxNxK:TT\n"
    "with TT the transposes of A and B: NN, NT, TN or TT), with the selector's choice:\n"
    "per shape the median in ms and TFLOPS of R calls after a warm-up call, and where they\n"
    "ran (device, host, mixed).  GEMM590_* variables apply; bench/table_ab.sh compares two\n"
    "GEMM590_TABLE settings with it.\n"
    "\n"
    "  -r, --repeats R       timed calls per shape, 1 to 64 (default 7)\n" CLI_STANDARD_HELP;

static const struct option long_options[] = {{"repeats", required_argument, NULL, 'r'},
                                             CLI_STANDARD_OPTIONS};
static const cli shape_cli = {"shape_time", help, "hr:", long_options};

static float *random_matrix(size_t n, unsigned seed) {
  float *x = malloc(n * sizeof *x);
  if (!x) return NULL;
  for (size_t i = 0; i < n; i++) {
    seed = seed * 1664525u + 1013904223u;
    x[i] = (float)((seed >> 8) * (2.0 / 16777216.0) - 1.0);
  }
  return x;
}

/* One shape (main has checked them all). */
static int run_shape(const char *spec, int repeats) {
  long mnk[3];
  char tt[3];
  cli_shape(&shape_cli, "SHAPE", spec, mnk, tt);
  long m = mnk[0], n = mnk[1], k = mnk[2];
  float *a = random_matrix((size_t)m * k, 1), *b = random_matrix((size_t)k * n, 2);
  float *c = malloc((size_t)m * n * sizeof *c);
  if (!a || !b || !c) {
    fprintf(stderr, "shape_time: out of memory for %s\n", spec);
    return 1;
  }
  enum CBLAS_TRANSPOSE tra = tt[0] == 'T' ? CblasTrans : CblasNoTrans;
  enum CBLAS_TRANSPOSE trb = tt[1] == 'T' ? CblasTrans : CblasNoTrans;
  int lda = tt[0] == 'T' ? (int)k : (int)m, ldb = tt[1] == 'T' ? (int)n : (int)k;
  double samples[MAX_REPEATS];
  gemm590_reset_counters();
  for (int i = -1; i < repeats; i++) {
    double t0 = bench_now();
    cblas_sgemm(CblasColMajor, tra, trb, (int)m, (int)n, (int)k, 1.0f, a, lda, b, ldb, 0.0f, c,
                (int)m);
    if (i >= 0) samples[i] = bench_now() - t0;
  }
  bench_sort(samples, repeats);
  double med = samples[repeats / 2];
  struct gemm590_counters cnt;
  gemm590_get_counters(&cnt);
  /* Three significant digits: host rates of small shapes are far below
   * 0.01 TFLOPS. */
  printf("%s %.4f ms %#.3g TFLOPS %s\n", spec, med * 1e3, 2.0 * m * n * k / med * 1e-12,
         !cnt.calls[GEMM590_PATH_DEVICE] ? "host" : cnt.calls[GEMM590_PATH_HOST] ? "mixed" : "device");
  free(a);
  free(b);
  free(c);
  return 0;
}

int main(int argc, char **argv) {
  int repeats = 7, status = 0;
  for (int opt; (opt = cli_next(&shape_cli, argc, argv)) != -1;)
    if (opt == 'r') repeats = (int)cli_long(&shape_cli, "--repeats", optarg, 1, MAX_REPEATS);
  if (optind == argc) cli_fail(&shape_cli, "no SHAPE given");
  /* Every shape is checked before the first is timed: a typo in the last
   * one must not cost the minutes of the others. */
  long mnk[3];
  char tt[3];
  for (int i = optind; i < argc; i++) cli_shape(&shape_cli, "SHAPE", argv[i], mnk, tt);
  for (int i = optind; i < argc; i++) status |= run_shape(argv[i], repeats);
  return status;
}
