/* CBLAS entry points: cblas_sgemm, cblas_dgemm, cblas_ssyrk, cblas_dsyrk,
 * each with the spellings pip wheels of numpy/scipy import from their
 * bundled OpenBLAS: scipy_cblas_X (scipy-openblas32), cblas_X64_ and
 * scipy_cblas_X64_ (64-bit integers; numpy 2.x uses the latter). */
#include "gemm590.h"
#include "g590.h"
#include "lane.h"

#define G590_API __attribute__((visibility("default")))

/* Not inlined into the entry points: its job would give each of them a
 * large frame, which the host lane's calls would pay for. */
__attribute__((noinline)) void g590_api_cblas_gemm(const char *entry, const char *rout,
                                                   g590_type type, int math, int layout,
                                                   int transa, int transb, int64_t m, int64_t n,
                                                   int64_t k, double alpha, const void *a,
                                                   int64_t lda, const void *b, int64_t ldb,
                                                   double beta, void *c, int64_t ldc) {
  g590_job job = {.op = G590_GEMM, .type = type, .fp16_ok = math == GEMM590_MATH_FP16, .tf32_ok = math == GEMM590_MATH_TF32, .entry = entry,
                  .alpha = alpha, .beta = beta, .c = c};
  bool swapped;
  int info =
      g590_api_cblas_job(&job, layout, transa, transb, m, n, k, a, lda, b, ldb, ldc, &swapped);
  if (info) {
    g590_log_invalid(entry, g590_api_cblas_caller_param(info, swapped));
    g590_api_report_cblas(info, rout, swapped);
    return;
  }
  g590_run(&job);
}

static __attribute__((noinline)) void cblas_syrk(const char *entry, const char *rout,
                                                  g590_type type, int layout, int uplo,
                                                  int trans, int64_t n, int64_t k, double alpha,
                                                  const void *a, int64_t lda, double beta,
                                                  void *c, int64_t ldc) {
  /* float32 syrk follows the thread's math mode as sgemm does. */
  g590_job job = {.op = G590_SYRK, .type = type,
                  .fp16_ok = type == G590_F32 && g590_api_math() == GEMM590_MATH_FP16, .entry = entry,
                  .alpha = alpha, .beta = beta, .c = c};
  int info = g590_api_cblas_syrk_job(&job, layout, uplo, trans, n, k, a, lda, ldc);
  if (info) {
    /* No parameter swap for row-major syrk (netlib's cblas_xerbla). */
    g590_log_invalid(entry, info);
    g590_api_report_cblas(info, rout, false);
    return;
  }
  g590_run(&job);
}

/* A CBLAS gemm's parameters, and its lane (quick or not) over them. */
#define CBLAS_GEMM_PARAMS(T, ORDER, TRANS, INT)                                                  \
  const ORDER layout, const TRANS transa, const TRANS transb, const INT m, const INT n,         \
      const INT k, const T alpha, const T *a, const INT lda, const T *b, const INT ldb,        \
      const T beta, T *c, const INT ldc
#define CBLAS_GEMM_LANE(T, type, quick)                                                          \
  (g590_lane_cblas_args((int)layout, (int)transa, (int)transb) &&                               \
   G590_LANE_GEMM(T, type == G590_F64, quick, (int)layout, (int)transa, (int)transb, m, n, k,   \
                  alpha, a, lda, b, ldb, beta, c, ldc))

/* One spelling of a CBLAS gemm: ORDER and TRANS are the enum types for the
 * standard name (declared in gemm590.h), int for the wheels' names; INT is
 * the integer type of the sizes.  The entry point runs the quick lane
 * (lib/api/lane.h) and otherwise its full twin, name_full, with the same
 * arguments: both calls are jumps. */
#define CBLAS_GEMM_(name, rout, T, type, math, ORDER, TRANS, INT)                                 \
  static __attribute__((noinline)) void name##_full(CBLAS_GEMM_PARAMS(T, ORDER, TRANS, INT)) {   \
    if (CBLAS_GEMM_LANE(T, type, false)) return;                                                 \
    g590_api_cblas_gemm(#name, rout, type, math, (int)layout, (int)transa, (int)transb, m, n, k, \
                        alpha, a, lda, b, ldb, beta, c, ldc);                                    \
  }                                                                                              \
  G590_API void name(CBLAS_GEMM_PARAMS(T, ORDER, TRANS, INT)) {                                  \
    if (CBLAS_GEMM_LANE(T, type, true)) return;                                                  \
    name##_full(layout, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);           \
  }

/* The same for a syrk (UPLO: enum CBLAS_UPLO or int); syrk has one
 * transpose, checked as both of a gemm's. */
#define CBLAS_SYRK_PARAMS(T, ORDER, UPLO, TRANS, INT)                                            \
  const ORDER layout, const UPLO uplo, const TRANS trans, const INT n, const INT k,            \
      const T alpha, const T *a, const INT lda, const T beta, T *c, const INT ldc
#define CBLAS_SYRK_LANE(T, type, quick)                                                          \
  (g590_lane_cblas_args((int)layout, (int)trans, (int)trans) &&                                 \
   g590_lane_cblas_uplo((int)uplo) &&                                                           \
   G590_LANE_SYRK(T, type == G590_F64, quick, (int)layout, (int)uplo, (int)trans, n, k, alpha,  \
                  a, lda, beta, c, ldc))
#define CBLAS_SYRK_(name, rout, T, type, ORDER, UPLO, TRANS, INT)                                 \
  static __attribute__((noinline)) void name##_full(                                             \
      CBLAS_SYRK_PARAMS(T, ORDER, UPLO, TRANS, INT)) {                                           \
    if (CBLAS_SYRK_LANE(T, type, false)) return;                                                 \
    cblas_syrk(#name, rout, type, (int)layout, (int)uplo, (int)trans, n, k, alpha, a, lda, beta, \
               c, ldc);                                                                          \
  }                                                                                              \
  G590_API void name(CBLAS_SYRK_PARAMS(T, ORDER, UPLO, TRANS, INT)) {                            \
    if (CBLAS_SYRK_LANE(T, type, true)) return;                                                  \
    name##_full(layout, uplo, trans, n, k, alpha, a, lda, beta, c, ldc);                         \
  }

#define ENUMS enum CBLAS_ORDER, enum CBLAS_TRANSPOSE
#define SGEMM_ARGS "cblas_sgemm", float, G590_F32, g590_api_math()
/* Expands the grouped arguments (SGEMM_ARGS, ENUMS) before CBLAS_GEMM_ counts them. */
#define CBLAS_GEMM(...) CBLAS_GEMM_(__VA_ARGS__)
CBLAS_GEMM(cblas_sgemm, SGEMM_ARGS, ENUMS, int)
CBLAS_GEMM(scipy_cblas_sgemm, SGEMM_ARGS, int, int, int)
CBLAS_GEMM(cblas_sgemm64_, SGEMM_ARGS, int, int, int64_t)
CBLAS_GEMM(scipy_cblas_sgemm64_, SGEMM_ARGS, int, int, int64_t)

#define DGEMM_ARGS "cblas_dgemm", double, G590_F64, GEMM590_MATH_FP32
CBLAS_GEMM(cblas_dgemm, DGEMM_ARGS, ENUMS, int)
CBLAS_GEMM(scipy_cblas_dgemm, DGEMM_ARGS, int, int, int)
CBLAS_GEMM(cblas_dgemm64_, DGEMM_ARGS, int, int, int64_t)
CBLAS_GEMM(scipy_cblas_dgemm64_, DGEMM_ARGS, int, int, int64_t)

#define SYRK_ENUMS enum CBLAS_ORDER, enum CBLAS_UPLO, enum CBLAS_TRANSPOSE
/* Expands the grouped arguments (SGEMM_ARGS, ENUMS) before CBLAS_SYRK_ counts them. */
#define CBLAS_SYRK(...) CBLAS_SYRK_(__VA_ARGS__)
CBLAS_SYRK(cblas_ssyrk, "cblas_ssyrk", float, G590_F32, SYRK_ENUMS, int)
CBLAS_SYRK(scipy_cblas_ssyrk, "cblas_ssyrk", float, G590_F32, int, int, int, int)
CBLAS_SYRK(cblas_ssyrk64_, "cblas_ssyrk", float, G590_F32, int, int, int, int64_t)
CBLAS_SYRK(scipy_cblas_ssyrk64_, "cblas_ssyrk", float, G590_F32, int, int, int, int64_t)
CBLAS_SYRK(cblas_dsyrk, "cblas_dsyrk", double, G590_F64, SYRK_ENUMS, int)
CBLAS_SYRK(scipy_cblas_dsyrk, "cblas_dsyrk", double, G590_F64, int, int, int, int)
CBLAS_SYRK(cblas_dsyrk64_, "cblas_dsyrk", double, G590_F64, int, int, int, int64_t)
CBLAS_SYRK(scipy_cblas_dsyrk64_, "cblas_dsyrk", double, G590_F64, int, int, int, int64_t)
