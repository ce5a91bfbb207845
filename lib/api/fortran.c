/* Fortran entry points (gfortran convention: arguments by reference, the
 * hidden string lengths last): sgemm_, dgemm_, ssyrk_, dsyrk_, each with
 * the spellings pip wheels import: scipy_X_ (scipy-openblas32), X_64_ and
 * scipy_X_64_ (64-bit integers). */
#include "gemm590.h"
#include "g590.h"
#include "lane.h"

#define G590_API __attribute__((visibility("default")))

/* Not inlined into the entry points, as g590_api_cblas_gemm (lib/api/cblas.c). */
static __attribute__((noinline)) void gemm_fortran(const char *entry, const char *srname,
                                                    g590_type type, int math, char transa,
                                                    char transb, int64_t m, int64_t n, int64_t k,
                                                    double alpha, const void *a, int64_t lda,
                                                    const void *b, int64_t ldb, double beta,
                                                    void *c, int64_t ldc) {
  g590_job job = {.op = G590_GEMM, .type = type, .fp16_ok = math == GEMM590_MATH_FP16, .tf32_ok = math == GEMM590_MATH_TF32, .entry = entry,
                  .alpha = alpha, .beta = beta, .c = c};
  int info = g590_api_fortran_job(&job, transa, transb, m, n, k, a, lda, b, ldb, ldc);
  if (info) {
    g590_log_invalid(entry, info);
    g590_api_report_fortran(srname, info);
    return;
  }
  g590_run(&job);
}

static __attribute__((noinline)) void syrk_fortran(const char *entry, const char *srname,
                                                    g590_type type, char uplo, char trans,
                                                    int64_t n, int64_t k, double alpha,
                                                    const void *a, int64_t lda, double beta,
                                                    void *c, int64_t ldc) {
  g590_job job = {.op = G590_SYRK, .type = type,
                  .fp16_ok = type == G590_F32 && g590_api_math() == GEMM590_MATH_FP16, .entry = entry,
                  .alpha = alpha, .beta = beta, .c = c};
  int info = g590_api_fortran_syrk_job(&job, uplo, trans, n, k, a, lda, ldc);
  if (info) {
    g590_log_invalid(entry, info);
    g590_api_report_fortran(srname, info);
    return;
  }
  g590_run(&job);
}

/* Each entry point runs its quick lane and otherwise its full twin,
 * name_full: the whole lane (lib/api/lane.h), then gemm_fortran or
 * syrk_fortran out of line (a job in their frames would slow the lane).
 * The quick lane hands a call the dispatcher would send to the host
 * (G590_LANE_GEMM's test) to OpenBLAS's own Fortran routine with the
 * caller's pointers as they came, by a jump (the entry needs no frame),
 * instead of the host's CBLAS routine with 14 values loaded and converted.
 * Neither call passes the hidden string lengths.  A jump writes its stack
 * arguments over the entry's own incoming ones, and callers written in C
 * (f2py's wrappers in scipy, LAPACKE) do not pass the lengths, so writes
 * there would land in the caller's frame (measured when the lengths were
 * passed on: scipy's ssyrk wrapper then failed with "returned NULL without
 * setting an exception").  OpenBLAS's routines take no lengths, and the
 * twin neither: 7 stack arguments for gemm and 4 for syrk, what every
 * caller passes us. */
#define FORTRAN_GEMM_PARAMS(T, INT)                                                            \
  const char *transa, const char *transb, const INT *m, const INT *n, const INT *k,            \
      const T *alpha, const T *a, const INT *lda, const T *b, const INT *ldb, const T *beta,   \
      T *c, const INT *ldc
#define FORTRAN_GEMM_ARGS transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc
/* The full lane over those parameters; a bad letter is 0. */
#define FORTRAN_GEMM_LANE(T, type)                                                             \
  ({                                                                                           \
    int ta_ = g590_lane_trans(*transa), tb_ = g590_lane_trans(*transb);                        \
    ta_ && tb_ &&                                                                              \
        G590_LANE_GEMM(T, type == G590_F64, false, G590_CBLAS_COL, ta_, tb_, *m, *n, *k,       \
                       *alpha, a, *lda, b, *ldb, *beta, c, *ldc);                              \
  })
/* The quick lane's test (G590_LANE_GEMM's, quick): sets fn_ to OpenBLAS's
 * routine and counts the call, or evaluates to false. */
#define FORTRAN_GEMM_QUICK(type, INT, fn_)                                                     \
  ({                                                                                           \
    int ta_, tb_;                                                                              \
    g590_lane_warm() && (ta_ = g590_lane_trans(*transa)) && (tb_ = g590_lane_trans(*transb)) && \
        g590_lane_gemm_fits(false, ta_ != G590_CBLAS_N, tb_ != G590_CBLAS_N, *m, *n, *k,       \
                            *alpha, *lda, *ldb, *ldc, true) &&                                 \
        (fn_ = g590_host_lane_fortran(G590_GEMM, type == G590_F64, sizeof(INT) == 8)) &&        \
        (g590_api_count_listed(GEMM590_PATH_HOST,                                              \
                               (uint64_t)*m * (uint64_t)*n * (uint64_t)*k), true);             \
  })
#define FORTRAN_GEMM_(name, srname, T, type, math, INT)                                         \
  static __attribute__((noinline)) void name##_full(FORTRAN_GEMM_PARAMS(T, INT)) {             \
    if (FORTRAN_GEMM_LANE(T, type)) return;                                                    \
    gemm_fortran(#name, srname, type, math, *transa, *transb, *m, *n, *k, *alpha, a, *lda, b,  \
                 *ldb, *beta, c, *ldc);                                                        \
  }                                                                                            \
  G590_API void name(FORTRAN_GEMM_PARAMS(T, INT), size_t transa_len, size_t transb_len) {      \
    (void)transa_len, (void)transb_len;                                                        \
    void *fn_;                                                                                 \
    if (!FORTRAN_GEMM_QUICK(type, INT, fn_)) fn_ = (void *)name##_full;                        \
    ((FORTRAN_GEMM_FN(T, INT))fn_)(FORTRAN_GEMM_ARGS);                                         \
  }

#define FORTRAN_SYRK_PARAMS(T, INT)                                                            \
  const char *uplo, const char *trans, const INT *n, const INT *k, const T *alpha,             \
      const T *a, const INT *lda, const T *beta, T *c, const INT *ldc
#define FORTRAN_SYRK_ARGS uplo, trans, n, k, alpha, a, lda, beta, c, ldc
#define FORTRAN_SYRK_LANE(T, type)                                                             \
  ({                                                                                           \
    int up_ = g590_lane_uplo(*uplo), t_ = g590_lane_trans(*trans);                             \
    up_ && t_ &&                                                                               \
        G590_LANE_SYRK(T, type == G590_F64, false, G590_CBLAS_COL, up_, t_, *n, *k, *alpha, a, \
                       *lda, *beta, c, *ldc);                                                  \
  })
#define FORTRAN_SYRK_QUICK(type, INT, fn_)                                                     \
  ({                                                                                           \
    int t_ = g590_lane_trans(*trans);                                                          \
    g590_lane_warm() && g590_lane_uplo(*uplo) && t_ &&                                         \
        g590_lane_syrk_fits(false, t_ != G590_CBLAS_N, *n, *k, *alpha, *lda, *ldc, true) &&    \
        (fn_ = g590_host_lane_fortran(G590_SYRK, type == G590_F64, sizeof(INT) == 8)) &&        \
        (g590_api_count_listed(GEMM590_PATH_HOST, g590_lane_syrk_mnk(*n, *k)), true);         \
  })
#define FORTRAN_SYRK(name, srname, T, type, INT)                                               \
  static __attribute__((noinline)) void name##_full(FORTRAN_SYRK_PARAMS(T, INT)) {             \
    if (FORTRAN_SYRK_LANE(T, type)) return;                                                    \
    syrk_fortran(#name, srname, type, *uplo, *trans, *n, *k, *alpha, a, *lda, *beta, c, *ldc); \
  }                                                                                            \
  G590_API void name(FORTRAN_SYRK_PARAMS(T, INT), size_t uplo_len, size_t trans_len) {         \
    (void)uplo_len, (void)trans_len;                                                           \
    void *fn_;                                                                                 \
    if (!FORTRAN_SYRK_QUICK(type, INT, fn_)) fn_ = (void *)name##_full;                        \
    ((FORTRAN_SYRK_FN(T, INT))fn_)(FORTRAN_SYRK_ARGS);                                         \
  }

#define SGEMM_ARGS "SGEMM ", float, G590_F32, g590_api_math()
/* Expands the grouped arguments (SGEMM_ARGS, ENUMS) before FORTRAN_GEMM_ counts them. */
#define FORTRAN_GEMM(...) FORTRAN_GEMM_(__VA_ARGS__)
FORTRAN_GEMM(sgemm_, SGEMM_ARGS, int)
FORTRAN_GEMM(scipy_sgemm_, SGEMM_ARGS, int)
FORTRAN_GEMM(sgemm_64_, SGEMM_ARGS, int64_t)
FORTRAN_GEMM(scipy_sgemm_64_, SGEMM_ARGS, int64_t)

#define DGEMM_ARGS "DGEMM ", double, G590_F64, GEMM590_MATH_FP32
FORTRAN_GEMM(dgemm_, DGEMM_ARGS, int)
FORTRAN_GEMM(scipy_dgemm_, DGEMM_ARGS, int)
FORTRAN_GEMM(dgemm_64_, DGEMM_ARGS, int64_t)
FORTRAN_GEMM(scipy_dgemm_64_, DGEMM_ARGS, int64_t)

FORTRAN_SYRK(ssyrk_, "SSYRK ", float, G590_F32, int)
FORTRAN_SYRK(scipy_ssyrk_, "SSYRK ", float, G590_F32, int)
FORTRAN_SYRK(ssyrk_64_, "SSYRK ", float, G590_F32, int64_t)
FORTRAN_SYRK(scipy_ssyrk_64_, "SSYRK ", float, G590_F32, int64_t)
FORTRAN_SYRK(dsyrk_, "DSYRK ", double, G590_F64, int)
FORTRAN_SYRK(scipy_dsyrk_, "DSYRK ", double, G590_F64, int)
FORTRAN_SYRK(dsyrk_64_, "DSYRK ", double, G590_F64, int64_t)
FORTRAN_SYRK(scipy_dsyrk_64_, "DSYRK ", double, G590_F64, int64_t)
