/* The host lane: most calls in numpy loops and LAPACK panels are tiny, and
 * for them the cost of a call is the product.  A valid float32 or float64
 * gemm or syrk that the dispatcher would send straight to the host (M*N*K
 * below g590_lane_mnk, lib/core/dispatch.c) goes from its entry point to
 * the host BLAS's CBLAS routine with the caller's own arguments: no job is
 * built, nothing is formatted, and the arguments pass through in registers
 * (which is why this is inline in each entry point).  Every other call
 * (invalid, a quick return, alpha = 0, a large or huge-strided product,
 * verbose on, a host BLAS without CBLAS routines, a call from inside the
 * host BLAS) takes the dispatcher's way, which decides the same for it. */
#ifndef G590_LANE_H
#define G590_LANE_H

#include <limits.h>

#include "gemm590.h"
#include "g590.h"

static G590_INLINE int64_t g590_lane_max3(int64_t x, int64_t y, int64_t z) {
  int64_t m = x > y ? x : y;
  return m > z ? m : z;
}

/* The part of the test every routine shares: non-empty, alpha != 0, every
 * offset within 32 bits, M*N*K below the bound.  Empty products and
 * alpha = 0 are the dispatcher's (quick returns, C = beta * C without
 * reading A and B); negative sizes are errors.  Offsets within 32 bits
 * are the host guard's condition for leaving a call alone
 * (lib/host/guard.c), and then every size fits the host's int. */
static G590_INLINE bool g590_lane_small(int64_t m, int64_t n, int64_t k, double alpha,
                                        int64_t max_ld) {
  int64_t reach;
  if (m <= 0 || n <= 0 || k <= 0 || alpha == 0 ||
      __builtin_mul_overflow(max_ld, g590_lane_max3(m, n, k), &reach) || reach > INT_MAX)
    return false;
  return (double)m * (double)n * (double)k < g590_lane_mnk();
}

/* The quick lane's sizes (see G590_LANE_GEMM): each of M, N, K in
 * [1, G590_QUICK_DIM] and each leading dimension at most G590_QUICK_LD.
 * Then every offset is within 32 bits (G590_QUICK_DIM * G590_QUICK_LD <=
 * INT_MAX), M*N*K is exact, and each test is one unsigned compare (the
 * CBLAS entry's own instructions per call: 154 with the full lane's test,
 * 143 with this one; bench/NOTES.md, per-call cost).  Products outside
 * those sizes take the full lane, which decides the same for them by the
 * longer test. */
enum { G590_QUICK_DIM = 4096, G590_QUICK_LD = INT_MAX / G590_QUICK_DIM };
static G590_INLINE bool g590_lane_quick_dims(int64_t m, int64_t n, int64_t k, double alpha) {
  return (uint64_t)m - 1 < G590_QUICK_DIM && (uint64_t)n - 1 < G590_QUICK_DIM &&
         (uint64_t)k - 1 < G590_QUICK_DIM && alpha != 0 &&
         (double)(m * n * k) < g590_lane_bound;
}
static G590_INLINE bool g590_lane_quick_ld(int64_t ld, int64_t need) {
  return (uint64_t)ld <= G590_QUICK_LD && ld >= need;
}

/* A syrk's multiply-adds as the dispatcher counts them, n (n + 1) k / 2. */
static G590_INLINE uint64_t g590_lane_syrk_mnk(int64_t n, int64_t k) {
  return (uint64_t)n * (uint64_t)(n + 1) * (uint64_t)k / 2;
}

/* The quick lane (see G590_LANE_GEMM) is open once the bound is read and
 * the calling thread's counters are listed: both are first-call work that
 * needs calls of its own. */
static G590_INLINE bool g590_lane_warm(void) {
  return atomic_load_explicit(&g590_lane_ready, memory_order_acquire) && g590_api_mine.listed;
}

/* A gemm may take the lane.  row: the caller's layout is row-major; ta,
 * tb: its operands are transposed.  The leading dimensions are the ones the
 * reference requires: a row-major operand stored untransposed has its
 * columns as rows. */
static G590_INLINE bool g590_lane_gemm_fits(bool row, bool ta, bool tb, int64_t m, int64_t n,
                                            int64_t k, double alpha, int64_t lda, int64_t ldb,
                                            int64_t ldc, bool quick) {
  if (quick)
    return g590_lane_quick_dims(m, n, k, alpha) && g590_lane_quick_ld(lda, ta != row ? k : m) &&
           g590_lane_quick_ld(ldb, tb != row ? n : k) && g590_lane_quick_ld(ldc, row ? n : m);
  if (lda < (ta != row ? k : m) || ldb < (tb != row ? n : k) || ldc < (row ? n : m))
    return false;
  return g590_lane_small(m, n, k, alpha, g590_lane_max3(lda, ldb, ldc));
}

/* A syrk of the n x k op(A) may take the lane (as above). */
static G590_INLINE bool g590_lane_syrk_fits(bool row, bool t, int64_t n, int64_t k,
                                            double alpha, int64_t lda, int64_t ldc, bool quick) {
  if (quick)
    return g590_lane_quick_dims(n, n, k, alpha) && g590_lane_quick_ld(lda, t != row ? k : n) &&
           g590_lane_quick_ld(ldc, n);
  if (lda < (t != row ? k : n) || ldc < n) return false;
  return g590_lane_small(n, n, k, alpha, lda > ldc ? lda : ldc);
}

/* Counts mnk multiply-adds and calls the host routine fn_ (CBLAS_<OP>_FN
 * of element type T) with the arguments after mnk, converted to the host's
 * integer type by the cast prototype.
 * A host CBLAS that calls our sgemm_ back is served by the dispatcher
 * (g590_host_reentry): g590_host_in_cblas says so while it runs.  One
 * that never does (OpenBLAS) is called last, with nothing to undo after
 * it, so that a CBLAS entry point's call compiles to a jump: in a scratch
 * forwarder, a call with a thread-local flag around OpenBLAS's routine cost
 * 14-19 ns at n = 16, a jump 0-7 (bench/NOTES.md, per-call cost).  The
 * quick lane is never taken for a host that calls back. */
#define G590_LANE_CALL(FN, T, quick, int64_, fn_, mnk, ...)                                    \
  do {                                                                                         \
    if (quick) g590_api_count_listed(GEMM590_PATH_HOST, mnk);                                  \
    else g590_api_count_mnk(GEMM590_PATH_HOST, mnk);                                           \
    if ((quick) || !g590_host_cblas_routines.calls_back) {                                     \
      if (int64_) ((FN(T, int64_t))fn_)(__VA_ARGS__);                                          \
      else ((FN(T, int))fn_)(__VA_ARGS__);                                                     \
    } else {                                                                                   \
      g590_host_in_cblas = true;                                                               \
      if (int64_) ((FN(T, int64_t))fn_)(__VA_ARGS__);                                          \
      else ((FN(T, int))fn_)(__VA_ARGS__);                                                     \
      g590_host_in_cblas = false;                                                              \
    }                                                                                          \
  } while (0)

/* The lane's routine for this call, or NULL (as g590_host_lane_routine);
 * the quick lane also declines a host that calls back and one whose
 * integers are not as wide as the entry's (wide): then the arguments pass
 * on as they came, with nothing to convert. */
#define G590_LANE_ROUTINE(op, f64, quick, wide, int64p)                                        \
  (!(quick) ? g590_host_lane_routine(op, f64, int64p)                                          \
            : g590_host_lane_routine_quick(op, f64, wide, int64p))

/* The lane for a CBLAS or Fortran gemm entry of element type T: evaluates
 * to true when the host computed the call (counted), false when nothing
 * was done.  LAYOUT, TA, TB are valid CBLAS enum values (the host CBLAS
 * takes ConjTrans as Trans for real data); the sizes are converted by the
 * call (all fit an int when the lane is taken).
 * quick (a constant): the lane in the entry point itself, which calls
 * nothing but the host routine, so that the entry needs no stack frame
 * and reaches the host routine by a jump.  It declines what needs
 * calls of its own (the first call of a process or a thread, a host that
 * calls back), and the entry then calls its full twin: the whole lane,
 * then the dispatcher.  With the frame gone, 9-22 ns added per call at
 * N = 16 where the entry with a frame added 27-43 (bench/NOTES.md,
 * per-call cost without a frame). */
#define G590_LANE_GEMM(T, f64, quick, LAYOUT, TA, TB, m, n, k, alpha, a, lda, b, ldb, beta, c,   \
                       ldc)                                                                    \
  ({                                                                                           \
    bool served_ = false, int64_;                                                              \
    void *fn_;                                                                                 \
    /* The quick lane reads the bound only once it is warm (set). */                          \
    if ((!(quick) || g590_lane_warm()) &&                                                      \
        g590_lane_gemm_fits((LAYOUT) == G590_CBLAS_ROW, (TA) != G590_CBLAS_N,                  \
                            (TB) != G590_CBLAS_N, m, n, k, alpha, lda, ldb, ldc, quick) &&     \
        (fn_ = G590_LANE_ROUTINE(G590_GEMM, f64, quick, sizeof(m) == 8, &int64_))) {           \
      G590_LANE_CALL(CBLAS_GEMM_FN, T, quick, int64_, fn_,                                     \
                     (uint64_t)(m) * (uint64_t)(n) * (uint64_t)(k), LAYOUT, TA, TB, m, n, k,   \
                     alpha, a, lda, b, ldb, beta, c, ldc);                                     \
      served_ = true;                                                                          \
    }                                                                                          \
    served_;                                                                                   \
  })

/* The same for a syrk entry (UPLO a valid CBLAS enum value); counted as
 * the dispatcher counts a syrk, n (n + 1) k / 2 multiply-adds. */
#define G590_LANE_SYRK(T, f64, quick, LAYOUT, UPLO, TRANS, n, k, alpha, a, lda, beta, c, ldc)  \
  ({                                                                                           \
    bool served_ = false, int64_;                                                              \
    void *fn_;                                                                                 \
    if ((!(quick) || g590_lane_warm()) &&                                                      \
        g590_lane_syrk_fits((LAYOUT) == G590_CBLAS_ROW, (TRANS) != G590_CBLAS_N, n, k, alpha,  \
                            lda, ldc, quick) &&                                                \
        (fn_ = G590_LANE_ROUTINE(G590_SYRK, f64, quick, sizeof(n) == 8, &int64_))) {           \
      G590_LANE_CALL(CBLAS_SYRK_FN, T, quick, int64_, fn_,                                     \
                     g590_lane_syrk_mnk(n, k), LAYOUT, UPLO,                                    \
                     TRANS, n, k, alpha, a, lda, beta, c, ldc);                                \
      served_ = true;                                                                          \
    }                                                                                          \
    served_;                                                                                   \
  })

/* Valid CBLAS layout and transposes (and uplo): the lane's first test. */
static G590_INLINE bool g590_lane_cblas_args(int layout, int transa, int transb) {
  return (layout == G590_CBLAS_ROW || layout == G590_CBLAS_COL) && transa >= G590_CBLAS_N &&
         transa <= G590_CBLAS_C && transb >= G590_CBLAS_N && transb <= G590_CBLAS_C;
}
static G590_INLINE bool g590_lane_cblas_uplo(int uplo) {
  return uplo == G590_CBLAS_UPPER || uplo == G590_CBLAS_LOWER;
}

/* A Fortran transpose letter as a CBLAS enum value, 0 when invalid. */
static G590_INLINE int g590_lane_trans(char t) {
  switch (t) {
  case 'N': case 'n': return G590_CBLAS_N;
  case 'T': case 't': case 'C': case 'c': return G590_CBLAS_T;
  default: return 0;
  }
}

/* A Fortran uplo letter as a CBLAS enum value, 0 when invalid. */
static G590_INLINE int g590_lane_uplo(char u) {
  return u == 'U' || u == 'u' ? G590_CBLAS_UPPER : u == 'L' || u == 'l' ? G590_CBLAS_LOWER : 0;
}

#endif
