/* gemm590-tune's measurements: the median time of a candidate end to end
 * (through libgemm590's own device path, or the host BLAS) and of its
 * kernel alone on operands already on the device, checked against the
 * host BLAS, for every candidate at one shape; and the progress line. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tune.h"

/* ---- progress ---- */

/* Rough cost of measuring one candidate on one shape, in units of a
 * 512^3 product: a constant for launches and compilation, the flops, and
 * the bytes that cross the link. */
double tune_task_work(const shape *s) {
  double m = (double)s->m, n = (double)s->n, k = (double)s->k;
  return 1.0 + m * n * k / 134217728.0 + (m * k + k * n + m * n) / 4194304.0;
}

void tune_duration(double secs, char *out, size_t len) {
  long s = (long)(secs + 0.5);
  if (s >= 3600) snprintf(out, len, "%ldh%02ldm", s / 3600, s / 60 % 60);
  else if (s >= 60) snprintf(out, len, "%ldm%02lds", s / 60, s % 60);
  else snprintf(out, len, "%lds", s);
}

static void progress(const tuner *t, const shape *s, const char *what) {
  if (!t->tty) return;
  /* Capped: rows of an earlier run's candidates also count as done. */
  double frac = t->work_total > t->work_done ? t->work_done / t->work_total : 1;
  double elapsed = bench_now() - t->start;
  char eta[32] = "?";
  if (t->work_done > 0) tune_duration(elapsed / frac - elapsed, eta, sizeof eta);
  char bar[31];
  int fill = (int)(frac * 30 + 0.5);
  for (int i = 0; i < 30; i++) bar[i] = i < fill ? '#' : '.';
  bar[30] = '\0';
  fprintf(stderr, "\r\033[K[%s] %3.0f%% ETA %s  %lldx%lldx%lld %c%c %.40s", bar, frac * 100, eta,
          (long long)s->m, (long long)s->n, (long long)s->k, s->ta ? 'T' : 'N', s->tb ? 'T' : 'N',
          what);
  fflush(stderr);
}

/* ---- timing ---- */

/* Runs something `count` times back to back, waiting for the last. */
typedef bool (*run_fn)(void *ctx, int count);

/* Median seconds per run over `repeats` samples, after one untimed warm-up
 * (compilation, buffer growth).  Runs under 2 ms are batched so that a
 * sample is long enough for the clock.  A candidate whose first timed run
 * is already above `give_up` seconds (several times the best so far at
 * this shape) keeps that one sample: it will not be chosen, and timing it
 * again would only cost time.  -1 when a run fails. */
static double time_median(run_fn run, void *ctx, int repeats, double give_up) {
  if (!run(ctx, 1)) return -1;
  double t0 = bench_now();
  if (!run(ctx, 1)) return -1;
  double first = bench_now() - t0;
  if (first > give_up) return first;
  int batch = first < 2e-3 ? (int)ceil(2e-3 / (first > 1e-7 ? first : 1e-7)) : 1;
  if (batch > 1000) batch = 1000;
  /* Long runs: no more samples than about three seconds buy. */
  if (first * repeats > 3.0) repeats = (int)(3.0 / first) > 1 ? (int)(3.0 / first) : 1;
  double samples[64];
  if (repeats > 64) repeats = 64;
  for (int i = 0; i < repeats; i++) {
    t0 = bench_now();
    if (!run(ctx, batch)) return -1;
    samples[i] = (bench_now() - t0) / batch;
  }
  return bench_median(samples, repeats);
}

typedef struct e2e_ctx {
  g590_engine *e;
  const g590_job *call;
  g590_plan plan;
  int64_t panels; /* as the last run's verbose line says */
} e2e_ctx;

static bool run_e2e(void *p, int count) {
  e2e_ctx *x = p;
  char what[256], why[192];
  int64_t cols_done;
  for (int i = 0; i < count; i++)
    if (g590_cl_run(x->e, x->call, &x->plan, &cols_done, what, sizeof what, why,
                        sizeof why) != G590_HANDLED)
      return false;
  const char *panels = strstr(what, "panels=");
  x->panels = panels ? atoll(panels + strlen("panels=")) : 0;
  return true;
}

static bool run_host(void *p, int count) {
  const char *how;
  for (int i = 0; i < count; i++) g590_host_blas(p, &how);
  return true;
}

typedef struct resident_ctx {
  g590_engine *e;
  cl_kernel kernel;
  const g590_plan *plan;
  g590_gemm_args args;
} resident_ctx;

/* The launch the library makes (split K included), under the engine lock
 * since a split launch grows the engine's workspace. */
static bool run_resident(void *p, int count) {
  resident_ctx *r = p;
  char why[192];
  bool ok = true;
  pthread_mutex_lock(&r->e->lock);
  for (int i = 0; i < count && ok; i++)
    ok = g590_cl_gemm_enqueue(r->e, r->e->queue, r->kernel, r->plan, &r->args, NULL, NULL, why,
                           sizeof why);
  pthread_mutex_unlock(&r->e->lock);
  return ok && clFinish(r->e->queue) == CL_SUCCESS;
}

static size_t round_up(int64_t x, size_t unit) { return ((size_t)x + unit - 1) / unit * unit; }

/* `elems` elements of float (or double with f64), each 0.5. */
static cl_mem device_filled(g590_engine *e, size_t elems, bool f64) {
  cl_int err;
  size_t bytes = f64 ? sizeof(double) : sizeof(float);
  cl_mem m = clCreateBuffer(e->context, CL_MEM_READ_WRITE, elems * bytes, NULL, &err);
  if (err != CL_SUCCESS) return NULL;
  const float half = 0.5f;
  const double half_d = 0.5;
  err = clEnqueueFillBuffer(e->queue, m, f64 ? (const void *)&half_d : (const void *)&half,
                            bytes, 0, elems * bytes, 0, NULL, NULL);
  if (err != CL_SUCCESS) {
    clReleaseMemObject(m);
    return NULL;
  }
  return m;
}

/* Kernel time on operands already on the device, laid out as the library
 * lays them out (padded to whole tiles for padded families), launched as
 * lib/cl/pipeline.c launches it: its build options in the same order (so
 * the program is the one the end-to-end runs built), double with
 * plan->f64, and for syrk op(B) read from A's buffer with the triangle's
 * tiles alone (the kernel skips the others; one launch, col0 = 0). */
static double time_resident(tuner *t, const g590_plan *plan, const shape *s, double give_up) {
  g590_engine *e = t->e;
  bool pad = plan->family->padded, syrk = t->routine->op == G590_SYRK;
  size_t m = round_up(s->m, pad ? plan->tile[0] : 1), n = round_up(s->n, pad ? plan->tile[1] : 1);
  size_t k = round_up(s->k, pad ? plan->tile[2] : 1);
  char params[PARAMS], options[256], why[192];
  const char *origin;
  g590_plan_options(plan, params, sizeof params);
  snprintf(options, sizeof options, "%s -DTRANS_A=%d -DTRANS_B=%d -DBETA_ZERO=1%s%s", params,
           s->ta, s->tb, plan->f64 ? " -DREAL_DOUBLE=1" : "", syrk ? " -DSYRK_UPPER=1" : "");
  pthread_mutex_lock(&e->lock);
  cl_kernel kernel = g590_cl_program_kernel(e, plan->family->name, options, &origin, why, sizeof why);
  pthread_mutex_unlock(&e->lock);
  if (!kernel) return -1;
  cl_mem a = device_filled(e, m * k, plan->f64), c = device_filled(e, m * n, plan->f64);
  cl_mem b = syrk ? NULL : device_filled(e, k * n, plan->f64);
  double secs = -1;
  if (a && (b || syrk) && c && clFinish(e->queue) == CL_SUCCESS) {
    /* syrk: m == n and tb == !ta, so A's leading dimension is op(B)'s. */
    resident_ctx r = {e, kernel, plan,
                      {(int)m, (int)n, (int)k, 1.0, 0.0, a, syrk ? a : b, c,
                       (int)(s->ta ? k : m), (int)(s->tb ? n : k), (int)m, plan->f64, 0, 0, 0}};
    secs = time_median(run_resident, &r, t->repeats, give_up);
  }
  if (a) clReleaseMemObject(a);
  if (b) clReleaseMemObject(b);
  if (c) clReleaseMemObject(c);
  return secs;
}

/* ---- one shape ---- */

typedef struct operands {
  void *a, *b, *c, *ref; /* float or double, as the routine's type */
  g590_job call;
  const char *host_how;
} operands;

/* Operands uniform in [-1, 1] (a syrk reads A twice: no B) and the host
 * BLAS's result as reference. */
static void operands_make(operands *o, const g590_routine *r, const shape *s) {
  size_t a_elems = (size_t)(s->m * s->k), b_elems = r->op == G590_SYRK ? 0 : (size_t)(s->k * s->n);
  size_t c_elems = (size_t)(s->m * s->n), bytes = g590_type_bytes(r->type);
  o->a = malloc(a_elems * bytes);
  o->b = malloc(b_elems * bytes + 1); /* + 1: malloc(0) may answer NULL */
  o->c = malloc(c_elems * bytes);
  o->ref = malloc(c_elems * bytes);
  if (!o->a || !o->b || !o->c || !o->ref)
    tune_die("out of memory for %lldx%lldx%lld", (long long)s->m, (long long)s->n,
             (long long)s->k);
  tune_fill_random(r->type, o->a, a_elems, 11);
  tune_fill_random(r->type, o->b, b_elems, 12);
  o->call = tune_routine_job(r, s, o->a, o->b, o->ref);
  g590_host_blas(&o->call, &o->host_how);
  o->call.c = o->c;
}

static void operands_free(operands *o) {
  free(o->a);
  free(o->b);
  free(o->c);
  free(o->ref);
}

/* Measures candidate c at shape s unless the CSV has it; returns the
 * end-to-end time (-1: failed).  `earlier`: the host's time from an
 * earlier timing at this shape (-1: none); the row keeps the faster. */
static double measure(tuner *t, operands *o, const shape *s, const candidate *c, double best,
                      double earlier) {
  char label[32 + PARAMS];
  tune_label(c, label, sizeof label);
  const row *done = tune_find_row(t, s, label);
  if (done) return done->ok == 1 ? done->e2e : -1;
  progress(t, s, label);
  double give_up = best > 0 ? 4 * best : INFINITY;
  double e2e, resident;
  int ok;
  int64_t panels = 0;
  if (!c->family) {
    e2e = resident = time_median(run_host, &o->call, t->repeats, give_up);
    if (earlier > 0 && (e2e < 0 || earlier < e2e)) e2e = resident = earlier;
    ok = 1;
  } else {
    e2e_ctx x = {t->e, &o->call, {0}, 0};
    g590_plan_family(&x.plan, c->family, &c->params, "tune");
    g590_plan_serves(&x.plan, t->routine->type, t->routine->op); /* sets plan.f64 */
    /* NaN in C: an element the kernel never writes fails the check, and
     * so does one a syrk writes outside its triangle. */
    tune_fill_nan(o->call.type, o->c, (size_t)(s->m * s->n));
    e2e = run_e2e(&x, 1) ? 0 : -1;
    ok = e2e < 0 ? -1 : tune_routine_matches(&o->call, o->c, o->ref) ? 1 : 0;
    if (ok == 1) {
      e2e = time_median(run_e2e, &x, t->repeats, give_up);
      resident = time_resident(t, &x.plan, s, best > 0 ? give_up : INFINITY);
      if (e2e < 0 || resident < 0) ok = -1;
      panels = x.panels;
    } else {
      e2e = resident = -1;
    }
  }
  tune_csv_write(t, s, c, o->host_how, e2e, resident, ok, panels);
  t->work_done += tune_task_work(s);
  return ok == 1 ? e2e : -1;
}

static bool out_of_time(const tuner *t) {
  return t->time_limit > 0 && bench_now() - t->start > t->time_limit;
}

/* Measures every candidate not yet in the CSV at shape s.  Returns false
 * when the time limit stopped it. */
bool tune_measure_shape(tuner *t, const char *phase, const shape *s, const candidate *cands,
                        int n) {
  char label[32 + PARAMS];
  int todo = 0;
  for (int i = 0; i < n; i++) {
    tune_label(&cands[i], label, sizeof label);
    todo += tune_find_row(t, s, label) == NULL;
  }
  if (!todo) return true;
  operands o;
  operands_make(&o, t->routine, s);
  double best = -1;
  char best_label[32 + PARAMS] = "";
  bool finished = true;
  /* The host (cands[0]) goes first on small shapes, where it usually
   * wins and sets the bar that cuts the slow device candidates short; on
   * large ones last, so that its own slow runs are cut short instead.
   * Going first, it is timed again last and keeps the faster median: on
   * the H100 machine (a VM) OpenBLAS calls stall for milliseconds at
   * times (100^3 TN once took 6.0 ms, 0.02-0.03 ms in the other
   * transposes), and one stall rarely lasts through both timings. */
  bool has_host = cands[0].family == NULL; /* not while screening */
  bool host_last = 2.0 * (double)s->m * (double)s->n * (double)s->k > 1e10;
  double host_early = -1;
  const row *host_row = tune_find_row(t, s, "host");
  if (has_host && !host_last && (!host_row || host_row->ok == 1)) {
    if (host_row) {
      best = host_row->e2e;
    } else {
      progress(t, s, "host");
      best = host_early = time_median(run_host, &o.call, t->repeats, INFINITY);
    }
    snprintf(best_label, sizeof best_label, "host");
  }
  for (int j = 0; j < n; j++) {
    int i = has_host ? (j + 1) % n : j;
    if (out_of_time(t)) {
      finished = false;
      break;
    }
    double e2e = measure(t, &o, s, &cands[i], best, has_host && i == 0 ? host_early : -1);
    if (e2e > 0 && (best < 0 || e2e < best)) {
      best = e2e;
      tune_label(&cands[i], best_label, sizeof best_label);
    }
  }
  if (!t->tty && finished)
    printf("%6.0fs %s %lldx%lldx%lld %c%c: fastest end to end of %d: %s (%.3g s)\n",
           bench_now() - t->start, phase, (long long)s->m, (long long)s->n, (long long)s->k,
           s->ta ? 'T' : 'N', s->tb ? 'T' : 'N', n, best_label, best);
  operands_free(&o);
  return finished;
}
