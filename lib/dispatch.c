/* The path of one call: quick returns, then the device, then the host.
 * Every call that reaches here prints exactly one verbose line. */
#include <stdarg.h>
#include <stdio.h>

#include "gemm590.h"
#include "g590.h"

void g590_log_call(const g590_call *call, const char *format, ...) {
  char tail[768];
  va_list ap;
  va_start(ap, format);
  vsnprintf(tail, sizeof tail, format, ap);
  va_end(ap);
  fprintf(stderr, "gemm590: %s layout=%c transa=%c transb=%c M=%lld N=%lld K=%lld %s\n",
          call->entry, call->layout, call->user_ta, call->user_tb, (long long)call->user_m,
          (long long)call->user_n, (long long)call->k, tail);
}

void g590_log_invalid(const char *entry, int info) {
  if (!g590_config_get()->verbose) return;
  fprintf(stderr, "gemm590: %s path=none reason=\"invalid parameter %d\"\n", entry, info);
}

void g590_sgemm(const g590_call *call) {
  /* Strings are only formatted when verbose: this runs on every call, and
   * small products must not pay for it. */
  const g590_config *cfg = g590_config_get();
  bool verbose = cfg->verbose;
  if (call->m == 0 || call->n == 0 ||
      ((call->alpha == 0.0f || call->k == 0) && call->beta == 1.0f)) {
    if (verbose) g590_log_call(call, "path=none reason=\"quick return\"");
    return;
  }
  if (call->alpha == 0.0f || call->k == 0) {
    /* The reference never reads A or B here: C = beta * C. */
    g590_scale_c(call);
    if (verbose) g590_log_call(call, "path=host reason=\"alpha=0 or K=0: C=beta*C\"");
    return;
  }

  double flops = 2.0 * (double)call->m * (double)call->n * (double)call->k;
  const char *how = "";
  /* Most calls in numpy loops and LAPACK panels are small: they go
   * straight to the host, with no selector run and no reason formatted
   * (a verbose line needs the reason, so verbose calls take the long way). */
  if (!verbose && (cfg->disable_device || g590_device_declines(call))) {
    g590_host_sgemm(call, &how);
    g590_count(GEMM590_PATH_HOST, flops);
    return;
  }
  char what[512], why[192];
  what[0] = why[0] = '\0';
  int64_t cols_done = 0;
  if (cfg->disable_device) {
    snprintf(why, sizeof why, "device disabled");
  } else if (g590_device_sgemm(call, &cols_done, what, sizeof what, why, sizeof why) ==
             G590_HANDLED) {
    g590_count(GEMM590_PATH_DEVICE, flops);
    if (verbose) g590_log_call(call, "path=device %s", what);
    return;
  }
  /* The device may have delivered leading columns of C before failing:
   * columns are independent, so the host computes only the rest. */
  g590_call rest = *call;
  rest.n -= cols_done;
  rest.c += cols_done * call->ldc;
  rest.b += call->trans_b ? cols_done : cols_done * call->ldb;
  g590_host_sgemm(&rest, &how);
  g590_count(GEMM590_PATH_HOST, flops);
  if (verbose && cols_done)
    g590_log_call(call, "path=host reason=\"%s\" host=%s device_columns=%lld", why, how,
             (long long)cols_done);
  else if (verbose)
    g590_log_call(call, "path=host reason=\"%s\" host=%s", why, how);
}
