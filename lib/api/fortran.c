/* Fortran entry points (gfortran convention: arguments by reference, the
 * two hidden string lengths last): sgemm_ and the spellings pip wheels
 * import (scipy: scipy_sgemm_; 64-bit-integer builds: sgemm_64_,
 * scipy_sgemm_64_). */
#include "gemm590.h"
#include "g590.h"

#define G590_API __attribute__((visibility("default")))

static void sgemm_fortran(const char *entry, const char *transa, const char *transb, int64_t m,
                          int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                          const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
  g590_job job = {.op = G590_GEMM, .type = G590_F32, .fp16_ok = g590_api_math_fp16(),
                  .entry = entry, .alpha = alpha, .beta = beta, .c = c};
  int info = g590_api_fortran_job(&job, *transa, *transb, m, n, k, a, lda, b, ldb, ldc);
  if (info) {
    g590_log_invalid(entry, info);
    g590_api_report_fortran("SGEMM ", info);
    return;
  }
  g590_run(&job);
}

G590_API void sgemm_(const char *transa, const char *transb, const int *m, const int *n,
                     const int *k, const float *alpha, const float *a, const int *lda,
                     const float *b, const int *ldb, const float *beta, float *c, const int *ldc,
                     size_t transa_len, size_t transb_len) {
  (void)transa_len, (void)transb_len;
  sgemm_fortran("sgemm_", transa, transb, *m, *n, *k, *alpha, a, *lda, b, *ldb, *beta, c, *ldc);
}

G590_API void scipy_sgemm_(const char *transa, const char *transb, const int *m, const int *n,
                           const int *k, const float *alpha, const float *a, const int *lda,
                           const float *b, const int *ldb, const float *beta, float *c,
                           const int *ldc, size_t transa_len, size_t transb_len) {
  (void)transa_len, (void)transb_len;
  sgemm_fortran("scipy_sgemm_", transa, transb, *m, *n, *k, *alpha, a, *lda, b, *ldb, *beta, c,
                *ldc);
}

G590_API void sgemm_64_(const char *transa, const char *transb, const int64_t *m,
                        const int64_t *n, const int64_t *k, const float *alpha, const float *a,
                        const int64_t *lda, const float *b, const int64_t *ldb,
                        const float *beta, float *c, const int64_t *ldc, size_t transa_len,
                        size_t transb_len) {
  (void)transa_len, (void)transb_len;
  sgemm_fortran("sgemm_64_", transa, transb, *m, *n, *k, *alpha, a, *lda, b, *ldb, *beta, c,
                *ldc);
}

G590_API void scipy_sgemm_64_(const char *transa, const char *transb, const int64_t *m,
                              const int64_t *n, const int64_t *k, const float *alpha,
                              const float *a, const int64_t *lda, const float *b,
                              const int64_t *ldb, const float *beta, float *c,
                              const int64_t *ldc, size_t transa_len, size_t transb_len) {
  (void)transa_len, (void)transb_len;
  sgemm_fortran("scipy_sgemm_64_", transa, transb, *m, *n, *k, *alpha, a, *lda, b, *ldb, *beta,
                c, *ldc);
}
