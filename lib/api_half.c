/* gemm590_hgemm: GEMM on IEEE binary16 data, products and sums in float32,
 * one rounding to binary16 at the end.
 *
 * The entry checks and numbers its arguments exactly as cblas_sgemm does
 * (lib/api_cblas.c: netlib's raw numbers, a row-major call checked as the
 * swapped column-major problem C^T = B^T A^T), then runs the same path as
 * an SGEMM call (lib/dispatch.c): quick returns, the device when it
 * serves, the host for the rest. */
#include <stdarg.h>
#include <stdio.h>

#include "gemm590.h"
#include "hgemm.h"

#define G590_API __attribute__((visibility("default")))

enum { ROW_MAJOR = 101, COL_MAJOR = 102, NO_TRANS = 111, TRANS = 112, CONJ_TRANS = 113 };

static int parse_cblas_trans(int t) {
  if (t == NO_TRANS) return 0;
  if (t == TRANS || t == CONJ_TRANS) return 1;
  return -1;
}

static char trans_letter(int t) { return t == NO_TRANS ? 'N' : t == TRANS ? 'T' : 'C'; }

/* One line per call, in cblas_sgemm's format (lib/dispatch.c). */
static void log_line(const g590_call *s, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
static void log_line(const g590_call *s, const char *format, ...) {
  char tail[512];
  va_list ap;
  va_start(ap, format);
  vsnprintf(tail, sizeof tail, format, ap);
  va_end(ap);
  fprintf(stderr, "gemm590: %s layout=%c transa=%c transb=%c M=%lld N=%lld K=%lld %s\n",
          s->entry, s->layout, s->user_ta, s->user_tb, (long long)s->user_m,
          (long long)s->user_n, (long long)s->k, tail);
}

void g590_hgemm(const g590_hcall *call) {
  const g590_call *s = &call->shape;
  bool verbose = g590_config_get()->verbose;
  if (s->m == 0 || s->n == 0 || ((s->alpha == 0.0f || s->k == 0) && s->beta == 1.0f)) {
    if (verbose) log_line(s, "path=none reason=\"quick return\"");
    return;
  }
  if (s->alpha == 0.0f || s->k == 0) {
    g590_hscale_c(call);
    if (verbose) log_line(s, "path=host reason=\"alpha=0 or K=0: C=beta*C\"");
    return;
  }

  double flops = 2.0 * (double)s->m * (double)s->n * (double)s->k;
  char what[256] = "", why[192] = "", how[160] = "";
  int64_t cols_done = 0;
  if (g590_config_get()->disable_device) {
    snprintf(why, sizeof why, "device disabled");
  } else if (g590_device_hgemm(call, &cols_done, what, sizeof what, why, sizeof why) ==
             G590_HANDLED) {
    g590_count(GEMM590_PATH_DEVICE, flops);
    if (verbose) log_line(s, "path=device %s", what);
    return;
  }
  /* Columns the device delivered before failing are final (see g590_sgemm). */
  g590_hcall rest = *call;
  rest.shape.n -= cols_done;
  rest.c += cols_done * s->ldc;
  rest.b += s->trans_b ? cols_done : cols_done * s->ldb;
  g590_hgemm_host(&rest, how, sizeof how);
  g590_count(GEMM590_PATH_HOST, flops);
  if (verbose && cols_done)
    log_line(s, "path=host reason=\"%s\" host=%s device_columns=%lld", why, how,
             (long long)cols_done);
  else if (verbose)
    log_line(s, "path=host reason=\"%s\" host=%s", why, how);
}

G590_API void gemm590_hgemm(const enum CBLAS_ORDER layout, const enum CBLAS_TRANSPOSE transa,
                            const enum CBLAS_TRANSPOSE transb, const int m, const int n,
                            const int k, const float alpha, const uint16_t *a, const int lda,
                            const uint16_t *b, const int ldb, const float beta, uint16_t *c,
                            const int ldc) {
  static const char entry[] = "gemm590_hgemm";
  /* Netlib CBLAS numbering, as cblas_sgemm (lib/api_cblas.c). */
  static const int cblas_number[14] = {[3] = 4, [4] = 5, [5] = 6, [8] = 9, [10] = 11,
                                       [13] = 14};
  int info = 0;
  int ta = parse_cblas_trans((int)transa), tb = parse_cblas_trans((int)transb);
  bool row_major = (int)layout == ROW_MAJOR;
  if ((int)layout != ROW_MAJOR && (int)layout != COL_MAJOR) info = 1;
  else if (ta < 0) info = 2;
  else if (tb < 0) info = 3;
  /* fp16_ok: binary16 data need no opt-in to run on binary16 kernels. */
  g590_hcall call = {.shape = {.entry = entry, .alpha = alpha, .beta = beta, .ldc = ldc,
                               .user_m = m, .user_n = n, .k = k, .fp16_ok = true},
                     .c = c};
  g590_call *s = &call.shape;
  if (info == 0 && !row_major) {
    s->trans_a = ta; s->trans_b = tb;
    s->m = m; s->n = n;
    call.a = a; s->lda = lda; call.b = b; s->ldb = ldb;
  } else if (info == 0) {
    /* C^T = B^T A^T: the column-major problem has m' = N, n' = M, A' = B, B' = A. */
    s->trans_a = tb; s->trans_b = ta;
    s->m = n; s->n = m;
    call.a = b; s->lda = ldb; call.b = a; s->ldb = lda;
  }
  if (info == 0)
    info = cblas_number[g590_check_fortran(s->trans_a, s->trans_b, s->m, s->n, s->k, s->lda,
                                           s->ldb, s->ldc)];
  if (info) {
    g590_log_invalid(entry, info);
    g590_report_cblas(info, entry, row_major);
    return;
  }
  s->layout = row_major ? 'R' : 'C';
  s->user_ta = trans_letter((int)transa);
  s->user_tb = trans_letter((int)transb);
  g590_hgemm(&call);
}

/* The _Float16 spelling.  The header declares it only for compilers that
 * have the type, but the symbol exists in every build: a pointer to
 * _Float16 and a pointer to uint16_t are passed alike, and the data are
 * the same binary16 bit patterns. */
#ifdef __FLT16_MAX__
typedef gemm590_float16 f16_storage;
#else
typedef uint16_t f16_storage;
#endif

G590_API void gemm590_hgemm_f16(const enum CBLAS_ORDER layout,
                                const enum CBLAS_TRANSPOSE transa,
                                const enum CBLAS_TRANSPOSE transb, const int m, const int n,
                                const int k, const float alpha, const f16_storage *a,
                                const int lda, const f16_storage *b, const int ldb,
                                const float beta, f16_storage *c, const int ldc) {
  gemm590_hgemm(layout, transa, transb, m, n, k, alpha, (const uint16_t *)a, lda,
                (const uint16_t *)b, ldb, beta, (uint16_t *)c, ldc);
}
