/* Shared helpers of the libgemm590 correctness tests.
 *
 * A test describes one SGEMM call as a check_gemm, allocates its operands
 * as check_matrix (guard zones, padding and a snapshot to prove that
 * nothing outside the M x N block of C, and nothing of A and B, changed),
 * computes a float64 reference *before* the call, runs the call through
 * any exported entry point, and compares with a bound that scales with K
 * and the magnitudes of the terms.  Nothing here depends on which path
 * (host or device) computes the call, so device tests reuse it as is. */
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

/* ---- entry points ---- */

/* Every exported SGEMM spelling.  The 64-bit and scipy_ ones are not in
 * the public header (pip wheels import them by name); they are looked up
 * with dlsym so that their prototypes cannot clash with a future header. */
typedef enum check_entry {
  CHECK_CBLAS,           /* cblas_sgemm */
  CHECK_CBLAS64,         /* cblas_sgemm64_ */
  CHECK_SCIPY_CBLAS,     /* scipy_cblas_sgemm */
  CHECK_SCIPY_CBLAS64,   /* scipy_cblas_sgemm64_ */
  CHECK_FORTRAN,         /* sgemm_ */
  CHECK_FORTRAN64,       /* sgemm_64_ */
  CHECK_SCIPY_FORTRAN,   /* scipy_sgemm_ */
  CHECK_SCIPY_FORTRAN64, /* scipy_sgemm_64_ */
  CHECK_ENTRY_COUNT
} check_entry;

const char *check_entry_name(check_entry e);
bool check_entry_is_fortran(check_entry e);
/* Whether the entry takes 64-bit integers (sizes past INT_MAX). */
bool check_entry_is_64(check_entry e);

/* Raw calls, arguments passed exactly as given (error tests pass invalid
 * values).  Sizes are narrowed to int for the 32-bit entries, so a test
 * must only pass values that fit there. */
void check_call_cblas(check_entry e, int layout, int transa, int transb, int64_t m, int64_t n,
                      int64_t k, float alpha, const float *a, int64_t lda, const float *b,
                      int64_t ldb, float beta, float *c, int64_t ldc);
void check_call_fortran(check_entry e, char transa, char transb, int64_t m, int64_t n, int64_t k,
                        float alpha, const float *a, int64_t lda, const float *b, int64_t ldb,
                        float beta, float *c, int64_t ldc);

/* A whole decimal (or 0x hex) number of at least `min`, for command-line
 * options: true and *out set when `s` is one. */
bool check_parse_number(const char *s, long long min, long long *out);

/* ---- one SGEMM call ---- */

/* C = alpha * op(A) * op(B) + beta * C with op(A) M x K, op(B) K x N. */
typedef struct check_gemm {
  check_entry entry;
  char layout;         /* 'C' column-major or 'R' row-major; Fortran entries need 'C' */
  char transa, transb; /* 'N', 'T' or 'C'; Fortran entries also get lower case */
  int64_t m, n, k;
  float alpha, beta;
  const float *a;
  int64_t lda;
  const float *b;
  int64_t ldb;
  float *c;
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

/* ---- operands with padding and guards ---- */

/* A matrix as stored (see check_gemm_storage), with ld - rows padding
 * elements after each stripe and CHECK_GUARD elements before and after
 * the ld * cols elements.  Padding and guards hold CHECK_CANARY. */
typedef struct check_matrix {
  int64_t rows, cols, ld;
  float *data;  /* element (0, 0): what the call gets */
  float *base;  /* the allocation: guard, ld * cols elements, guard */
  size_t len;   /* elements in base */
  float *saved; /* copy of base from check_matrix_snapshot, or NULL */
} check_matrix;

enum { CHECK_GUARD = 16 };

/* A signalling NaN with a payload: arithmetic on it (quieting) changes
 * its bits, so a kernel that updates padding cannot rewrite the same
 * value, and one that uses it as an operand makes the result NaN. */
float check_canary(void);

/* Returns false (and leaves m empty) when memory runs out. */
bool check_matrix_alloc(check_matrix *m, int64_t rows, int64_t cols, int64_t ld);

/* Gives g the smallest valid leading dimensions plus the given padding and
 * allocates its three operands as stored (check_matrix_alloc); exits when
 * memory runs out.  The data pointers in g are left for the caller. */
void check_gemm_operands(check_gemm *g, int64_t pad_a, int64_t pad_b, int64_t pad_c,
                         check_matrix *a, check_matrix *b, check_matrix *c);

/* Once A and B hold their values: fills C (NaN when beta = 0, since C
 * must then be written without being read, so NaN must vanish; random
 * otherwise), snapshots all three operands and points g at them. */
void check_gemm_arm(check_gemm *g, check_matrix *a, check_matrix *b, check_matrix *c,
                    check_rng *r);

void check_matrix_free(check_matrix *m);
/* Fills the rows x cols block (never the padding or guards). */
void check_matrix_fill_random(check_matrix *m, check_rng *r);
void check_matrix_fill(check_matrix *m, float value);
/* Remembers every element (block, padding, guards) for the checks below. */
void check_matrix_snapshot(check_matrix *m);
/* Number of elements whose bits differ from the snapshot: all of them, or
 * only those outside the rows x cols block (padding and guards).  The
 * first difference's offset from `data` goes to *first when not NULL. */
int64_t check_matrix_changed(const check_matrix *m, bool outside_only, int64_t *first);

/* ---- reference and comparison ---- */

/* The float64 reference of g, computed from g->a, g->b and g->c as they
 * are now, so call it before running g.  ref and mag are M x N,
 * column-major, leading dimension M: ref = alpha*op(A)*op(B) + beta*C and
 * mag = |alpha| * sum_l |op(A)(i,l)| |op(B)(l,j)| + |beta * C(i,j)|.
 * As in the reference BLAS, C is not read when beta == 0 and A and B are
 * not read when alpha == 0 (so NaN poison there does not propagate). */
void check_reference(const check_gemm *g, double *ref, double *mag);

/* Outcome of comparing C with the reference. */
typedef struct check_result {
  int64_t bad;         /* elements out of bound (NaN counts as out) */
  int64_t bad_i, bad_j; /* the first of them */
  double got, want, bound;
  double max_ratio;    /* max |c - ref| / bound; infinite for NaN */
} check_result;

/* Unit roundoff to pass for float32 arithmetic. */
#define CHECK_EPS_F32 1.1920928955078125e-07

/* Compares g->c (after the call) with the reference: element (i, j) must
 * satisfy |c - ref| <= 8 * (K + 2) * eps * mag + 1e-30.  K + 2 counts the
 * K products and the two final roundings (alpha * sum, + beta * c); the
 * factor 8 leaves room for any summation order and FMA use while a wrong
 * index or a missing term is still orders of magnitude out.  Pass
 * CHECK_EPS_F32 as eps, a larger one for reduced-precision operands. */
void check_compare(const check_gemm *g, const double *ref, const double *mag, double eps,
                   check_result *out);

#endif
