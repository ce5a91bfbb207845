/* gemm590_hgemm: GEMM on IEEE binary16 data, products and sums in float32,
 * one rounding to binary16 at the end.
 *
 * The entry checks and numbers its arguments exactly as cblas_sgemm does
 * (lib/api_cblas.c: netlib's raw numbers, a row-major call checked as the
 * swapped column-major problem C^T = B^T A^T), then runs the same path as
 * an SGEMM call (lib/dispatch.c): quick returns, the device when it
 * serves, the host for the rest. */
#include <stdio.h>

#include "gemm590.h"
#include "hgemm.h"

#define G590_API __attribute__((visibility("default")))

void g590_hgemm(const g590_hcall *call) {
  const g590_call *s = &call->shape;
  bool verbose = g590_config_get()->verbose;
  if (s->m == 0 || s->n == 0 || ((s->alpha == 0.0f || s->k == 0) && s->beta == 1.0f)) {
    if (verbose) g590_log_call(s, "path=none reason=\"quick return\"");
    return;
  }
  if (s->alpha == 0.0f || s->k == 0) {
    g590_hscale_c(call);
    if (verbose) g590_log_call(s, "path=host reason=\"alpha=0 or K=0: C=beta*C\"");
    return;
  }

  double flops = 2.0 * (double)s->m * (double)s->n * (double)s->k;
  char what[512] = "", why[192] = "", how[160] = "";
  int64_t cols_done = 0;
  if (g590_config_get()->disable_device) {
    snprintf(why, sizeof why, "device disabled");
  } else if (g590_device_hgemm(call, &cols_done, what, sizeof what, why, sizeof why) ==
             G590_HANDLED) {
    g590_count(GEMM590_PATH_DEVICE, flops);
    if (verbose) g590_log_call(s, "path=device %s", what);
    return;
  }
  /* Columns the device delivered before failing are final (see g590_sgemm). */
  g590_hcall rest = *call;
  rest.shape.n -= cols_done;
  rest.c += cols_done * s->ldc;
  rest.b += s->trans_b ? cols_done : cols_done * s->ldb;
  g590_hgemm_host(&rest, how, sizeof how);
  g590_count(GEMM590_PATH_HOST, flops);
  if (verbose && cols_done)
    g590_log_call(s, "path=host reason=\"%s\" host=%s device_columns=%lld", why, how,
             (long long)cols_done);
  else if (verbose)
    g590_log_call(s, "path=host reason=\"%s\" host=%s", why, how);
}

G590_API void gemm590_hgemm(const enum CBLAS_ORDER layout, const enum CBLAS_TRANSPOSE transa,
                            const enum CBLAS_TRANSPOSE transb, const int m, const int n,
                            const int k, const float alpha, const uint16_t *a, const int lda,
                            const uint16_t *b, const int ldb, const float beta, uint16_t *c,
                            const int ldc) {
  static const char entry[] = "gemm590_hgemm";
  g590_hcall call = {.shape = {.entry = entry, .alpha = alpha, .beta = beta}, .c = c};
  bool swapped;
  int info = g590_cblas_shape(&call.shape, (int)layout, (int)transa, (int)transb, m, n, k, lda,
                              ldb, ldc, &swapped);
  if (info) {
    g590_log_invalid(entry, g590_cblas_caller_param(info, swapped));
    g590_report_cblas(info, entry, swapped);
    return;
  }
  call.a = swapped ? b : a;
  call.b = swapped ? a : b;
  g590_hgemm(&call);
}

/* The _Float16 spelling.  The header declares it only for compilers that
 * have the type, but the symbol exists in every build: a pointer to
 * _Float16 and a pointer to uint16_t are passed alike, and the data are
 * the same binary16 bit patterns. */
#ifdef __FLT16_MAX__
typedef gemm590_float16 f16_storage;
#else
typedef uint16_t f16_storage;
#endif

G590_API void gemm590_hgemm_f16(const enum CBLAS_ORDER layout,
                                const enum CBLAS_TRANSPOSE transa,
                                const enum CBLAS_TRANSPOSE transb, const int m, const int n,
                                const int k, const float alpha, const f16_storage *a,
                                const int lda, const f16_storage *b, const int ldb,
                                const float beta, f16_storage *c, const int ldc) {
  gemm590_hgemm(layout, transa, transb, m, n, k, alpha, (const uint16_t *)a, lda,
                (const uint16_t *)b, ldb, beta, (uint16_t *)c, ldc);
}
