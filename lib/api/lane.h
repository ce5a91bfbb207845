/* The host lane: most calls in numpy loops and LAPACK panels are tiny, and
 * for them the cost of a call is the product.  A valid float32 or float64
 * gemm that the dispatcher would send straight to the host (M*N*K below
 * g590_lane_mnk, lib/core/dispatch.c) goes from its entry point to the host
 * BLAS's CBLAS routine with the caller's own arguments: no job is built,
 * nothing is formatted, and the arguments pass through in registers (which
 * is why this is inline in each entry point).  Every other call (invalid,
 * a quick return, alpha = 0, a large or huge-strided product, verbose on,
 * a host BLAS without CBLAS routines, a call from inside the host BLAS)
 * takes the dispatcher's way, which decides the same for it. */
#ifndef G590_LANE_H
#define G590_LANE_H

#include <limits.h>

#include "gemm590.h"
#include "g590.h"

enum { G590_LANE_ROW = 101, G590_LANE_COL = 102, G590_LANE_N = 111, G590_LANE_T = 112 };

static inline int64_t g590_lane_max3(int64_t x, int64_t y, int64_t z) {
  int64_t m = x > y ? x : y;
  return m > z ? m : z;
}

/* True when a call with these sizes may take the lane.  row: the caller's
 * layout is row-major; ta, tb: its operands are transposed. */
static inline bool g590_lane_fits(bool row, bool ta, bool tb, int64_t m, int64_t n, int64_t k,
                                  double alpha, int64_t lda, int64_t ldb, int64_t ldc) {
  /* Empty products and alpha = 0 are the dispatcher's (quick returns,
   * C = beta * C without reading A and B); negative sizes are errors. */
  if (m <= 0 || n <= 0 || k <= 0 || alpha == 0) return false;
  /* The leading dimensions the reference requires: a row-major operand
   * stored untransposed has its columns as rows. */
  if (lda < (ta != row ? k : m) || ldb < (tb != row ? n : k) || ldc < (row ? n : m))
    return false;
  /* Every offset within 32 bits: the host guard's condition for leaving a
   * call alone (lib/host/guard.c); then every size fits the host's int. */
  int64_t reach;
  if (__builtin_mul_overflow(g590_lane_max3(lda, ldb, ldc), g590_lane_max3(m, n, k), &reach) ||
      reach > INT_MAX)
    return false;
  return (double)m * (double)n * (double)k < g590_lane_mnk();
}

/* The lane for a CBLAS or Fortran gemm entry of element type T: evaluates
 * to true when the host computed the call (counted), false when nothing
 * was done.  LAYOUT, TA, TB are CBLAS enum values (the host CBLAS takes
 * ConjTrans as Trans for real data). */
#define G590_LANE_GEMM(T, f64, LAYOUT, TA, TB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)     \
  ({                                                                                           \
    bool served_ = false, int64_;                                                              \
    void *fn_;                                                                                 \
    if (g590_lane_fits((LAYOUT) == G590_LANE_ROW, (TA) != G590_LANE_N, (TB) != G590_LANE_N, m,  \
                       n, k, alpha, lda, ldb, ldc) &&                                          \
        (fn_ = g590_host_lane_routine(f64, &int64_))) {                                        \
      /* A host CBLAS that calls our sgemm_ back is served by the dispatcher                   \
       * (g590_host_reentry). */                                                               \
      g590_host_in_cblas = true;                                                               \
      if (int64_)                                                                              \
        ((CBLAS_GEMM_FN(T, int64_t))fn_)(LAYOUT, TA, TB, m, n, k, alpha, a, lda, b, ldb, beta,  \
                                         c, ldc);                                              \
      else                                                                                     \
        ((CBLAS_GEMM_FN(T, int))fn_)(LAYOUT, TA, TB, (int)(m), (int)(n), (int)(k), alpha, a,    \
                                     (int)(lda), b, (int)(ldb), beta, c, (int)(ldc));          \
      g590_host_in_cblas = false;                                                              \
      g590_api_count_mnk(GEMM590_PATH_HOST, (uint64_t)(m) * (uint64_t)(n) * (uint64_t)(k));     \
      served_ = true;                                                                          \
    }                                                                                          \
    served_;                                                                                   \
  })

/* A Fortran transpose letter as a CBLAS enum value, 0 when invalid. */
static inline int g590_lane_trans(char t) {
  switch (t) {
  case 'N': case 'n': return G590_LANE_N;
  case 'T': case 't': case 'C': case 'c': return G590_LANE_T;
  default: return 0;
  }
}

#endif
