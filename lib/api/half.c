/* gemm590_hgemm: GEMM on IEEE binary16 data, products and sums in float32,
 * one rounding to binary16 at the end.  A job of element type binary16
 * through the same front end and dispatcher as cblas_sgemm
 * (lib/api/cblas.c): netlib's argument numbers, a row-major call checked
 * as the swapped column-major problem C^T = B^T A^T. */
#include "gemm590.h"
#include "g590.h"

#define G590_API __attribute__((visibility("default")))

G590_API void gemm590_hgemm(const enum CBLAS_ORDER layout, const enum CBLAS_TRANSPOSE transa,
                            const enum CBLAS_TRANSPOSE transb, const int m, const int n,
                            const int k, const float alpha, const uint16_t *a, const int lda,
                            const uint16_t *b, const int ldb, const float beta, uint16_t *c,
                            const int ldc) {
  /* Math mode fp16: the data are binary16 already, so tensor_f16 may run. */
  g590_api_cblas_gemm("gemm590_hgemm", "gemm590_hgemm", G590_F16, GEMM590_MATH_FP16, (int)layout, (int)transa,
                  (int)transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
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
