/* A program that includes <gemm590.h> and nothing BLAS besides: the header
 * alone must declare cblas_sgemm, sgemm_, the CBLAS enums and the
 * extension API.  Built as C11 and, where a C++ compiler exists, as C++
 * (the header's extern "C" block), with warnings as errors; linked with
 * -lgemm590 only, so every BLAS symbol it uses must come from libgemm590.
 *
 * Operands are small integers: results are exact and compared with ==. */
#include <gemm590.h>

#include <stdio.h>
#include <string.h>

enum { M = 6, N = 4, K = 5 };

static int failures;

static void expect(int ok, const char *what) {
  printf("%s %s\n", ok ? "ok  " : "FAIL", what);
  if (!ok) failures++;
}

/* Column-major reference of C = A^T * B for A stored K x M, B stored K x N. */
static void reference(const float *a, const float *b, float *want) {
  for (int j = 0; j < N; j++)
    for (int i = 0; i < M; i++) {
      float s = 0;
      for (int l = 0; l < K; l++) s += a[i * K + l] * b[j * K + l];
      want[j * M + i] = s;
    }
}

static int equal(const float *x, const float *y, int n) {
  for (int i = 0; i < n; i++)
    if (x[i] != y[i]) return 0;
  return 1;
}

int main(void) {
  float a[K * M], b[K * N], c[M * N], want[M * N];
  for (int i = 0; i < K * M; i++) a[i] = (float)(i % 5 - 2);
  for (int i = 0; i < K * N; i++) b[i] = (float)(i % 3 - 1);
  reference(a, b, want);
  gemm590_reset_counters();

  for (int i = 0; i < M * N; i++) c[i] = -7.0f;
  cblas_sgemm(CblasColMajor, CblasTrans, CblasNoTrans, M, N, K, 1.0f, a, K, b, K, 0.0f, c, M);
  expect(equal(c, want, M * N), "cblas_sgemm(ColMajor, Trans, NoTrans) is exact");

  const int m = M, n = N, k = K;
  const float one = 1.0f, zero = 0.0f;
  for (int i = 0; i < M * N; i++) c[i] = -7.0f;
  sgemm_("T", "N", &m, &n, &k, &one, a, &k, b, &k, &zero, c, &m, 1, 1);
  expect(equal(c, want, M * N), "sgemm_('T', 'N') is exact");

  struct gemm590_counters counted;
  gemm590_get_counters(&counted);
  expect(counted.calls[GEMM590_PATH_HOST] + counted.calls[GEMM590_PATH_DEVICE] == 2,
         "both calls counted");
  gemm590_reset_counters();
  gemm590_get_counters(&counted);
  expect(counted.calls[GEMM590_PATH_HOST] + counted.calls[GEMM590_PATH_DEVICE] == 0,
         "reset clears the counters");

  const char *version = gemm590_version();
  expect(version != NULL && strchr(version, '.') != NULL, "gemm590_version() looks like X.Y.Z");
#ifdef GEMM590_OWN_CBLAS_ENUMS
  puts("CBLAS enums: gemm590.h's own (no cblas.h reachable)");
#else
  puts("CBLAS enums: from the system's cblas.h");
#endif
  printf("version %s\n", version ? version : "(null)");
  return failures ? 1 : 0;
}
