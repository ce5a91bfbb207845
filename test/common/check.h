/* Shared helpers of the libgemm590 C tests (every folder under test/).
 *
 * A test describes one call as a check_gemm (an SGEMM spelling, or
 * gemm590_hgemm with binary16 operands), allocates its operands as
 * check_matrix (guard zones, padding and a snapshot to prove that nothing
 * outside the M x N block of C, and nothing of A and B, changed), computes
 * a float64 reference *before* the call, runs the call through its entry
 * point, and compares with a bound that scales with K and the magnitudes
 * of the terms.  check_case does all of that for one call.  Nothing here
 * depends on which path (host or device) computes the call.
 *
 * binary16 (gemm590_hgemm, entry CHECK_HGEMM): values are built and read
 * here from their bit fields (check_half_value, check_half_from_parts),
 * never through libgemm590's own conversion, so a conversion bug cannot
 * hide in the reference. */
#ifndef CHECK_H
#define CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- random numbers: reproducible from a seed, no global state ---- */

typedef struct check_rng {
  uint64_t state;
} check_rng;

void check_rng_seed(check_rng *r, uint64_t seed);
uint64_t check_rng_next(check_rng *r);
/* Uniform integer in [lo, hi] (inclusive). */
int64_t check_rng_range(check_rng *r, int64_t lo, int64_t hi);
/* Uniform in [-1, 1], never zero: an all-zero operand could hide a
 * wrong index or a missing term. */
float check_rng_unit(check_rng *r);

/* ---- binary16 values from bits ---- */

/* The exact value of a binary16 pattern (NaN for NaN, +-Inf for Inf). */
double check_half_value(uint16_t h);
/* sign 0/1, biased exponent 0..31, mantissa 0..1023. */
uint16_t check_half_from_parts(int sign, int exponent, int mantissa);
/* A random binary16 in +-[2^-4, 2): nonzero, with every mantissa bit live. */
uint16_t check_half_random(check_rng *r);

/* ---- entry points ---- */

/* Every exported SGEMM spelling, then gemm590_hgemm.  The 64-bit and
 * scipy_ ones are not in the public header (pip wheels import them by
 * name); they are looked up with dlsym so that their prototypes cannot
 * clash with a future header. */
typedef enum check_entry {
  CHECK_CBLAS,           /* cblas_sgemm */
  CHECK_CBLAS64,         /* cblas_sgemm64_ */
  CHECK_SCIPY_CBLAS,     /* scipy_cblas_sgemm */
  CHECK_SCIPY_CBLAS64,   /* scipy_cblas_sgemm64_ */
  CHECK_FORTRAN,         /* sgemm_ */
  CHECK_FORTRAN64,       /* sgemm_64_ */
  CHECK_SCIPY_FORTRAN,   /* scipy_sgemm_ */
  CHECK_SCIPY_FORTRAN64, /* scipy_sgemm_64_ */
  CHECK_ENTRY_COUNT,     /* the number of SGEMM spellings above */
  /* gemm590_hgemm (CBLAS-style arguments): A, B and C are binary16. */
  CHECK_HGEMM = CHECK_ENTRY_COUNT
} check_entry;

const char *check_entry_name(check_entry e);
bool check_entry_is_fortran(check_entry e);
/* Whether the entry takes 64-bit integers (sizes past INT_MAX). */
bool check_entry_is_64(check_entry e);

/* Raw calls of the SGEMM spellings, arguments passed exactly as given
 * (error tests pass invalid values).  Sizes are narrowed to int for the
 * 32-bit entries, so a test must only pass values that fit there. */
void check_call_cblas(check_entry e, int layout, int transa, int transb, int64_t m, int64_t n,
                      int64_t k, float alpha, const float *a, int64_t lda, const float *b,
                      int64_t ldb, float beta, float *c, int64_t ldc);
void check_call_fortran(check_entry e, char transa, char transb, int64_t m, int64_t n, int64_t k,
                        float alpha, const float *a, int64_t lda, const float *b, int64_t ldb,
                        float beta, float *c, int64_t ldc);

/* A whole decimal (or 0x hex) number of at least `min`, for command-line
 * options: true and *out set when `s` is one. */
bool check_parse_number(const char *s, long long min, long long *out);

/* ---- one call ---- */

/* C = alpha * op(A) * op(B) + beta * C with op(A) M x K, op(B) K x N. */
typedef struct check_gemm {
  check_entry entry;
  char layout;         /* 'C' column-major or 'R' row-major; Fortran entries need 'C' */
  char transa, transb; /* 'N', 'T' or 'C'; Fortran entries also get lower case */
  int64_t m, n, k;
  float alpha, beta;
  /* The operands: float for the SGEMM spellings, a16, b16 and c16 (bit
   * patterns) for CHECK_HGEMM. */
  const float *a;
  const uint16_t *a16;
  int64_t lda;
  const float *b;
  const uint16_t *b16;
  int64_t ldb;
  float *c;
  uint16_t *c16;
  int64_t ldc;
} check_gemm;

/* Runs the call through its entry point. */
void check_gemm_run(const check_gemm *g);

/* Storage shape of operand 'A', 'B' or 'C' of g, as a column-major view:
 * `cols` stripes of `rows` contiguous elements, stripe j at j * ld.  A
 * row-major M x K matrix is K rows by M cols here.  The smallest valid
 * leading dimension is max(1, rows). */
void check_gemm_storage(const check_gemm *g, char operand, int64_t *rows, int64_t *cols);

/* "cblas_sgemm layout=R transa=N ... ldc=9": for failure messages. */
void check_gemm_describe(const check_gemm *g, char *buf, size_t len);

/* Whether the library counts g under a path (gemm590_get_counters): not
 * a quick return (M, N > 0), alpha != 0 and K > 0. */
bool check_counted(const check_gemm *g);

/* Calls run on each path since the last gemm590_reset_counters. */
void check_counters(uint64_t *host, uint64_t *device);

/* ---- operands with padding and guards ---- */

/* A matrix as stored (see check_gemm_storage), of float or of binary16,
 * with ld - rows padding elements after each stripe and CHECK_GUARD
 * elements before and after the ld * cols elements.  Padding and guards
 * hold the canary of the element type. */
typedef struct check_matrix {
  int64_t rows, cols, ld;
  float *data;      /* element (0, 0) of a float matrix: what the call gets; else NULL */
  uint16_t *data16; /* element (0, 0) of a binary16 matrix; else NULL */
  size_t size;      /* bytes per element: 4 or 2 */
  void *base;       /* the allocation: guard, ld * cols elements, guard */
  size_t len;       /* elements in base */
  void *saved;      /* copy of base from check_matrix_snapshot, or NULL */
} check_matrix;

enum { CHECK_GUARD = 16 };

/* A signalling NaN with a payload: arithmetic on it (quieting) changes
 * its bits, so a kernel that updates padding cannot rewrite the same
 * value, and one that uses it as an operand makes the result NaN. */
float check_canary(void);
/* The same for binary16 (quiet bit clear): padding, guards, and the
 * poison of C when beta = 0. */
#define CHECK_HALF_CANARY ((uint16_t)0x7d5a)

/* Return false (and leave m empty) when memory runs out. */
bool check_matrix_alloc(check_matrix *m, int64_t rows, int64_t cols, int64_t ld);
bool check_matrix_alloc_half(check_matrix *m, int64_t rows, int64_t cols, int64_t ld);

/* Gives g the smallest valid leading dimensions plus the given padding and
 * allocates its three operands as stored (float, or binary16 for
 * CHECK_HGEMM); exits when memory runs out.  The data pointers in g are
 * left for the caller. */
void check_gemm_operands(check_gemm *g, int64_t pad_a, int64_t pad_b, int64_t pad_c,
                         check_matrix *a, check_matrix *b, check_matrix *c);

/* Once A and B hold their values: fills C (poison when beta = 0, since C
 * must then be written without being read: quiet NaN for float,
 * CHECK_HALF_CANARY for binary16; random otherwise), snapshots all three
 * operands and points g at them. */
void check_gemm_arm(check_gemm *g, check_matrix *a, check_matrix *b, check_matrix *c,
                    check_rng *r);

void check_matrix_free(check_matrix *m);
/* Fills the rows x cols block (never the padding or guards) with
 * check_rng_unit, or check_half_random for binary16. */
void check_matrix_fill_random(check_matrix *m, check_rng *r);
/* Fills the rows x cols block of a float matrix. */
void check_matrix_fill(check_matrix *m, float value);
/* Remembers every element (block, padding, guards) for the checks below. */
void check_matrix_snapshot(check_matrix *m);
/* Number of elements whose bits differ from the snapshot: all of them, or
 * only those outside the rows x cols block (padding and guards).  The
 * first difference's offset from `data` goes to *first when not NULL. */
int64_t check_matrix_changed(const check_matrix *m, bool outside_only, int64_t *first);

/* ---- reference and comparison ---- */

/* The float64 reference of g, computed from its operands as they are now
 * (binary16 ones by value), so call it before running g.  ref and mag are
 * M x N, column-major, leading dimension M: ref = alpha*op(A)*op(B) +
 * beta*C and mag = |alpha| * sum_l |op(A)(i,l)| |op(B)(l,j)| + |beta * C(i,j)|.
 * As in the reference BLAS, C is not read when beta == 0 and A and B are
 * not read when alpha == 0 or K == 0 (so NaN poison there does not
 * propagate). */
void check_reference(const check_gemm *g, double *ref, double *mag);

/* The bound C must meet, elementwise, with eps = 2^-23 (CHECK_EPS_F32):
 *   CHECK_F32: |C - ref| <= 8 (K + 2) eps mag + 1e-30.  K + 2 counts the K
 *     products and the two final roundings (alpha * sum, + beta * c); the
 *     factor 8 leaves room for any summation order and FMA use while a
 *     wrong index or a missing term is still orders of magnitude out.
 *   CHECK_FP16_OPTIN: the contract of the binary16 opt-in
 *     (gemm590_set_math_mode: A and B may be rounded to binary16, products
 *     and sums float32), for operands of magnitude below 1:
 *       |C - ref| <= (2^-10 + 2^-20 + 8 (K + 2) eps) mag + K 2^-23 |alpha| + 1e-30
 *     Rounding to binary16 moves x by at most 2^-11 |x| (2^-10 + 2^-22 for
 *     a product), or by 2^-25 absolute below 2^-14 (binary16 subnormals;
 *     the K 2^-23 |alpha| term); mag >= |alpha| sum |a| |b|.  The last mag
 *     term is the float32 bound of the sums.  A float32 result meets it.
 *   CHECK_TF32_OPTIN: the TF32 opt-in (A and B rounded to TF32, 10-bit
 *     mantissas, float32's exponent range, to nearest; products and sums
 *     float32): |C - ref| <= (2^-10 + 2^-20 + 8 (K + 2) eps) mag + 1e-30,
 *     as for binary16 without its subnormal term.
 * gemm590_hgemm (CHECK_HGEMM, with CHECK_F32) computes x = alpha * op(A) *
 * op(B) + beta * C in float32 and rounds x once to binary16:
 *   |x - ref| <= 8 (K + 2) eps mag                 (the float32 bound)
 *   |round16(x) - x| <= 2^-11 |x| + 2^-25          (half an ulp; 2^-25 is
 *                                                   half the subnormal step)
 * so every element of C must satisfy
 *   |C - ref| <= 2^-11 |ref| + 8 (K + 2) eps mag (1 + 2^-11) + 2^-25.
 * Accumulating in binary16 instead (2^-11 per addition) or rounding the
 * products to binary16 breaks it by orders of magnitude for K > 2. */
typedef enum check_bound { CHECK_F32, CHECK_FP16_OPTIN, CHECK_TF32_OPTIN } check_bound;

/* Unit roundoff to pass for float32 arithmetic. */
#define CHECK_EPS_F32 1.1920928955078125e-07

/* Outcome of comparing C with the reference. */
typedef struct check_result {
  int64_t bad;          /* elements out of bound (NaN counts as out) */
  int64_t bad_i, bad_j; /* the first of them */
  double got, want, bound;
  double max_ratio;     /* max |c - ref| / bound; infinite for NaN */
} check_result;

/* Compares g's C (after the call) with the reference, elementwise. */
void check_compare(const check_gemm *g, const double *ref, const double *mag, check_bound bound,
                   check_result *out);

/* ---- one checked call: operands, reference, verdict ---- */

typedef struct check_case {
  check_gemm g;         /* the call, pointed at a, b and c by check_case_arm */
  check_matrix a, b, c;
  double *ref, *mag;    /* M x N (check_reference), from check_case_arm */
  check_result result;  /* from check_case_verify */
  char what[512];       /* from check_case_verify: every failed check, or "" */
} check_case;

/* Allocates g's operands (check_gemm_operands: leading dimensions the
 * smallest valid ones plus the padding, canaries in padding and guards)
 * and fills A and B with random values from rng.  Exits when memory runs
 * out.  The caller may change A and B before check_case_arm. */
void check_case_begin(check_case *t, check_gemm g, int64_t pad_a, int64_t pad_b, int64_t pad_c,
                      check_rng *rng);
/* check_gemm_arm (C filled or poisoned, snapshots), then the reference of
 * the operands as they are.  Then run t->g. */
void check_case_arm(check_case *t, check_rng *rng);
/* After the call: C within `bound` of the reference (t->result), nothing
 * of C outside its M x N block changed, A and B bit-identical.  True when
 * all held; otherwise t->what says which checks failed. */
bool check_case_verify(check_case *t, check_bound bound);
void check_case_end(check_case *t);

/* Prints "FAIL [tag] <the call>: what". */
void check_fail(const char *tag, const check_gemm *g, const char *what);

/* One whole checked call with fresh operands from rng: begin, arm,
 * run(&g) (check_gemm_run when run is NULL), verify, end.  Prints one
 * FAIL line (check_fail) when a check fails; raises *max_ratio, when not
 * NULL, to the worst |error| / bound seen.  Returns whether all passed. */
bool check_case_run(check_gemm g, int64_t pad_a, int64_t pad_b, int64_t pad_c,
                    check_bound bound, void (*run)(const check_gemm *), check_rng *rng,
                    const char *tag, double *max_ratio);

/* ---- sets of calls ---- */

/* The exhaustive sweep: for each of the `nbases` calls in `bases` (entry
 * and layout set), every transA x transB in {N, T, C}, alpha in {0, 1,
 * -1.5}, beta in {0, 1, 0.5}, and M, N, K each in sizes, in that order of
 * nesting (the last varies fastest): visit(ctx, g, pad), pad[0..2] the
 * padding of the leading dimensions of A, B and C: each 0 (tight) to 4
 * from pad_rng, drawn just before, or 0 when pad_rng is NULL. */
void check_sweep(const check_gemm *bases, int nbases, const int64_t *sizes, int nsizes,
                 check_rng *pad_rng, void (*visit)(void *ctx, check_gemm g, const int64_t *pad),
                 void *ctx);
/* The SGEMM sweep's bases: cblas_sgemm column- and row-major, sgemm_. */
extern const check_gemm check_sgemm_bases[3];

/* A random dimension: a third of the time small (1..min(small,
 * max_size)), a third next to a multiple of one of the nsteps `steps`
 * (one less, equal or one more, within 1..max_size), a third uniform in
 * 1..max_size. */
int64_t check_random_dim(check_rng *rng, int64_t max_size, int64_t small, const int64_t *steps,
                         int nsteps);

/* A random valid call: cblas_sgemm or sgemm_ (every SGEMM spelling when
 * all_entries), either layout for CBLAS ones, transposes N, T or C (lower
 * case for half of the Fortran calls when lower_case), M, N and K from
 * dim(rng, max_size), alpha in +-(0, 2] and beta 0, 1 or in +-(0, 2]. */
check_gemm check_random_call(check_rng *rng, int64_t max_size, bool all_entries,
                             bool lower_case, int64_t (*dim)(check_rng *, int64_t));

/* ---- stderr capture, time ---- */

/* Redirects stderr into a temporary file until check_capture_end, which
 * returns what was written (static buffer, at most 64 KiB) and writes it
 * to stderr as well, so a failing test's log has the library's lines. */
void check_capture_begin(void);
const char *check_capture_end(void);

/* A monotonic clock, in seconds. */
double check_seconds(void);

#endif
