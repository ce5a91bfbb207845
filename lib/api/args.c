/* Argument checks with the reference BLAS parameter numbers: every entry
 * point turns its arguments into a job here (lib/core/g590.h). */
#include "g590.h"
#include "lane.h"

static int64_t max1(int64_t x) { return x > 1 ? x : 1; }

/* The letters are the host lane's (lib/api/lane.h): 0 for N, 1 for T or C,
 * -1 for anything else. */
static int parse_trans_char(char t) {
  int e = g590_lane_trans(t);
  return e ? e != G590_CBLAS_N : -1;
}

/* Same order as the reference SGEMM: the first failing parameter wins. */
static int check_fortran(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, int64_t lda,
                       int64_t ldb, int64_t ldc) {
  int64_t nrowa = trans_a ? k : m;
  int64_t nrowb = trans_b ? n : k;
  if (m < 0) return 3;
  if (n < 0) return 4;
  if (k < 0) return 5;
  if (lda < max1(nrowa)) return 8;
  if (ldb < max1(nrowb)) return 10;
  if (ldc < max1(m)) return 13;
  return 0;
}

static int parse_cblas_trans(int t) {
  if (t == G590_CBLAS_N) return 0;
  if (t == G590_CBLAS_T || t == G590_CBLAS_C) return 1;
  return -1;
}

static char trans_letter(int t) {
  return t == G590_CBLAS_N ? 'N' : t == G590_CBLAS_T ? 'T' : 'C';
}

/* Netlib CBLAS numbering: layout 1, transA 2, transB 3, M 4, N 5, K 6,
 * lda 9, ldb 11, ldc 14.  Netlib checks a row-major call on the swapped
 * column-major problem and reports the number of the swapped parameter
 * (M <-> N, lda <-> ldb) with its global RowMajorStrg set; cblas_xerbla
 * translates back.  We report the same raw numbers to an application's
 * cblas_xerbla (the reference CBLAS tester checks exactly this), and
 * g590_api_report_cblas prints the caller's parameter number otherwise. */
int g590_api_cblas_job(g590_job *job, int layout, int transa, int transb, int64_t m, int64_t n,
                   int64_t k, const void *a, int64_t lda, const void *b, int64_t ldb, int64_t ldc,
                   bool *swapped) {
  static const int cblas_number[14] = {[3] = 4, [4] = 5, [5] = 6, [8] = 9, [10] = 11,
                                       [13] = 14};
  int ta = parse_cblas_trans(transa), tb = parse_cblas_trans(transb);
  *swapped = layout == G590_CBLAS_ROW;
  if (layout != G590_CBLAS_ROW && layout != G590_CBLAS_COL) return 1;
  if (ta < 0) return 2;
  if (tb < 0) return 3;
  job->layout = *swapped ? 'R' : 'C';
  job->user_ta = trans_letter(transa);
  job->user_tb = trans_letter(transb);
  job->user_m = m;
  job->user_n = n;
  job->k = k;
  job->ldc = ldc;
  /* Row-major: C^T = B^T A^T, a column-major problem with m' = N, n' = M,
   * A' = B, B' = A. */
  job->trans_a = *swapped ? tb : ta;
  job->trans_b = *swapped ? ta : tb;
  job->m = *swapped ? n : m;
  job->n = *swapped ? m : n;
  job->a = *swapped ? b : a;
  job->b = *swapped ? a : b;
  job->lda = *swapped ? ldb : lda;
  job->ldb = *swapped ? lda : ldb;
  return cblas_number[check_fortran(job->trans_a, job->trans_b, job->m, job->n, job->k,
                                         job->lda, job->ldb, job->ldc)];
}

int g590_api_fortran_job(g590_job *job, char transa, char transb, int64_t m, int64_t n, int64_t k,
                     const void *a, int64_t lda, const void *b, int64_t ldb, int64_t ldc) {
  int ta = parse_trans_char(transa), tb = parse_trans_char(transb);
  if (ta < 0) return 1;
  if (tb < 0) return 2;
  job->layout = 'C';
  job->user_ta = (char)(ta ? (transa == 'c' || transa == 'C' ? 'C' : 'T') : 'N');
  job->user_tb = (char)(tb ? (transb == 'c' || transb == 'C' ? 'C' : 'T') : 'N');
  job->trans_a = ta, job->trans_b = tb;
  job->user_m = job->m = m;
  job->user_n = job->n = n;
  job->k = k;
  job->a = a, job->lda = lda;
  job->b = b, job->ldb = ldb;
  job->ldc = ldc;
  return check_fortran(ta, tb, m, n, k, lda, ldb, ldc);
}

/* The syrk job of op(A) (n x k): C = alpha * op(A) op(A)^T + beta * C on
 * one triangle, as a gemm with B = A (lib/core/g590.h). */
static void syrk_fill(g590_job *job, bool upper, bool trans, int64_t n, int64_t k,
                      const void *a, int64_t lda, int64_t ldc) {
  job->upper = upper;
  job->trans_a = trans;
  job->trans_b = !trans;
  job->user_m = job->user_n = job->m = job->n = n;
  job->k = k;
  job->a = job->b = a;
  job->lda = job->ldb = lda;
  job->ldc = ldc;
}

/* Same order as the reference SSYRK: 1 uplo, 2 trans, 3 n, 4 k, 7 lda, 10 ldc. */
static int check_syrk(bool trans, int64_t n, int64_t k, int64_t lda, int64_t ldc) {
  if (n < 0) return 3;
  if (k < 0) return 4;
  if (lda < max1(trans ? k : n)) return 7;
  if (ldc < max1(n)) return 10;
  return 0;
}

static int parse_uplo_char(char u) {
  int e = g590_lane_uplo(u);
  return e ? e == G590_CBLAS_UPPER : -1;
}

int g590_api_fortran_syrk_job(g590_job *job, char uplo, char trans, int64_t n, int64_t k,
                              const void *a, int64_t lda, int64_t ldc) {
  int up = parse_uplo_char(uplo), t = parse_trans_char(trans);
  if (up < 0) return 1;
  if (t < 0) return 2;
  job->layout = 'C';
  job->user_uplo = up ? 'U' : 'L';
  job->user_ta = (char)(t ? (trans == 'c' || trans == 'C' ? 'C' : 'T') : 'N');
  syrk_fill(job, up, t, n, k, a, lda, ldc);
  return check_syrk(t, n, k, lda, ldc);
}


/* Netlib CBLAS numbering: the Fortran number + 1 (layout first), no swap
 * for row-major calls.  Row-major C is column-major C^T: the other
 * triangle, and op(A) stored transposed, so uplo and trans both flip. */
int g590_api_cblas_syrk_job(g590_job *job, int layout, int uplo, int trans, int64_t n,
                            int64_t k, const void *a, int64_t lda, int64_t ldc) {
  int t = parse_cblas_trans(trans);
  bool row = layout == G590_CBLAS_ROW;
  if (layout != G590_CBLAS_ROW && layout != G590_CBLAS_COL) return 1;
  if (uplo != G590_CBLAS_UPPER && uplo != G590_CBLAS_LOWER) return 2;
  if (t < 0) return 3;
  job->layout = row ? 'R' : 'C';
  job->user_uplo = uplo == G590_CBLAS_UPPER ? 'U' : 'L';
  job->user_ta = trans_letter(trans);
  syrk_fill(job, (uplo == G590_CBLAS_UPPER) != row, t != row, n, k, a, lda, ldc);
  int info = check_syrk(job->trans_a, n, k, lda, ldc);
  return info ? info + 1 : 0;
}
