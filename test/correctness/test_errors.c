/* Invalid arguments, with the application's own error handlers.
 *
 * This program defines xerbla_ and cblas_xerbla (and is linked with
 * --export-dynamic so that the library, which only calls a handler living
 * in the main program, finds them).  For every entry point, layout,
 * transpose pair and a few shapes, it makes every combination of
 * parameters invalid at once and checks that exactly one handler call
 * names the first invalid parameter in the reference order:
 *
 *   sgemm_ (and the other Fortran spellings): transa 1, transb 2, m 3,
 *     n 4, k 5, lda 8, ldb 10, ldc 13;
 *   cblas_sgemm column-major: layout 1, transA 2, transB 3, M 4, N 5, K 6,
 *     lda 9, ldb 11, ldc 14;
 *   cblas_sgemm row-major: netlib checks the swapped column-major problem
 *     (C^T = B^T A^T) and reports its raw number: M 5, N 4, lda 11, ldb 9,
 *     the rest as column-major (the reference CBLAS tester's cblas_xerbla
 *     swaps them back and expects exactly this).
 *
 * Leading dimensions follow the reference: lda >= max(1, rows of A as
 * stored), so for row-major A (M x K, NoTrans) lda >= K.  After an
 * invalid call A, B and C (with padding and guards) are bit-identical;
 * valid calls must not call a handler. */
#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

/* The CBLAS ABI values.  Spelled out instead of including gemm590.h,
 * which pulls in the system cblas.h when there is one: its cblas_xerbla
 * prototype (OpenBLAS: non-const char *) differs between implementations
 * and would clash with the handler defined here. */
enum { CblasRowMajor = 101, CblasColMajor = 102 };
enum { CblasNoTrans = 111, CblasTrans = 112, CblasConjTrans = 113, CblasConjNoTrans = 114 };

/* ---- the application's handlers: they only record ---- */

typedef struct handler_calls {
  int fortran, cblas; /* calls of each handler */
  int info;           /* the last one's parameter number */
  char name[32];      /* the last one's routine name, trailing blanks removed */
} handler_calls;

static handler_calls seen;

static void record(int info, const char *name, size_t len) {
  while (len > 0 && name[len - 1] == ' ') len--;
  if (len >= sizeof seen.name) len = sizeof seen.name - 1;
  memcpy(seen.name, name, len);
  seen.name[len] = '\0';
  seen.info = info;
}

void xerbla_(const char *srname, const int *info, size_t len);
void xerbla_(const char *srname, const int *info, size_t len) {
  seen.fortran++;
  record(*info, srname, len);
}

void cblas_xerbla(int info, const char *rout, const char *form, ...);
void cblas_xerbla(int info, const char *rout, const char *form, ...) {
  (void)form;
  seen.cblas++;
  record(info, rout, strlen(rout));
}

/* ---- the parameters that can be invalid ---- */

enum field { F_LAYOUT, F_TRANSA, F_TRANSB, F_M, F_N, F_K, F_LDA, F_LDB, F_LDC, F_COUNT };

/* Reported number of each field when it is the first invalid one. */
static const int fortran_number[F_COUNT] = {0, 1, 2, 3, 4, 5, 8, 10, 13};
static const int cblas_col_number[F_COUNT] = {1, 2, 3, 4, 5, 6, 9, 11, 14};
static const int cblas_row_number[F_COUNT] = {1, 2, 3, 5, 4, 6, 11, 9, 14};

/* Invalid values, rotated through so that each kind is seen. */
static const int bad_layouts[] = {0, 103, CblasNoTrans, -1};
static const int bad_cblas_trans[] = {0, 110, CblasConjNoTrans /* not for real data */, -1};
static const char bad_fortran_trans[] = {'X', 'A', ' ', '\0'};
static const int64_t bad_dims[] = {-1, -2, INT_MIN};

typedef struct stats {
  long calls, failures;
} stats;

static void failure(stats *st, const char *desc, const char *what) {
  if (st->failures++ < 10) printf("FAIL: %s\n  %s\n", desc, what);
}

/* An invalid call must not touch a byte of any operand. */
static void check_untouched(stats *st, const char *desc, check_matrix *a, check_matrix *b,
                            check_matrix *c) {
  if (check_matrix_changed(a, false, NULL)) failure(st, desc, "A modified");
  if (check_matrix_changed(b, false, NULL)) failure(st, desc, "B modified");
  if (check_matrix_changed(c, false, NULL)) failure(st, desc, "C modified by an invalid call");
}

/* Checks the handler calls of one call expected to report `expected`
 * (0: valid, no handler call) from `routine` through the Fortran or the
 * CBLAS handler. */
static void check_report(stats *st, const char *desc, int expected, bool fortran,
                         const char *routine) {
  char what[160];
  int want_fortran = expected && fortran, want_cblas = expected && !fortran;
  if (seen.fortran != want_fortran || seen.cblas != want_cblas) {
    snprintf(what, sizeof what,
             "expected %d xerbla_ and %d cblas_xerbla calls, got %d and %d (info %d)",
             want_fortran, want_cblas, seen.fortran, seen.cblas, seen.info);
    failure(st, desc, what);
  } else if (expected && seen.info != expected) {
    snprintf(what, sizeof what, "handler got parameter %d, expected %d", seen.info, expected);
    failure(st, desc, what);
  } else if (expected && strcmp(seen.name, routine) != 0) {
    snprintf(what, sizeof what, "handler got routine '%s', expected '%s'", seen.name, routine);
    failure(st, desc, what);
  }
}

/* The arguments of one call, raw: whatever the entry point receives. */
typedef struct raw_call {
  int layout, cblas_ta, cblas_tb;
  char fortran_ta, fortran_tb;
  int64_t m, n, k, lda, ldb, ldc;
} raw_call;

static void run_raw(check_entry e, const raw_call *r, check_matrix *a, check_matrix *b,
                    check_matrix *c) {
  memset(&seen, 0, sizeof seen);
  if (check_entry_is_fortran(e))
    check_call_fortran(e, r->fortran_ta, r->fortran_tb, r->m, r->n, r->k, 1.0f, a->data, r->lda,
                       b->data, r->ldb, 0.5f, c->data, r->ldc);
  else
    check_call_cblas(e, r->layout, r->cblas_ta, r->cblas_tb, r->m, r->n, r->k, 1.0f, a->data,
                     r->lda, b->data, r->ldb, 0.5f, c->data, r->ldc);
}

static void describe_raw(check_entry e, const raw_call *r, char *buf, size_t len) {
  if (check_entry_is_fortran(e))
    snprintf(buf, len, "%s('%c','%c', M=%" PRId64 " N=%" PRId64 " K=%" PRId64 " lda=%" PRId64
             " ldb=%" PRId64 " ldc=%" PRId64 ")",
             check_entry_name(e), r->fortran_ta ? r->fortran_ta : '0',
             r->fortran_tb ? r->fortran_tb : '0', r->m, r->n, r->k, r->lda, r->ldb, r->ldc);
  else
    snprintf(buf, len, "%s(layout=%d, transA=%d, transB=%d, M=%" PRId64 " N=%" PRId64
             " K=%" PRId64 " lda=%" PRId64 " ldb=%" PRId64 " ldc=%" PRId64 ")",
             check_entry_name(e), r->layout, r->cblas_ta, r->cblas_tb, r->m, r->n, r->k, r->lda,
             r->ldb, r->ldc);
}

/* Snapshots the operands, runs r, and checks its handler calls against
 * `expected` (check_report); desc gets r's description. */
static void run_reported(check_entry e, const raw_call *r, check_matrix *a, check_matrix *b,
                         check_matrix *c, int expected, stats *st, char *desc, size_t len) {
  bool fortran = check_entry_is_fortran(e);
  check_matrix_snapshot(a);
  check_matrix_snapshot(b);
  check_matrix_snapshot(c);
  run_raw(e, r, a, b, c);
  st->calls++;
  describe_raw(e, r, desc, len);
  check_report(st, desc, expected, fortran, fortran ? "SGEMM" : "cblas_sgemm");
}

static int64_t min_ld(const check_gemm *g, char operand) {
  int64_t rows, cols;
  check_gemm_storage(g, operand, &rows, &cols);
  return rows > 1 ? rows : 1;
}

/* Every subset of invalid parameters for one valid baseline call g (with
 * the smallest valid leading dimensions: the boundary itself is tested). */
static void all_subsets(check_entry e, const check_gemm *g, check_matrix *a, check_matrix *b,
                        check_matrix *c, check_rng *rng, stats *st) {
  bool fortran = check_entry_is_fortran(e);
  const int *number =
      fortran ? fortran_number : g->layout == 'R' ? cblas_row_number : cblas_col_number;
  static const int trans_enum[128] = {['N'] = CblasNoTrans, ['T'] = CblasTrans,
                                      ['C'] = CblasConjTrans};
  const raw_call valid = {
      .layout = g->layout == 'R' ? CblasRowMajor : CblasColMajor,
      .cblas_ta = trans_enum[(int)g->transa], .cblas_tb = trans_enum[(int)g->transb],
      .fortran_ta = g->transa, .fortran_tb = g->transb,
      .m = g->m, .n = g->n, .k = g->k,
      .lda = min_ld(g, 'A'), .ldb = min_ld(g, 'B'), .ldc = min_ld(g, 'C')};

  for (unsigned mask = 0; mask < 1u << F_COUNT; mask++) {
    if (fortran && (mask & 1u << F_LAYOUT)) continue; /* no layout argument */
    raw_call r = valid;
    unsigned v = (unsigned)check_rng_range(rng, 0, 11); /* which invalid value */
    int expected = 0;
    for (int f = 0; f < F_COUNT; f++) {
      if (!(mask & 1u << f)) continue;
      /* The lowest number is the first one checked (row-major included). */
      if (!expected || number[f] < expected) expected = number[f];
      switch (f) {
      case F_LAYOUT: r.layout = bad_layouts[v % 4]; break;
      case F_TRANSA:
        r.cblas_ta = bad_cblas_trans[v % 4], r.fortran_ta = bad_fortran_trans[v % 4];
        break;
      case F_TRANSB:
        r.cblas_tb = bad_cblas_trans[v % 4], r.fortran_tb = bad_fortran_trans[v % 4];
        break;
      case F_M: r.m = bad_dims[v % 3]; break;
      case F_N: r.n = bad_dims[v % 3]; break;
      case F_K: r.k = bad_dims[v % 3]; break;
      /* Just below the minimum, zero, or negative. */
      case F_LDA: r.lda = v % 3 == 0 ? valid.lda - 1 : v % 3 == 1 ? 0 : -1; break;
      case F_LDB: r.ldb = v % 3 == 0 ? valid.ldb - 1 : v % 3 == 1 ? 0 : -1; break;
      case F_LDC: r.ldc = v % 3 == 0 ? valid.ldc - 1 : v % 3 == 1 ? 0 : -1; break;
      }
    }
    check_matrix_fill_random(a, rng);
    check_matrix_fill_random(b, rng);
    check_matrix_fill_random(c, rng);
    char desc[256];
    run_reported(e, &r, a, b, c, expected, st, desc, sizeof desc);
    if (expected) {
      check_untouched(st, desc, a, b, c);
    } else {
      if (check_matrix_changed(a, false, NULL)) failure(st, desc, "A modified");
      if (check_matrix_changed(b, false, NULL)) failure(st, desc, "B modified");
    }
  }
}

/* 64-bit entries must check the full 64-bit value: a size that would be
 * valid once truncated to 32 bits (2^32 + 3 -> 3) must still fail. */
static void no_truncation(check_matrix *a, check_matrix *b, check_matrix *c, check_rng *rng,
                          stats *st) {
  static const check_entry entries[] = {CHECK_CBLAS64, CHECK_SCIPY_CBLAS64, CHECK_FORTRAN64,
                                        CHECK_SCIPY_FORTRAN64};
  const int64_t big = ((int64_t)1 << 32) + 3, negative = -((int64_t)1 << 32) + 3;
  for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++) {
    check_entry e = entries[i];
    bool fortran = check_entry_is_fortran(e);
    const int *number = fortran ? fortran_number : cblas_col_number;
    const struct {
      raw_call r;
      int expected;
    } cases[] = {
        /* M = 2^32 + 3 is valid as a size, but then lda = 3 < M. */
        {{.m = big, .n = 2, .k = 2, .lda = 3, .ldb = 2, .ldc = 3}, number[F_LDA]},
        {{.m = negative, .n = 2, .k = 2, .lda = 3, .ldb = 2, .ldc = 3}, number[F_M]},
        {{.m = 3, .n = negative, .k = 2, .lda = 3, .ldb = 2, .ldc = 3}, number[F_N]},
        {{.m = 3, .n = 2, .k = negative, .lda = 3, .ldb = 2, .ldc = 3}, number[F_K]},
        {{.m = 3, .n = 2, .k = 2, .lda = 3, .ldb = 2, .ldc = negative}, number[F_LDC]},
    };
    for (size_t j = 0; j < sizeof cases / sizeof cases[0]; j++) {
      raw_call r = cases[j].r;
      r.layout = CblasColMajor, r.cblas_ta = r.cblas_tb = CblasNoTrans;
      r.fortran_ta = r.fortran_tb = 'N';
      check_matrix_fill_random(c, rng);
      char desc[256];
      run_reported(e, &r, a, b, c, cases[j].expected, st, desc, sizeof desc);
      check_untouched(st, desc, a, b, c);
    }
  }
}

int main(void) {
  static const int64_t shapes[][3] = {{3, 4, 5}, {1, 1, 1}, {0, 4, 5}, {3, 0, 5},
                                      {3, 4, 0}, {0, 0, 0}};
  static const char trans[] = {'N', 'T', 'C'};
  check_matrix a, b, c;
  /* Large enough for any valid call here (every dimension <= 5, tight ld). */
  if (!check_matrix_alloc(&a, 64, 1, 64) || !check_matrix_alloc(&b, 64, 1, 64) ||
      !check_matrix_alloc(&c, 64, 1, 64)) {
    fprintf(stderr, "FATAL: out of memory\n");
    return 1;
  }
  check_rng rng;
  check_rng_seed(&rng, 590);
  stats st = {0};

  for (int e = 0; e < CHECK_ENTRY_COUNT; e++) {
    int nlayouts = check_entry_is_fortran((check_entry)e) ? 1 : 2;
    for (int lay = 0; lay < nlayouts; lay++)
      for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int ta = 0; ta < 3; ta++)
          for (int tb = 0; tb < 3; tb++) {
            check_gemm g = {.entry = (check_entry)e, .layout = lay ? 'R' : 'C',
                            .transa = trans[ta], .transb = trans[tb],
                            .m = shapes[s][0], .n = shapes[s][1], .k = shapes[s][2]};
            /* Fortran's LSAME is case-insensitive: half the calls in lower case. */
            if (check_entry_is_fortran(g.entry) && (s & 1))
              g.transa = (char)tolower(g.transa), g.transb = (char)tolower(g.transb);
            all_subsets(g.entry, &g, &a, &b, &c, &rng, &st);
          }
  }
  no_truncation(&a, &b, &c, &rng, &st);

  check_matrix_free(&a);
  check_matrix_free(&b);
  check_matrix_free(&c);
  printf("test_errors: %ld calls, %ld failed\n%s\n", st.calls, st.failures,
         st.failures ? "FAIL" : "PASS");
  return st.failures ? 1 : 0;
}
