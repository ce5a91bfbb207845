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
#include <time.h>

#include "gemm590.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static float *random_matrix(size_t n, unsigned seed) {
  float *x = malloc(n * sizeof *x);
  if (!x) return NULL;
  for (size_t i = 0; i < n; i++) {
    seed = seed * 1664525u + 1013904223u;
    x[i] = (float)((seed >> 8) * (2.0 / 16777216.0) - 1.0);
  }
  return x;
}

/* One shape: "MxNxK:TT" (TT: N or T for A, then for B). */
static int run_shape(const char *spec, int repeats) {
  long m, n, k;
  char ta = 'N', tb = 'N';
  if (sscanf(spec, "%ldx%ldx%ld:%c%c", &m, &n, &k, &ta, &tb) < 3 || m < 1 || n < 1 || k < 1 ||
      (ta != 'N' && ta != 'T') || (tb != 'N' && tb != 'T')) {
    fprintf(stderr, "shape_time: bad shape '%s' (MxNxK:NN)\n", spec);
    return 2;
  }
  float *a = random_matrix((size_t)m * k, 1), *b = random_matrix((size_t)k * n, 2);
  float *c = malloc((size_t)m * n * sizeof *c);
  if (!a || !b || !c) {
    fprintf(stderr, "shape_time: out of memory for %s\n", spec);
    return 1;
  }
  enum CBLAS_TRANSPOSE tra = ta == 'T' ? CblasTrans : CblasNoTrans;
  enum CBLAS_TRANSPOSE trb = tb == 'T' ? CblasTrans : CblasNoTrans;
  int lda = ta == 'T' ? (int)k : (int)m, ldb = tb == 'T' ? (int)n : (int)k;
  double samples[64];
  if (repeats > 64) repeats = 64;
  gemm590_reset_counters();
  for (int i = -1; i < repeats; i++) {
    double t0 = now();
    cblas_sgemm(CblasColMajor, tra, trb, (int)m, (int)n, (int)k, 1.0f, a, lda, b, ldb, 0.0f, c,
                (int)m);
    if (i >= 0) samples[i] = now() - t0;
  }
  qsort(samples, (size_t)repeats, sizeof *samples, cmp_double);
  double med = samples[repeats / 2];
  struct gemm590_counters cnt;
  gemm590_get_counters(&cnt);
  printf("%s %.4f ms %.2f TFLOPS %s\n", spec, med * 1e3, 2.0 * m * n * k / med * 1e-12,
         !cnt.calls[GEMM590_PATH_DEVICE] ? "host" : cnt.calls[GEMM590_PATH_HOST] ? "mixed" : "device");
  free(a);
  free(b);
  free(c);
  return 0;
}

int main(int argc, char **argv) {
  int repeats = 7, status = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-r") && i + 1 < argc) repeats = atoi(argv[++i]) > 0 ? atoi(argv[i]) : 7;
    else status |= run_shape(argv[i], repeats);
  }
  return status;
}
