/* A first look at libgemm590 from C: an ordinary cblas_sgemm program,
 * linked with -lgemm590 instead of (or before) -lopenblas.
 *
 *   GEMM590_VERBOSE=1 build/bench/demo
 *
 * It multiplies a small matrix you can check by eye, then a few larger
 * ones, and prints the counters: with GEMM590_VERBOSE=1 every call also
 * prints the path libgemm590 chose for it, and why. */
#include <stdio.h>
#include <stdlib.h>

#include "gemm590.h"

static void print_matrix(const char *name, const float *x, int rows, int cols) {
  printf("%s =\n", name);
  for (int i = 0; i < rows; i++) {
    for (int j = 0; j < cols; j++) printf(" %7.1f", x[i * cols + j]);
    printf("\n");
  }
}

int main(void) {
  /* Line-buffered even into a pipe, so that each result prints next to the
   * verbose line (unbuffered stderr) of the call that made it. */
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("libgemm590 %s\n\n", gemm590_version());

  /* Row-major, as in C: C (2x3) = A (2x4) * B (4x3). */
  const float a[2 * 4] = {1, 2, 3, 4,
                          5, 6, 7, 8};
  const float b[4 * 3] = {1, 0, 2,
                          0, 1, 2,
                          1, 0, 2,
                          0, 1, 2};
  float c[2 * 3];
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 2, 3, 4, 1.0f, a, 4, b, 3, 0.0f, c, 3);
  print_matrix("A", a, 2, 4);
  print_matrix("B", b, 4, 3);
  print_matrix("C = A * B", c, 2, 3);

  /* Larger squares: where a device is available, the selector decides per
   * call whether it or the host BLAS finishes first. */
  static const int sizes[] = {128, 512, 1024};
  for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
    int n = sizes[s];
    float *x = malloc((size_t)n * n * sizeof *x), *y = malloc((size_t)n * n * sizeof *y);
    float *z = malloc((size_t)n * n * sizeof *z);
    if (!x || !y || !z) {
      perror("malloc");
      return 1;
    }
    /* All ones: every element of the product is exactly n. */
    for (size_t i = 0; i < (size_t)n * n; i++) x[i] = y[i] = 1.0f;
    cblas_sgemm(CblasColMajor, CblasNoTrans, CblasTrans, n, n, n, 1.0f, x, n, y, n, 0.0f, z, n);
    printf("\n%d x %d of ones: C[0] = %.0f, C[last] = %.0f (both should be %d)\n", n, n, z[0],
           z[(size_t)n * n - 1], n);
    free(x), free(y), free(z);
  }

  struct gemm590_counters counted;
  gemm590_get_counters(&counted);
  printf("\ncounters: host %llu calls (%.3g flop), device %llu calls (%.3g flop)\n",
         (unsigned long long)counted.calls[GEMM590_PATH_HOST], counted.flops[GEMM590_PATH_HOST],
         (unsigned long long)counted.calls[GEMM590_PATH_DEVICE],
         counted.flops[GEMM590_PATH_DEVICE]);
  return 0;
}
