/* A program built against the installed libgemm590 with
 * `cc prog.c $(pkg-config --cflags --libs gemm590)`, the way an OpenBLAS
 * user adopts it: it keeps OpenBLAS's <cblas.h> for everything else and
 * adds <gemm590.h>.  Built twice, with GEMM590_H_FIRST defined and not, so
 * both include orders must compile.
 *
 * Checks that cblas_sgemm and cblas_dgemm run in libgemm590 (its counters
 * move, and the symbols live in the library file) while cblas_sdot stays
 * OpenBLAS's, and that all are right.  Operands are small integers so that every
 * result is exact in float and double alike, compared with ==.
 *
 * Prints "sgemm from PATH" and "version V" for the driver to check against
 * the install it built against. */
#define _GNU_SOURCE /* dladdr */

#ifdef GEMM590_H_FIRST
#include <gemm590.h>
#include <cblas.h>
#else
#include <cblas.h>
#include <gemm590.h>
#endif

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

enum { M = 7, N = 5, K = 9 };

static int failures;

static void expect(int ok, const char *what) {
  printf("%s %s\n", ok ? "ok  " : "FAIL", what);
  if (!ok) failures++;
}

/* Path of the shared object that defines the function at `fn`. */
static const char *owner_of(void (*fn)(void)) {
  Dl_info info;
  return dladdr((void *)fn, &info) && info.dli_fname ? info.dli_fname : "(unknown)";
}

int main(void) {
  float a[M * K], b[K * N], c[M * N];
  double ad[M * K], bd[K * N], cd[M * N], want[M * N];
  for (int i = 0; i < M * K; i++) ad[i] = a[i] = (float)(i % 7 - 3);
  for (int i = 0; i < K * N; i++) bd[i] = b[i] = (float)(i % 5 - 2);
  /* Row-major reference C = A * B. */
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      double s = 0;
      for (int l = 0; l < K; l++) s += ad[i * K + l] * bd[l * N + j];
      want[i * N + j] = s;
    }

  gemm590_reset_counters();
  for (int i = 0; i < M * N; i++) c[i] = -1.0f; /* beta = 0 must not read it */
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, a, K, b, N, 0.0f, c, N);
  int same = 1;
  for (int i = 0; i < M * N; i++) same &= c[i] == (float)want[i];
  expect(same, "cblas_sgemm result is exact");

  struct gemm590_counters after_sgemm;
  gemm590_get_counters(&after_sgemm);
  expect(after_sgemm.calls[GEMM590_PATH_HOST] + after_sgemm.calls[GEMM590_PATH_DEVICE] == 1,
         "cblas_sgemm counted once by libgemm590");
  expect(after_sgemm.flops[GEMM590_PATH_HOST] + after_sgemm.flops[GEMM590_PATH_DEVICE] ==
             2.0 * M * N * K,
         "counted flops are 2*M*N*K");

  /* sdot of A's first row with B's first column. */
  float dot = cblas_sdot(K, a, 1, b, N);
  double want_dot = 0;
  for (int l = 0; l < K; l++) want_dot += ad[l] * bd[l * N];
  expect(dot == (float)want_dot, "cblas_sdot result is exact");

  struct gemm590_counters after_sdot;
  gemm590_get_counters(&after_sdot);
  expect(memcmp(&after_sdot, &after_sgemm, sizeof after_sdot) == 0,
         "cblas_sdot did not pass through libgemm590");

  for (int i = 0; i < M * N; i++) cd[i] = -1.0;
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0, ad, K, bd, N, 0.0, cd, N);
  same = 1;
  for (int i = 0; i < M * N; i++) same &= cd[i] == want[i];
  expect(same, "cblas_dgemm result is exact");

  struct gemm590_counters after_all;
  gemm590_get_counters(&after_all);
  expect(after_all.calls[GEMM590_PATH_HOST] + after_all.calls[GEMM590_PATH_DEVICE] == 2,
         "cblas_dgemm counted once by libgemm590");

  const char *sgemm_lib = owner_of((void (*)(void))cblas_sgemm);
  const char *sdot_lib = owner_of((void (*)(void))cblas_sdot);
  const char *dgemm_lib = owner_of((void (*)(void))cblas_dgemm);
  expect(strstr(sgemm_lib, "libgemm590") != NULL, "cblas_sgemm is defined by libgemm590");
  expect(strstr(dgemm_lib, "libgemm590") != NULL, "cblas_dgemm is defined by libgemm590");
  expect(strstr(sdot_lib, "openblas") != NULL, "cblas_sdot is defined by OpenBLAS");
  printf("sgemm from %s\nsdot from %s\ndgemm from %s\nversion %s\n", sgemm_lib, sdot_lib,
         dgemm_lib, gemm590_version());
  return failures ? 1 : 0;
}
