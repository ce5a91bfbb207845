/* CBLAS entry points: cblas_sgemm and the 64-bit-integer and prefixed
 * spellings that pip wheels of numpy/scipy import from their bundled
 * OpenBLAS (numpy 2.x: scipy_cblas_sgemm64_; scipy: scipy_cblas_sgemm). */
#include "gemm590.h"
#include "g590.h"

#define G590_API __attribute__((visibility("default")))

void g590_api_cblas_gemm(const char *entry, const char *rout, g590_type type, bool fp16_ok,
                     int layout, int transa, int transb, int64_t m, int64_t n, int64_t k,
                     double alpha, const void *a, int64_t lda, const void *b, int64_t ldb,
                     double beta, void *c, int64_t ldc) {
  g590_job job = {.op = G590_GEMM, .type = type, .fp16_ok = fp16_ok, .entry = entry,
                  .alpha = alpha, .beta = beta, .c = c};
  bool swapped;
  int info = g590_api_cblas_job(&job, layout, transa, transb, m, n, k, a, lda, b, ldb, ldc, &swapped);
  if (info) {
    g590_log_invalid(entry, g590_api_cblas_caller_param(info, swapped));
    g590_api_report_cblas(info, rout, swapped);
    return;
  }
  g590_run(&job);
}

static void sgemm_cblas(const char *entry, int layout, int transa, int transb, int64_t m,
                        int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                        const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
  g590_api_cblas_gemm(entry, "cblas_sgemm", G590_F32, g590_api_math_fp16(), layout, transa, transb, m, n,
                  k, alpha, a, lda, b, ldb, beta, c, ldc);
}

G590_API void cblas_sgemm(const enum CBLAS_ORDER layout, const enum CBLAS_TRANSPOSE transa,
                          const enum CBLAS_TRANSPOSE transb, const int m, const int n,
                          const int k, const float alpha, const float *a, const int lda,
                          const float *b, const int ldb, const float beta, float *c,
                          const int ldc) {
  sgemm_cblas("cblas_sgemm", (int)layout, (int)transa, (int)transb, m, n, k, alpha, a, lda, b,
              ldb, beta, c, ldc);
}

G590_API void scipy_cblas_sgemm(int layout, int transa, int transb, int m, int n, int k,
                                float alpha, const float *a, int lda, const float *b, int ldb,
                                float beta, float *c, int ldc) {
  sgemm_cblas("scipy_cblas_sgemm", layout, transa, transb, m, n, k, alpha, a, lda, b, ldb,
              beta, c, ldc);
}

G590_API void cblas_sgemm64_(int layout, int transa, int transb, int64_t m, int64_t n,
                             int64_t k, float alpha, const float *a, int64_t lda,
                             const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
  sgemm_cblas("cblas_sgemm64_", layout, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c,
              ldc);
}

G590_API void scipy_cblas_sgemm64_(int layout, int transa, int transb, int64_t m, int64_t n,
                                   int64_t k, float alpha, const float *a, int64_t lda,
                                   const float *b, int64_t ldb, float beta, float *c,
                                   int64_t ldc) {
  sgemm_cblas("scipy_cblas_sgemm64_", layout, transa, transb, m, n, k, alpha, a, lda, b, ldb,
              beta, c, ldc);
}
