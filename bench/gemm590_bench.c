/* gemm590-bench: SGEMM throughput of every libgemm590 kernel family beside
 * CLBlast, NVBLAS, cuBLAS and OpenBLAS, in one process on one device
 * (`gemm590-bench --help` lists the options).
 *
 * For each shape it reports TFLOPS (2*M*N*K / seconds / 1e12):
 *   resident  kernel time on operands already on the device (for padded
 *             families the padded launch, flops of the real shape)
 *   e2e       what a caller pays from pageable host memory: transfers,
 *             padding, kernel, copy back (libgemm590's device path per
 *             family; cblas_sgemm with the selector's choice)
 *   clblast   CLBlastSgemm (Debian's libclblast, default parameters),
 *             resident and end to end with plain copies
 *   nvblas    sgemm_ of the library given to --nvblas (e2e only)
 *   openblas  cblas_sgemm of the host BLAS
 * then, after every shape (CLBlast's override is process-wide and cannot
 * be undone, and cuBLAS runs in another process):
 *   clblast-tuned  CLBlastSgemm with the fastest parameters of the tuner's
 *                  JSON files in --clblast-tuned DIR
 *   cublas         the rows the --cublas command prints
 * Medians over repeats after a warm-up; err is the largest difference to
 * the reference (OpenBLAS, else libgemm590's cblas_sgemm) over its largest
 * element.  Without a device the host rows still run: they are what a
 * machine without a GPU gets from libgemm590. */
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_engine.h"
#include "fp16.h"
#include "gemm590.h"
#include "kernel_sources.h"
#include "bench_providers.h"
#include "cli.h"
#include "gemm590_bench.h"
#include "link_floor.h"
#include "timing.h"


typedef int (*clblast_sgemm_fn)(int, int, int, size_t, size_t, size_t, float, cl_mem, size_t,
                                size_t, cl_mem, size_t, size_t, float, cl_mem, size_t, size_t,
                                cl_command_queue *, cl_event *);
typedef void (*cblas_sgemm_fn)(int, int, int, int, int, int, float, const float *, int,
                               const float *, int, float, float *, int);

static void fill_random(float *x, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; i++) {
    seed = seed * 1664525u + 1013904223u;
    x[i] = (float)((seed >> 8) * (2.0 / 16777216.0) - 1.0);
  }
}

static size_t round_up(size_t x, size_t u) { return (x + u - 1) / u * u; }

/* Repeats `run` until a batch takes >= 30 ms, then times 5 such batches:
 * median seconds per run. */
typedef bool (*run_fn)(void *ctx);
static double time_runs(run_fn run, void *ctx, bool device_sync, g590_engine *e) {
  int reps = 1;
  double t[5];
  if (!run(ctx)) return -1; /* warm-up, compilation */
  if (device_sync) clFinish(e->queue);
  for (;;) {
    double t0 = bench_now();
    for (int r = 0; r < reps; r++)
      if (!run(ctx)) return -1;
    if (device_sync) clFinish(e->queue);
    double dt = bench_now() - t0;
    if (dt >= 0.03 || reps >= 1024) break;
    reps *= 2;
  }
  for (int b = 0; b < 5; b++) {
    double t0 = bench_now();
    for (int r = 0; r < reps; r++) run(ctx);
    if (device_sync) clFinish(e->queue);
    t[b] = (bench_now() - t0) / reps;
  }
  return bench_median(t, 5);
}

/* ---- resident: one family's kernel on device buffers ---- */
typedef struct {
  g590_engine *e;
  cl_kernel kernel;
  const g590_plan *plan;
  g590_gemm_args args;
} resident_ctx;

/* The launch the library makes (split K included), under the engine lock
 * since a split launch grows the engine's workspace. */
static bool run_resident(void *p) {
  resident_ctx *r = p;
  char why[192];
  pthread_mutex_lock(&r->e->lock);
  bool ok = g590_cl_gemm_enqueue(r->e, r->e->queue, r->kernel, r->plan, &r->args, NULL, NULL, why,
                              sizeof why);
  pthread_mutex_unlock(&r->e->lock);
  return ok;
}

static cl_mem device_random(g590_engine *e, size_t elems, int bytes, unsigned seed) {
  float *h = malloc(elems * sizeof(float));
  fill_random(h, elems, seed);
  if (bytes == 2) {
    uint16_t *hh = (uint16_t *)h;
    for (size_t i = 0; i < elems; i++) hh[i] = g590_host_float_to_half(h[i]);
  } else if (bytes == 8) {
    double *hd = malloc(elems * sizeof(double));
    if (hd)
      for (size_t i = 0; i < elems; i++) hd[i] = h[i];
    free(h);
    if (!hd) return NULL;
    h = (float *)hd;
  }
  cl_int err;
  cl_mem m = clCreateBuffer(e->context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR,
                            elems * (size_t)bytes, h, &err);
  free(h);
  return err == CL_SUCCESS ? m : NULL;
}

/* f64: the float64 kernel (-DREAL_DOUBLE=1) on float64 operands. */
static double bench_resident(g590_engine *e, const variant *v, shape s, bool ta, bool tb,
                             bool f64) {
  g590_plan plan;
  g590_plan_family(&plan, v->family, &v->params, "bench");
  plan.f64 = f64;
  size_t um = v->family->padded ? plan.tile[0] : 1, un = v->family->padded ? plan.tile[1] : 1;
  size_t uk = v->family->padded ? plan.tile[2] : 1;
  size_t m = round_up((size_t)s.m, um), n = round_up((size_t)s.n, un), k = round_up((size_t)s.k, uk);
  size_t lda = ta ? k : m, ldb = tb ? n : k;
  char params[G590_OPTIONS_MAX], options[256], why[192];
  const char *origin;
  g590_plan_options(&plan, params, sizeof params);
  snprintf(options, sizeof options, "%s -DTRANS_A=%d -DTRANS_B=%d -DBETA_ZERO=1%s", params, ta,
           tb, f64 ? " -DREAL_DOUBLE=1" : "");
  pthread_mutex_lock(&e->lock);
  cl_kernel kernel = g590_cl_program_kernel(e, v->family->name, options, &origin, why, sizeof why);
  pthread_mutex_unlock(&e->lock);
  if (!kernel) return -1;
  int eb = f64 ? 8 : v->family->operand_bytes;
  cl_mem a = device_random(e, m * k, eb, 1), b = device_random(e, k * n, eb, 2);
  cl_mem c = device_random(e, m * n, f64 ? 8 : 4, 3);
  double secs = -1;
  if (a && b && c) {
    resident_ctx r = {e, kernel, &plan,
                      {(int)m, (int)n, (int)k, 1.0f, 0.0f, a, b, c, (int)lda, (int)ldb, (int)m, f64,
                       0, 0, 0}};
    secs = time_runs(run_resident, &r, true, e);
  }
  if (a) clReleaseMemObject(a);
  if (b) clReleaseMemObject(b);
  if (c) clReleaseMemObject(c);
  return secs;
}

/* ---- end to end through the library's device path ---- */
typedef struct {
  g590_engine *e;
  g590_job call;
  g590_plan plan;
} e2e_ctx;

static bool run_e2e(void *p) {
  e2e_ctx *x = p;
  char what[256], why[192];
  int64_t cols_done;
  return g590_cl_run(x->e, &x->call, &x->plan, &cols_done, what, sizeof what, why,
                         sizeof why) == G590_HANDLED;
}

typedef struct {
  cblas_sgemm_fn fn;
  g590_job call;
} host_ctx;

static bool run_cblas(void *p) {
  host_ctx *h = p;
  const g590_job *c = &h->call;
  h->fn(102, c->trans_a ? 112 : 111, c->trans_b ? 112 : 111, (int)c->m, (int)c->n, (int)c->k,
        c->alpha, c->a, (int)c->lda, c->b, (int)c->ldb, c->beta, c->c, (int)c->ldc);
  return true;
}

/* ---- CLBlast ---- */
typedef struct {
  g590_engine *e;
  clblast_sgemm_fn fn;
  const g590_job *call;
  cl_mem a, b, c;
  bool copies; /* end to end: write A, B, run, read C */
} clblast_ctx;

static bool run_clblast(void *p) {
  clblast_ctx *x = p;
  const g590_job *c = x->call;
  cl_command_queue q = x->e->queue;
  size_t a_bytes = (size_t)(c->lda * (c->trans_a ? c->m : c->k)) * 4;
  size_t b_bytes = (size_t)(c->ldb * (c->trans_b ? c->k : c->n)) * 4;
  if (x->copies) {
    if (clEnqueueWriteBuffer(q, x->a, CL_FALSE, 0, a_bytes, c->a, 0, NULL, NULL) ||
        clEnqueueWriteBuffer(q, x->b, CL_FALSE, 0, b_bytes, c->b, 0, NULL, NULL))
      return false;
  }
  if (x->fn(102, c->trans_a ? 112 : 111, c->trans_b ? 112 : 111, (size_t)c->m, (size_t)c->n,
            (size_t)c->k, c->alpha, x->a, 0, (size_t)c->lda, x->b, 0, (size_t)c->ldb, c->beta,
            x->c, 0, (size_t)c->ldc, &q, NULL) != 0)
    return false;
  if (x->copies)
    return clEnqueueReadBuffer(q, x->c, CL_TRUE, 0, (size_t)(c->m * c->n) * 4, c->c, 0, NULL,
                               NULL) == CL_SUCCESS;
  return true;
}

static double max_rel_diff(const float *x, const float *ref, size_t n) {
  double worst = 0, scale = 0;
  for (size_t i = 0; i < n; i++) scale = fmax(scale, fabs(ref[i]));
  for (size_t i = 0; i < n; i++) {
    double d = fabs((double)x[i] - ref[i]);
    if (!(d <= worst)) worst = isnan(d) ? INFINITY : d;
  }
  return worst / (scale > 0 ? scale : 1);
}

/* Builds a variant with an extra option and prints the compiler's log. */
static void print_build_log(g590_engine *e, const variant *v, const char *extra, bool ta,
                            bool tb) {
  const char *src = NULL;
  for (int i = 0; g590_kernel_sources[i].family; i++)
    if (!strcmp(g590_kernel_sources[i].family, v->family->source))
      src = g590_kernel_sources[i].source;
  char params[G590_OPTIONS_MAX], options[512];
  g590_params_options(&v->params, params, sizeof params);
  snprintf(options, sizeof options, "%s -DTRANS_A=%d -DTRANS_B=%d -DBETA_ZERO=1 %s", params, ta,
           tb, extra);
  cl_int err;
  cl_program p = clCreateProgramWithSource(e->context, 1, &src, NULL, &err);
  if (err != CL_SUCCESS) return;
  err = clBuildProgram(p, 1, &e->device, options, NULL, NULL);
  size_t len = 0;
  clGetProgramBuildInfo(p, e->device, CL_PROGRAM_BUILD_LOG, 0, NULL, &len);
  char *log = calloc(1, len + 1);
  clGetProgramBuildInfo(p, e->device, CL_PROGRAM_BUILD_LOG, len, log, NULL);
  printf("== build log of %s (%s): %s\n%s\n", v->label, options,
         err == CL_SUCCESS ? "ok" : g590_cl_error_name(err), log);
  free(log);
  clReleaseProgram(p);
}

/* ---- sgemm_ of another library (NVBLAS) ---- */
typedef struct {
  fortran_sgemm_fn fn;
  g590_job call;
} fortran_ctx;

static bool run_fortran(void *p) {
  fortran_ctx *f = p;
  const g590_job *c = &f->call;
  int m = (int)c->m, n = (int)c->n, k = (int)c->k;
  int lda = (int)c->lda, ldb = (int)c->ldb, ldc = (int)c->ldc;
  float alpha = (float)c->alpha, beta = (float)c->beta;
  f->fn(c->trans_a ? "T" : "N", c->trans_b ? "T" : "N", &m, &n, &k, &alpha, c->a, &lda, c->b,
        &ldb, &beta, c->c, &ldc);
  return true;
}

/* ---- the printed table and the CSV ---- */
typedef struct {
  FILE *csv;
  const char *device;
  char trans[3];
} table;

static void csv_row(const table *t, shape s, const char *label, const char *mode, double secs,
                    double err) {
  if (!t->csv || secs <= 0) return;
  /* Labels are quoted: "cblas_sgemm(selector,host)" holds a comma. */
  fprintf(t->csv, "\"%s\",%ld,%ld,%ld,%s,\"%s\",%s,%.6e,%.6g,%.2e\n", t->device, s.m, s.n, s.k,
          t->trans, label, mode, secs, 2.0 * s.m * s.n * s.k / secs / 1e12, err);
  fflush(t->csv);
}

/* A rate in TFLOPS to three significant digits, '#' keeping trailing
 * zeros so every rate has the same precision (0.00 hid host rows of
 * small shapes); "-" where nothing was measured (seconds <= 0). */
static void print_rate(double flops, double secs) {
  if (secs > 0) printf(" %#10.3g", flops / secs / 1e12);
  else printf(" %10s", "-");
}

/* One line of the table. */
static void report(const table *t, const char *label, shape s, double res, double e2e,
                   double err) {
  double flops = 2.0 * s.m * s.n * s.k;
  printf("%-28s %6ld %6ld %6ld", label, s.m, s.n, s.k);
  print_rate(flops, res);
  print_rate(flops, e2e);
  printf(" %10.1e\n", err);
  csv_row(t, s, label, "resident", res, err);
  csv_row(t, s, label, "e2e", e2e, err);
}

/* ---- one shape's operands, reference and output ---- */
typedef struct {
  g590_engine *e;
  const table *t;
  shape s;
  g590_job call; /* C = op(A) op(B), column-major, into ref */
  float *A, *B, *C, *ref;
  size_t a_elems, b_elems, c_elems;
} problem;

/* Random operands (the same for every pass over the shapes) and the
 * reference result: OpenBLAS, else libgemm590's own cblas_sgemm. */
static void problem_init(problem *p, g590_engine *e, const table *t, shape s, bool ta, bool tb,
                         cblas_sgemm_fn openblas) {
  *p = (problem){.e = e, .t = t, .s = s, .a_elems = (size_t)(s.m * s.k),
                 .b_elems = (size_t)(s.k * s.n), .c_elems = (size_t)(s.m * s.n)};
  p->A = malloc(p->a_elems * 4);
  p->B = malloc(p->b_elems * 4);
  p->C = malloc(p->c_elems * 4);
  p->ref = malloc(p->c_elems * 4);
  fill_random(p->A, p->a_elems, 11);
  fill_random(p->B, p->b_elems, 12);
  p->call = (g590_job){.entry = "bench", .layout = 'C', .trans_a = ta, .trans_b = tb, .m = s.m,
                        .n = s.n, .k = s.k, .alpha = 1.0f, .beta = 0.0f, .a = p->A,
                        .lda = ta ? s.k : s.m, .b = p->B, .ldb = tb ? s.n : s.k, .c = p->ref,
                        .ldc = s.m};
  host_ctx h = {openblas ? openblas : (cblas_sgemm_fn)cblas_sgemm, p->call};
  run_cblas(&h);
}

static void problem_free(problem *p) {
  free(p->A);
  free(p->B);
  free(p->C);
  free(p->ref);
}

/* The call writing into C instead of the reference. */
static g590_job output_call(const problem *p) {
  g590_job c = p->call;
  c.c = p->C;
  return c;
}

static double check(const problem *p) { return max_rel_diff(p->C, p->ref, p->c_elems); }

/* ---- the rows of one shape, provider by provider ---- */
static void bench_family(const problem *p, const variant *v) {
  double res = bench_resident(p->e, v, p->s, p->call.trans_a, p->call.trans_b, false);
  e2e_ctx x = {p->e, output_call(p), {0}};
  g590_plan_family(&x.plan, v->family, &v->params, "bench");
  double e2e = time_runs(run_e2e, &x, false, p->e);
  report(p->t, v->label, p->s, res, e2e, e2e > 0 ? check(p) : NAN);
}

/* --floor: the floor of this shape from the measured rates and the chosen
 * kernel's resident time (bench/link_floor.h), and the share reached. */
static void report_floor(const problem *p, const floor_rates *fr, double e2e) {
  g590_plan plan;
  char why[192];
  if (!g590_select(&p->call, &p->e->info, &plan, why, sizeof why)) return;
  variant v = {plan.family, plan.params, "selector"};
  double res = bench_resident(p->e, &v, p->s, p->call.trans_a, p->call.trans_b, false), t[4];
  if (res <= 0) return;
  double f = floor_seconds(fr, (double)p->s.m, (double)p->s.n, (double)p->s.k, res, t);
  printf("  floor %.3f ms (up %.3f, down %.3f, copies %.3f, kernel %.3f): e2e %.3f ms is %.0f%% "
         "of the floor's rate\n", f * 1e3, t[0] * 1e3, t[1] * 1e3, t[2] * 1e3, t[3] * 1e3,
         e2e * 1e3, 100.0 * f / e2e);
}

static void bench_selector(const problem *p, const floor_rates *fr) {
  host_ctx h = {(cblas_sgemm_fn)cblas_sgemm, output_call(p)};
  gemm590_reset_counters();
  double e2e = time_runs(run_cblas, &h, false, p->e);
  struct gemm590_counters cnt;
  gemm590_get_counters(&cnt);
  report(p->t,
         cnt.calls[GEMM590_PATH_DEVICE] ? "cblas_sgemm(selector,device)"
                                        : "cblas_sgemm(selector,host)",
         p->s, -1.0, e2e, check(p));
  if (fr && cnt.calls[GEMM590_PATH_DEVICE] && e2e > 0) report_floor(p, fr, e2e);
}

static void bench_clblast(const problem *p, clblast_sgemm_fn fn, const char *label) {
  g590_engine *e = p->e;
  g590_job cc = output_call(p);
  clblast_ctx x = {e, fn, &cc, NULL, NULL, NULL, false};
  cl_int err;
  x.a = clCreateBuffer(e->context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, p->a_elems * 4, p->A,
                       &err);
  x.b = clCreateBuffer(e->context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, p->b_elems * 4, p->B,
                       &err);
  x.c = clCreateBuffer(e->context, CL_MEM_READ_WRITE, p->c_elems * 4, NULL, &err);
  double res = (x.a && x.b && x.c) ? time_runs(run_clblast, &x, true, e) : -1;
  x.copies = true;
  double e2e = (x.a && x.b && x.c) ? time_runs(run_clblast, &x, false, e) : -1;
  report(p->t, label, p->s, res, e2e, e2e > 0 ? check(p) : NAN);
  if (x.a) clReleaseMemObject(x.a);
  if (x.b) clReleaseMemObject(x.b);
  if (x.c) clReleaseMemObject(x.c);
}

/* NVBLAS from pageable memory, as a program linked against it calls it. */
static void bench_nvblas(const problem *p, fortran_sgemm_fn fn) {
  fortran_ctx f = {fn, output_call(p)};
  double e2e = time_runs(run_fortran, &f, false, p->e);
  report(p->t, "nvblas", p->s, -1.0, e2e, check(p));
}

static void bench_openblas(const problem *p, cblas_sgemm_fn fn) {
  host_ctx h = {fn, output_call(p)};
  double e2e = time_runs(run_cblas, &h, false, p->e);
  report(p->t, "openblas", p->s, -1.0, e2e, check(p));
}

/* ---- the passes after the per-shape table ---- */

/* CLBlast again, with the tuner's best parameters in place of its own. */
static void bench_clblast_tuned(const options *o, g590_engine *e, const table *t, void *clblast,
                                clblast_sgemm_fn fn, cblas_sgemm_fn openblas) {
  tuned_params tp;
  char why[256];
  if (!fn) {
    printf("note: no clblast-tuned rows: libclblast.so.1 not found\n");
    return;
  }
  if (!bench_clblast_tuned_load(o->clblast_tuned, &tp, why, sizeof why) ||
      !bench_clblast_override(clblast, e->device, &tp, why, sizeof why)) {
    printf("note: no clblast-tuned rows: %s\n", why);
    return;
  }
  printf("clblast-tuned: %.1f GFLOPS in %s:", tp.gflops, tp.file);
  for (size_t i = 0; i < tp.count; i++) printf(" %s=%zu", tp.names[i], tp.values[i]);
  printf("\n");
  for (int si = 0; si < o->nshapes; si++) {
    problem p;
    problem_init(&p, e, t, o->shapes[si], o->ta, o->tb, openblas);
    bench_clblast(&p, fn, "clblast-tuned");
    problem_free(&p);
  }
}

/* cuBLAS's rows (another process: run after ours, so they never share the
 * GPU), merged per shape into the table. */
static void bench_cublas(const options *o, const table *t) {
  ext_row rows[2 * MAX_SHAPES];
  char why[512];
  int n = bench_cublas_run(o->cublas, o->shapes, o->nshapes, t->trans, rows, 2 * MAX_SHAPES, why,
                           sizeof why);
  if (why[0]) printf("note: cublas: %s\n", why);
  for (int si = 0; si < o->nshapes; si++) {
    shape s = o->shapes[si];
    double res = -1, e2e = -1;
    for (int i = 0; i < n; i++)
      if (rows[i].m == s.m && rows[i].n == s.n && rows[i].k == s.k)
        *(strcmp(rows[i].mode, "e2e") ? &res : &e2e) = rows[i].seconds;
    if (res > 0 || e2e > 0) report(t, "cublas", s, res, e2e, NAN);
  }
}

/* The full path of the loaded host BLAS, for NVBLAS's config (its
 * documentation asks for one); the soname when it cannot be found. */
static const char *host_blas_path(cblas_sgemm_fn openblas) {
  Dl_info info;
  if (openblas && dladdr((void *)openblas, &info) && info.dli_fname && info.dli_fname[0] == '/')
    return info.dli_fname;
  return "libopenblas.so.0";
}

/* libgemm590's device, or NULL with `why` where there is none or the
 * user turned it off (the library then runs every call on the host, and
 * so do these rows). */
static g590_engine *bench_device(char *why, size_t why_len) {
  if (g590_config_get()->disable_device) {
    snprintf(why, why_len, "no device: GEMM590_DISABLE_DEVICE=1 or GEMM590_DEVICE=none");
    return NULL;
  }
  return g590_cl_engine_get(why, why_len);
}

/* The rows of every shape: the device's (families, CLBlast) where there
 * is one, the host's and NVBLAS's in any case. */
static void bench_shapes(const options *o, g590_engine *e, const table *t,
                         clblast_sgemm_fn clblast_sgemm, fortran_sgemm_fn nvblas,
                         cblas_sgemm_fn openblas_sgemm, const floor_rates *fr) {
  for (int si = 0; si < o->nshapes; si++) {
    problem p;
    problem_init(&p, e, t, o->shapes[si], o->ta, o->tb, openblas_sgemm);
    for (int vi = 0; e && vi < o->nvariants; vi++) bench_family(&p, &o->variants[vi]);
    bench_selector(&p, fr);
    if (e && clblast_sgemm) bench_clblast(&p, clblast_sgemm, "clblast");
    if (nvblas) bench_nvblas(&p, nvblas);
    if (openblas_sgemm && o->host) bench_openblas(&p, openblas_sgemm);
    problem_free(&p);
  }
}

/* --float64: per shape, the resident DGEMM kernel of each variant (by
 * default every tile the library considers for the shape) and of the
 * selector's choice.  The end-to-end float64 path is level3-bench's. */
static void bench_f64_shapes(const options *o, g590_engine *e, const table *t) {
  for (int si = 0; si < o->nshapes; si++) {
    shape s = o->shapes[si];
    g590_job call = {.op = G590_GEMM, .type = G590_F64, .entry = "bench", .layout = 'C',
                     .trans_a = o->ta, .trans_b = o->tb, .m = s.m, .n = s.n, .k = s.k,
                     .alpha = 1, .lda = o->ta ? s.k : s.m, .ldb = o->tb ? s.n : s.k,
                     .ldc = s.m};
    variant vs[MAX_VARIANTS + 1];
    int nv = 0;
    if (o->variants_given) {
      for (; nv < o->nvariants; nv++) vs[nv] = o->variants[nv];
    } else {
      g590_choice offered[MAX_VARIANTS];
      int n_offered = g590_select_candidates(&call, &e->info, offered, MAX_VARIANTS);
      for (int i = 0; i < n_offered; i++) {
        if (!offered[i].family) continue; /* the host */
        vs[nv] = (variant){offered[i].family, offered[i].params, ""};
        snprintf(vs[nv].label, sizeof vs[nv].label, "%s#%d", offered[i].family->name, nv + 1);
        nv++;
      }
    }
    g590_plan plan;
    char why[192];
    if (g590_select(&call, &e->info, &plan, why, sizeof why) && plan.family)
      vs[nv++] = (variant){plan.family, plan.params, "dgemm(selector)"};
    else
      printf("note: %ldx%ldx%ld: the selector keeps it on the host (%s)\n", s.m, s.n, s.k, why);
    for (int vi = 0; vi < nv; vi++) {
      char params[G590_OPTIONS_MAX];
      g590_params_options(&vs[vi].params, params, sizeof params);
      report(t, vs[vi].label, s, bench_resident(e, &vs[vi], s, o->ta, o->tb, true), -1.0, NAN);
      printf("  %s\n", params);
    }
  }
}

int main(int argc, char **argv) {
  options o;
  parse_options(argc, argv, &o);
  char why[256];
  /* Before minutes of measurements, not after them: the plot's Python,
   * the CSV. */
  if (o.plot && !bench_plot_ready(o.python, why, sizeof why)) {
    fprintf(stderr, "gemm590-bench: --plot %s: %s\n", o.plot, why);
    return 1;
  }
  FILE *csv = o.csv ? fopen(o.csv, "w") : NULL;
  if (o.csv && !csv) {
    fprintf(stderr, "gemm590-bench: --csv %s: cannot write it: %s\n", o.csv, strerror(errno));
    return 1;
  }
  g590_engine *e = bench_device(why, sizeof why);
  if (!e) printf("note: host rows only: %s\n", why);
  if (e && o.build_log)
    for (int vi = 0; vi < o.nvariants; vi++)
      print_build_log(e, &o.variants[vi], o.build_log, o.ta, o.tb);
  void *clblast = dlopen("libclblast.so.1", RTLD_NOW | RTLD_LOCAL);
  clblast_sgemm_fn clblast_sgemm = clblast ? (clblast_sgemm_fn)dlsym(clblast, "CLBlastSgemm") : NULL;
  void *openblas = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
  cblas_sgemm_fn openblas_sgemm = openblas ? (cblas_sgemm_fn)dlsym(openblas, "cblas_sgemm") : NULL;
  fortran_sgemm_fn nvblas = NULL;
  if (o.nvblas && !(nvblas = bench_nvblas_open(o.nvblas, host_blas_path(openblas_sgemm), why,
                                               sizeof why)))
    printf("note: no nvblas rows: %s\n", why);

  table t = {.csv = csv, .device = e ? e->info.name : "host"};
  memcpy(t.trans, o.trans, sizeof t.trans);
  if (t.csv) fprintf(t.csv, "device,m,n,k,trans,what,mode,seconds,tflops,max_rel_err\n");
  if (e) printf("device: %s (driver %s), trans %s\n", e->info.name, e->info.driver, t.trans);
  else printf("device: none, trans %s\n", t.trans);
  printf("%-28s %6s %6s %6s %10s %10s %10s\n", "what", "M", "N", "K", "resident", "e2e", "err");

  floor_rates rates, *fr = NULL;
  if (o.floor && e && floor_measure(e, &rates, why, sizeof why)) {
    fr = &rates;
    printf("floor rates: DMA up %.1f GB/s, down %.1f GB/s (pinned); host copies %.1f GB/s "
           "(the copy pool, pageable <-> pinned)\n", rates.up_gbs, rates.down_gbs,
           rates.copy_gbs);
  } else if (o.floor) {
    printf("note: no floor: %s\n", e ? why : "no device");
  }
  if (o.f64 && e) bench_f64_shapes(&o, e, &t);
  else if (o.f64) printf("note: --float64 has no host rows: level3-bench --routines dgemm\n");
  else bench_shapes(&o, e, &t, clblast_sgemm, nvblas, openblas_sgemm, fr);
  if (o.clblast_tuned && e) bench_clblast_tuned(&o, e, &t, clblast, clblast_sgemm, openblas_sgemm);
  else if (o.clblast_tuned) printf("note: no clblast-tuned rows: no device\n");
  if (o.cublas) bench_cublas(&o, &t);
  bench_nvblas_close();
  if (t.csv) fclose(t.csv);
  if (o.plot && !bench_plot(o.python, o.csv, o.plot, why, sizeof why)) {
    fprintf(stderr, "gemm590-bench: --plot %s: %s\n", o.plot, why);
    return 1;
  }
  return 0;
}
