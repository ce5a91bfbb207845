/* libgemm590 public API.
 *
 * cblas_sgemm, cblas_dgemm, cblas_ssyrk, cblas_dsyrk and their Fortran
 * forms (sgemm_, dgemm_, ssyrk_, dsyrk_) are drop-in replacements for the
 * BLAS routines of the same names.  Everything else here is the libgemm590 extension API,
 * prefixed gemm590_.
 *
 * This header can be included before, after or instead of a CBLAS header
 * (OpenBLAS's or netlib's cblas.h): the CBLAS enums are taken from cblas.h
 * when one is reachable and defined here, with the standard values, only
 * when none is. */
#ifndef GEMM590_H
#define GEMM590_H

#include <stddef.h>
#include <stdint.h>

#if !defined(CBLAS_H) && defined(__has_include)
#if __has_include(<cblas.h>)
#include <cblas.h>
#endif
#endif

#ifndef CBLAS_H
/* No cblas.h on this system: the standard CBLAS enums, same tags and values. */
enum CBLAS_ORDER { CblasRowMajor = 101, CblasColMajor = 102 };
enum CBLAS_TRANSPOSE {
  CblasNoTrans = 111,
  CblasTrans = 112,
  CblasConjTrans = 113,
  CblasConjNoTrans = 114
};
enum CBLAS_UPLO { CblasUpper = 121, CblasLower = 122 };
#define GEMM590_OWN_CBLAS_ENUMS 1
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* C = alpha * op(A) * op(B) + beta * C, exactly as the reference CBLAS. */
void cblas_sgemm(const enum CBLAS_ORDER layout, const enum CBLAS_TRANSPOSE transa,
                 const enum CBLAS_TRANSPOSE transb, const int m, const int n, const int k,
                 const float alpha, const float *a, const int lda, const float *b,
                 const int ldb, const float beta, float *c, const int ldc);

/* Fortran SGEMM, gfortran calling convention (hidden string lengths last). */
void sgemm_(const char *transa, const char *transb, const int *m, const int *n, const int *k,
            const float *alpha, const float *a, const int *lda, const float *b, const int *ldb,
            const float *beta, float *c, const int *ldc, size_t transa_len, size_t transb_len);

/* C = alpha * op(A) * op(B) + beta * C in float64, as the reference CBLAS. */
void cblas_dgemm(const enum CBLAS_ORDER layout, const enum CBLAS_TRANSPOSE transa,
                 const enum CBLAS_TRANSPOSE transb, const int m, const int n, const int k,
                 const double alpha, const double *a, const int lda, const double *b,
                 const int ldb, const double beta, double *c, const int ldc);
void dgemm_(const char *transa, const char *transb, const int *m, const int *n, const int *k,
            const double *alpha, const double *a, const int *lda, const double *b,
            const int *ldb, const double *beta, double *c, const int *ldc, size_t transa_len,
            size_t transb_len);

/* C = alpha * op(A) * op(A)^T + beta * C on the `uplo` triangle of C (the
 * other triangle is never written), as the reference CBLAS. */
void cblas_ssyrk(const enum CBLAS_ORDER layout, const enum CBLAS_UPLO uplo,
                 const enum CBLAS_TRANSPOSE trans, const int n, const int k, const float alpha,
                 const float *a, const int lda, const float beta, float *c, const int ldc);
void cblas_dsyrk(const enum CBLAS_ORDER layout, const enum CBLAS_UPLO uplo,
                 const enum CBLAS_TRANSPOSE trans, const int n, const int k, const double alpha,
                 const double *a, const int lda, const double beta, double *c, const int ldc);
void ssyrk_(const char *uplo, const char *trans, const int *n, const int *k, const float *alpha,
            const float *a, const int *lda, const float *beta, float *c, const int *ldc,
            size_t uplo_len, size_t trans_len);
void dsyrk_(const char *uplo, const char *trans, const int *n, const int *k, const double *alpha,
            const double *a, const int *lda, const double *beta, double *c, const int *ldc,
            size_t uplo_len, size_t trans_len);

/* Which path computed a call. */
enum gemm590_path { GEMM590_PATH_HOST = 0, GEMM590_PATH_DEVICE = 1, GEMM590_PATH_COUNT = 2 };

/* Counters since load (or the last reset), per path; flops are 2*M*N*K
 * per call (N*(N+1)*K for syrk).  Calls that return early count under neither path: invalid
 * arguments, quick returns, and alpha = 0 or K = 0 (C = beta*C, done on
 * the host without a multiplication).  A call the device started but the
 * host finished counts once, under the host. */
struct gemm590_counters {
  uint64_t calls[GEMM590_PATH_COUNT];
  double flops[GEMM590_PATH_COUNT];
};

void gemm590_get_counters(struct gemm590_counters *out);
void gemm590_reset_counters(void);

/* Math mode of SGEMM calls made by the calling thread.  GEMM590_MATH_FP32
 * (the default) computes in float32 like any BLAS.  GEMM590_MATH_FP16 lets
 * libgemm590 round A and B to IEEE binary16 (products and sums stay
 * float32): half the bytes cross the host link.  Inputs that do not fit
 * binary16 (|x| > 65504, or nonzero |x| < 2^-24) make that call run in
 * float32 instead.  GEMM590_MATH_TF32 lets devices with tensor cores
 * (NVIDIA sm_80 and later) round A and B to TF32 (8-bit exponent, 10-bit
 * mantissa) inside the kernel, products and sums in float32, as
 * PyTorch's allow_tf32; the link still carries float32, and devices
 * without tensor cores compute in float32.  GEMM590_MATH_DEFAULT returns
 * the thread to the process default, which GEMM590_MATH=fp16 or
 * GEMM590_MATH=tf32 in the environment sets.  Returns the mode in force
 * before the call. */
enum gemm590_math {
  GEMM590_MATH_DEFAULT = -1,
  GEMM590_MATH_FP32 = 0,
  GEMM590_MATH_FP16 = 1,
  GEMM590_MATH_TF32 = 2
};
enum gemm590_math gemm590_set_math_mode(enum gemm590_math mode);
enum gemm590_math gemm590_get_math_mode(void);

/* Library version as "MAJOR.MINOR.PATCH". */
const char *gemm590_version(void);

/* GEMM on IEEE binary16 data: C = alpha * op(A) * op(B) + beta * C with A,
 * B and C given as binary16 bit patterns.  Products and sums are float32
 * (alpha and beta are float); each element of C is rounded once to
 * binary16 at the end: to nearest even, overflow to +-Inf, subnormals
 * kept, NaN stays NaN.  Arguments, quick returns and beta = 0 (C is then
 * not read) as cblas_sgemm; an invalid argument is reported through
 * cblas_xerbla as "gemm590_hgemm" with cblas_sgemm's parameter numbers.
 * Runs on the device (binary16 crosses the host link) where an SGEMM of
 * the same shape would, on the host otherwise; counted like cblas_sgemm. */
void gemm590_hgemm(const enum CBLAS_ORDER layout, const enum CBLAS_TRANSPOSE transa,
                   const enum CBLAS_TRANSPOSE transb, const int m, const int n, const int k,
                   const float alpha, const uint16_t *a, const int lda, const uint16_t *b,
                   const int ldb, const float beta, uint16_t *c, const int ldc);

#ifdef __FLT16_MAX__
/* gemm590_hgemm on _Float16 arrays, where the compiler has the type
 * (__extension__: no -Wpedantic warning, the type is outside ISO C11). */
__extension__ typedef _Float16 gemm590_float16;
void gemm590_hgemm_f16(const enum CBLAS_ORDER layout, const enum CBLAS_TRANSPOSE transa,
                       const enum CBLAS_TRANSPOSE transb, const int m, const int n, const int k,
                       const float alpha, const gemm590_float16 *a, const int lda,
                       const gemm590_float16 *b, const int ldb, const float beta,
                       gemm590_float16 *c, const int ldc);
#endif

#ifdef __cplusplus
}
#endif

#endif
