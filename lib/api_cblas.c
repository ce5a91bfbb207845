/* CBLAS entry points: cblas_sgemm and the 64-bit-integer and prefixed
 * spellings that pip wheels of numpy/scipy import from their bundled
 * OpenBLAS (numpy 2.x: scipy_cblas_sgemm64_; scipy: scipy_cblas_sgemm). */
#include "gemm590.h"
#include "g590.h"

#define G590_API __attribute__((visibility("default")))

enum { ROW_MAJOR = 101, COL_MAJOR = 102, NO_TRANS = 111, TRANS = 112, CONJ_TRANS = 113 };

static int parse_cblas_trans(int t) {
  if (t == NO_TRANS) return 0;
  if (t == TRANS || t == CONJ_TRANS) return 1;
  return -1;
}

static char trans_letter(int t) { return t == NO_TRANS ? 'N' : t == TRANS ? 'T' : 'C'; }

/* Netlib CBLAS numbering: layout 1, transA 2, transB 3, M 4, N 5, K 6,
 * lda 9, ldb 11, ldc 14.  Netlib checks a row-major call on the swapped
 * column-major problem and reports the number of the swapped parameter
 * (M <-> N, lda <-> ldb) with its global RowMajorStrg set; cblas_xerbla
 * translates back.  We report the same raw numbers to an application's
 * cblas_xerbla (the reference CBLAS tester checks exactly this) and print
 * the caller's parameter number ourselves otherwise. */
static void sgemm_cblas(const char *entry, int layout, int transa, int transb, int64_t m,
                        int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                        const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
  static const int cblas_number[14] = {[3] = 4, [4] = 5, [5] = 6, [8] = 9, [10] = 11,
                                       [13] = 14};
  int info = 0;
  int ta = parse_cblas_trans(transa), tb = parse_cblas_trans(transb);
  bool row_major = layout == ROW_MAJOR;
  if (layout != ROW_MAJOR && layout != COL_MAJOR) info = 1;
  else if (ta < 0) info = 2;
  else if (tb < 0) info = 3;
  g590_call call = {.entry = entry, .alpha = alpha, .beta = beta, .c = c, .ldc = ldc,
                    .user_m = m, .user_n = n, .k = k, .fp16_ok = g590_math_fp16()};
  if (info == 0 && !row_major) {
    call.trans_a = ta; call.trans_b = tb;
    call.m = m; call.n = n;
    call.a = a; call.lda = lda; call.b = b; call.ldb = ldb;
  } else if (info == 0) {
    /* C^T = B^T A^T: the column-major problem has m' = N, n' = M, A' = B, B' = A. */
    call.trans_a = tb; call.trans_b = ta;
    call.m = n; call.n = m;
    call.a = b; call.lda = ldb; call.b = a; call.ldb = lda;
  }
  if (info == 0)
    info = cblas_number[g590_check_fortran(call.trans_a, call.trans_b, call.m, call.n, call.k,
                                           call.lda, call.ldb, call.ldc)];
  if (info) {
    g590_log_invalid(entry, info);
    g590_report_cblas(info, "cblas_sgemm", row_major);
    return;
  }
  call.layout = layout == ROW_MAJOR ? 'R' : 'C';
  call.user_ta = trans_letter(transa);
  call.user_tb = trans_letter(transb);
  g590_sgemm(&call);
}

G590_API void cblas_sgemm(const enum CBLAS_ORDER layout, const enum CBLAS_TRANSPOSE transa,
                          const enum CBLAS_TRANSPOSE transb, const int m, const int n,
                          const int k, const float alpha, const float *a, const int lda,
                          const float *b, const int ldb, const float beta, float *c,
                          const int ldc) {
  sgemm_cblas("cblas_sgemm", (int)layout, (int)transa, (int)transb, m, n, k, alpha, a, lda, b,
              ldb, beta, c, ldc);
}

G590_API void scipy_cblas_sgemm(int layout, int transa, int transb, int m, int n, int k,
                                float alpha, const float *a, int lda, const float *b, int ldb,
                                float beta, float *c, int ldc) {
  sgemm_cblas("scipy_cblas_sgemm", layout, transa, transb, m, n, k, alpha, a, lda, b, ldb,
              beta, c, ldc);
}

G590_API void cblas_sgemm64_(int layout, int transa, int transb, int64_t m, int64_t n,
                             int64_t k, float alpha, const float *a, int64_t lda,
                             const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
  sgemm_cblas("cblas_sgemm64_", layout, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c,
              ldc);
}

G590_API void scipy_cblas_sgemm64_(int layout, int transa, int transb, int64_t m, int64_t n,
                                   int64_t k, float alpha, const float *a, int64_t lda,
                                   const float *b, int64_t ldb, float beta, float *c,
                                   int64_t ldc) {
  sgemm_cblas("scipy_cblas_sgemm64_", layout, transa, transb, m, n, k, alpha, a, lda, b, ldb,
              beta, c, ldc);
}
