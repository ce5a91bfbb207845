/* The one dispatcher: every entry point's checked job comes here.  Quick
 * returns, then the device, then the host; the element type only picks
 * the host routine and the C scaling.  Every call that reaches here
 * prints exactly one verbose line. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "adapt.h"
#include "gemm590.h"
#include "g590.h"

void g590_log_call(const g590_job *job, const char *format, ...) {
  char tail[768];
  va_list ap;
  va_start(ap, format);
  vsnprintf(tail, sizeof tail, format, ap);
  va_end(ap);
  if (job->op == G590_SYRK)
    fprintf(stderr, "gemm590: %s layout=%c uplo=%c trans=%c N=%lld K=%lld %s\n", job->entry,
            job->layout, job->user_uplo, job->user_ta, (long long)job->n, (long long)job->k,
            tail);
  else
    fprintf(stderr, "gemm590: %s layout=%c transa=%c transb=%c M=%lld N=%lld K=%lld %s\n",
            job->entry, job->layout, job->user_ta, job->user_tb, (long long)job->user_m,
            (long long)job->user_n, (long long)job->k, tail);
}

void g590_log_invalid(const char *entry, int info) {
  if (!g590_config_get()->verbose) return;
  fprintf(stderr, "gemm590: %s path=none reason=\"invalid parameter %d\"\n", entry, info);
}

g590_job g590_job_columns(const g590_job *job, int64_t n0, int64_t n1) {
  g590_job rest = *job;
  size_t bytes = g590_type_bytes(job->type);
  rest.n = n1 - n0;
  rest.c = (char *)job->c + (size_t)(n0 * job->ldc) * bytes;
  rest.b = (const char *)job->b + (size_t)(job->trans_b ? n0 : n0 * job->ldb) * bytes;
  return rest;
}

/* The host routine of the job's type; `how` names what ran, for the
 * verbose line (NULL: nobody reads it, so nothing is formatted). */
static void host_run(const g590_job *job, char *how, size_t how_len) {
  if (job->type == G590_F16) {
    g590_host_hgemm(job, how, how_len);
    return;
  }
  const char *name = "";
  g590_host_blas(job, &name);
  if (how) snprintf(how, how_len, "%s", name);
}

/* The host computes what the device left of a syrk: columns [n0, n) of C
 * (a syrk runs on one device, which delivers leading columns).  That is the
 * syrk of the trailing block and, for the upper triangle, the gemm block
 * above it: rows [0, n0) of op(A) times the transpose of rows [n0, n). */
static void host_syrk_rest(const g590_job *job, int64_t n0, char *how, size_t how_len) {
  if (n0 == 0) {
    host_run(job, how, how_len);
    return;
  }
  size_t bytes = g590_type_bytes(job->type);
  /* Row n0 of op(A): down the rows of A, or along its columns when op(A) = A^T. */
  const void *a_n0 = (const char *)job->a + (size_t)(job->trans_a ? n0 * job->lda : n0) * bytes;
  g590_job tail = *job;
  tail.m = tail.n = job->n - n0;
  tail.a = tail.b = a_n0;
  tail.c = (char *)job->c + (size_t)(n0 + n0 * job->ldc) * bytes;
  if (job->upper) {
    g590_job above = *job;
    above.op = G590_GEMM;
    above.m = n0, above.n = job->n - n0;
    above.b = a_n0;
    above.c = (char *)job->c + (size_t)(n0 * job->ldc) * bytes;
    host_run(&above, NULL, 0);
  }
  host_run(&tail, how, how_len);
}

/* The host computes the columns of C the device did not deliver (the gaps
 * between done's ranges); returns how many columns the device had. */
static int64_t host_rest(const g590_job *job, const g590_done *done, char *how, size_t how_len) {
  int64_t delivered = 0;
  for (int i = 0; i < done->count; i++) delivered += done->end[i] - done->begin[i];
  if (job->op == G590_SYRK) {
    host_syrk_rest(job, done->count ? done->end[0] : 0, how, how_len);
    return delivered;
  }
  /* Ranges in column order: the devices take consecutive ranges. */
  int64_t at = 0;
  for (int i = 0; i <= done->count; i++) {
    int64_t gap_end = i < done->count ? done->begin[i] : job->n;
    if (gap_end > at) {
      g590_job gap = g590_job_columns(job, at, gap_end);
      host_run(&gap, how, how_len);
    }
    if (i < done->count && done->end[i] > at) at = done->end[i];
  }
  return delivered;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

/* Multiply-adds of a job, times two: the counters' flops. */
static double job_flops(const g590_job *job) {
  double n = (double)job->n, k = (double)job->k;
  return job->op == G590_SYRK ? n * (n + 1) * k : 2.0 * (double)job->m * n * k;
}

/* Every call that is not a quick return nor small enough for the host
 * outright: the online choice, the device, and the host for what the
 * device did not deliver.  A function of its own so that its buffers for
 * the verbose line (2 KiB of stack) are not on the way of small calls. */
static __attribute__((noinline)) void run_chosen(const g590_job *job, const g590_config *cfg,
                                                 double flops) {
  bool verbose = cfg->verbose;
  /* Learning (lib/core/adapt.c): the class's path for this call, timed. */
  g590_adapt_ticket ticket = {.cls = -1, .tag = ""};
  g590_job picked;
  if (flops >= G590_ADAPT_MIN_FLOPS && !cfg->disable_device) {
    picked = *job;
    if (g590_adapt_begin(&picked, &ticket)) job = &picked;
  }
  double start = now_ms();
  char what[512], why[192], how[160];
  what[0] = why[0] = how[0] = '\0';
  g590_done done = {.count = 0};
  if (job->pick && !job->pick->family) {
    host_run(job, how, sizeof how);
    g590_adapt_end(&ticket, now_ms() - start, G590_SAMPLE_OK);
    g590_api_count(GEMM590_PATH_HOST, flops);
    if (verbose) g590_log_call(job, "path=host reason=\"%s\" host=%s%s", job->pick_rule, how, ticket.tag);
    return;
  }
  if (cfg->disable_device) {
    snprintf(why, sizeof why, "device disabled");
  } else if (g590_cl_job(job, &done, what, sizeof what, why, sizeof why) == G590_HANDLED) {
    g590_adapt_end(&ticket, now_ms() - start, done.built ? G590_SAMPLE_BUILT : G590_SAMPLE_OK);
    g590_api_count(GEMM590_PATH_DEVICE, flops);
    if (verbose) g590_log_call(job, "path=device %s%s", what, ticket.tag);
    return;
  }
  /* The device may have delivered columns of C before failing: columns
   * are independent, so the host computes only the rest. */
  int64_t cols_done = host_rest(job, &done, how, sizeof how);
  g590_adapt_end(&ticket, now_ms() - start, G590_SAMPLE_FAILED);
  g590_api_count(GEMM590_PATH_HOST, flops);
  if (verbose && cols_done)
    g590_log_call(job, "path=host reason=\"%s\" host=%s device_columns=%lld%s", why, how,
                  (long long)cols_done, ticket.tag);
  else if (verbose)
    g590_log_call(job, "path=host reason=\"%s\" host=%s%s", why, how, ticket.tag);
}

/* The host lane's bound, decided once per process: the device's floor
 * (what g590_cl_declines compares with), closed when every call must
 * print its verbose line.  The lane (lib/api/lane.h) is this dispatcher's
 * "small enough for the host outright" branch below, taken at the entry
 * point so that such calls build no job (bench/call-cost). */
double g590_lane_bound;
_Atomic bool g590_lane_ready;
pthread_once_t g590_lane_once = PTHREAD_ONCE_INIT;

void g590_lane_init(void) {
  const g590_config *cfg = g590_config_get();
  g590_lane_bound = cfg->verbose ? 0 : cfg->disable_device ? INFINITY : g590_cl_floor_mnk();
}

void g590_run(const g590_job *job) {
  if (__builtin_expect(g590_host_in_cblas, 0)) {
    g590_host_reentry(job); /* the host CBLAS's own call: it was counted */
    return;
  }
  /* Strings are only formatted when verbose: this runs on every call, and
   * small products must not pay for it. */
  const g590_config *cfg = g590_config_get();
  bool verbose = cfg->verbose;
  if (job->m == 0 || job->n == 0 || ((job->alpha == 0 || job->k == 0) && job->beta == 1)) {
    if (verbose) g590_log_call(job, "path=none reason=\"quick return\"");
    return;
  }
  if (job->alpha == 0 || job->k == 0) {
    /* The reference never reads A or B here: C = beta * C. */
    if (job->type == G590_F16) g590_host_hscale_c(job);
    else g590_host_scale_c(job); /* a syrk's triangle only */
    if (verbose) g590_log_call(job, "path=host reason=\"alpha=0 or K=0: C=beta*C\"");
    return;
  }

  double flops = job_flops(job);
  /* Most calls in numpy loops and LAPACK panels are small: they go
   * straight to the host, with no selector run and no reason formatted
   * (a verbose line needs the reason, so verbose calls take the long way). */
  if (!verbose && (cfg->disable_device || g590_cl_declines(job))) {
    host_run(job, NULL, 0);
    g590_api_count(GEMM590_PATH_HOST, flops);
    return;
  }
  run_chosen(job, cfg, flops);
}
