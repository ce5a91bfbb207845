/* gemm590-bench: SGEMM throughput of every libgemm590 kernel family beside
 * CLBlast and OpenBLAS, in one process on one device.
 *
 * For each shape it reports TFLOPS (2*M*N*K / seconds / 1e12):
 *   resident  kernel time on operands already on the device (for padded
 *             families the padded launch, flops of the real shape)
 *   e2e       what a caller pays from pageable host memory: transfers,
 *             padding, kernel, copy back (libgemm590's device path per
 *             family; cblas_sgemm with the selector's choice)
 *   clblast   CLBlastSgemm (Debian's libclblast, default parameters),
 *             resident and end to end with plain copies
 *   openblas  cblas_sgemm of the host BLAS
 * Medians over repeats after a warm-up.  Usage:
 *   gemm590-bench [--sizes 256,512,...] [--shape MxNxK]... [--trans NN|NT|TN|TT]
 *                 [--variants "family[:-Ddefines];..."] [--csv FILE] [--no-host]
 *                 [--build-log OPTION]   (print each variant's build log, built
 *                                         with OPTION, e.g. -cl-nv-verbose for
 *                                         NVIDIA's register report)
 * The device is libgemm590's (GEMM590_DEVICE applies). */
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cl_engine.h"
#include "fp16.h"
#include "gemm590.h"
#include "kernel_sources.h"

#define MAX_SHAPES 32
#define MAX_VARIANTS 16

typedef struct { long m, n, k; } shape;
typedef struct { const g590_family *family; char defines[160]; char label[64]; } variant;

typedef int (*clblast_sgemm_fn)(int, int, int, size_t, size_t, size_t, float, cl_mem, size_t,
                                size_t, cl_mem, size_t, size_t, float, cl_mem, size_t, size_t,
                                cl_command_queue *, cl_event *);
typedef void (*cblas_sgemm_fn)(int, int, int, int, int, int, float, const float *, int,
                               const float *, int, float, float *, int);

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

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
    double t0 = now();
    for (int r = 0; r < reps; r++)
      if (!run(ctx)) return -1;
    if (device_sync) clFinish(e->queue);
    double dt = now() - t0;
    if (dt >= 0.03 || reps >= 1024) break;
    reps *= 2;
  }
  for (int b = 0; b < 5; b++) {
    double t0 = now();
    for (int r = 0; r < reps; r++) run(ctx);
    if (device_sync) clFinish(e->queue);
    t[b] = (now() - t0) / reps;
  }
  return median(t, 5);
}

/* ---- resident: one family's kernel on device buffers ---- */
typedef struct {
  g590_engine *e;
  cl_kernel kernel;
  size_t global[2], local[2];
} resident_ctx;

static bool run_resident(void *p) {
  resident_ctx *r = p;
  return clEnqueueNDRangeKernel(r->e->queue, r->kernel, 2, NULL, r->global, r->local, 0, NULL,
                                NULL) == CL_SUCCESS;
}

static cl_mem device_random(g590_engine *e, size_t elems, int bytes, unsigned seed) {
  float *h = malloc(elems * sizeof(float));
  fill_random(h, elems, seed);
  if (bytes == 2) {
    uint16_t *hh = (uint16_t *)h;
    for (size_t i = 0; i < elems; i++) hh[i] = g590_float_to_half(h[i]);
  }
  cl_int err;
  cl_mem m = clCreateBuffer(e->context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR,
                            elems * (size_t)bytes, h, &err);
  free(h);
  return err == CL_SUCCESS ? m : NULL;
}

static double bench_resident(g590_engine *e, const variant *v, shape s, bool ta, bool tb) {
  g590_plan plan;
  g590_plan_family(&plan, v->family, v->defines, "bench");
  size_t um = v->family->padded ? plan.tile[0] : 1, un = v->family->padded ? plan.tile[1] : 1;
  size_t uk = v->family->padded ? plan.tile[2] : 1;
  size_t m = round_up((size_t)s.m, um), n = round_up((size_t)s.n, un), k = round_up((size_t)s.k, uk);
  size_t lda = ta ? k : m, ldb = tb ? n : k;
  char options[256], why[192];
  const char *origin;
  snprintf(options, sizeof options, "%s -DTRANS_A=%d -DTRANS_B=%d -DBETA_ZERO=1", v->defines, ta,
           tb);
  pthread_mutex_lock(&e->lock);
  cl_kernel kernel = g590_program_kernel(e, v->family->name, options, &origin, why, sizeof why);
  pthread_mutex_unlock(&e->lock);
  if (!kernel) return -1;
  int eb = v->family->operand_bytes;
  cl_mem a = device_random(e, m * k, eb, 1), b = device_random(e, k * n, eb, 2);
  cl_mem c = device_random(e, m * n, 4, 3);
  double secs = -1;
  if (a && b && c) {
    int im = (int)m, in = (int)n, ik = (int)k, ilda = (int)lda, ildb = (int)ldb, ildc = (int)m;
    float alpha = 1.0f, beta = 0.0f;
    clSetKernelArg(kernel, 0, sizeof im, &im);
    clSetKernelArg(kernel, 1, sizeof in, &in);
    clSetKernelArg(kernel, 2, sizeof ik, &ik);
    clSetKernelArg(kernel, 3, sizeof alpha, &alpha);
    clSetKernelArg(kernel, 4, sizeof a, &a);
    clSetKernelArg(kernel, 5, sizeof ilda, &ilda);
    clSetKernelArg(kernel, 6, sizeof b, &b);
    clSetKernelArg(kernel, 7, sizeof ildb, &ildb);
    clSetKernelArg(kernel, 8, sizeof beta, &beta);
    clSetKernelArg(kernel, 9, sizeof c, &c);
    clSetKernelArg(kernel, 10, sizeof ildc, &ildc);
    resident_ctx r = {e, kernel, {round_up(m, plan.tile[0]) / plan.tile[0] * plan.local[0],
                                  round_up(n, plan.tile[1]) / plan.tile[1] * plan.local[1]},
                      {plan.local[0], plan.local[1]}};
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
  g590_call call;
  g590_plan plan;
} e2e_ctx;

static bool run_e2e(void *p) {
  e2e_ctx *x = p;
  char what[256], why[192];
  int64_t cols_done;
  return g590_device_run(x->e, &x->call, &x->plan, &cols_done, what, sizeof what, why,
                         sizeof why) == G590_HANDLED;
}

typedef struct {
  cblas_sgemm_fn fn;
  g590_call call;
} host_ctx;

static bool run_cblas(void *p) {
  host_ctx *h = p;
  const g590_call *c = &h->call;
  h->fn(102, c->trans_a ? 112 : 111, c->trans_b ? 112 : 111, (int)c->m, (int)c->n, (int)c->k,
        c->alpha, c->a, (int)c->lda, c->b, (int)c->ldb, c->beta, c->c, (int)c->ldc);
  return true;
}

/* ---- CLBlast ---- */
typedef struct {
  g590_engine *e;
  clblast_sgemm_fn fn;
  const g590_call *call;
  cl_mem a, b, c;
  bool copies; /* end to end: write A, B, run, read C */
} clblast_ctx;

static bool run_clblast(void *p) {
  clblast_ctx *x = p;
  const g590_call *c = x->call;
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
    if (!strcmp(g590_kernel_sources[i].family, v->family->name)) src = g590_kernel_sources[i].source;
  char options[512];
  snprintf(options, sizeof options, "%s -DTRANS_A=%d -DTRANS_B=%d -DBETA_ZERO=1 %s", v->defines,
           ta, tb, extra);
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

static int parse_variants(const char *spec, variant *out) {
  int n = 0;
  char *copy = strdup(spec), *save = NULL;
  for (char *tok = strtok_r(copy, ";", &save); tok && n < MAX_VARIANTS;
       tok = strtok_r(NULL, ";", &save)) {
    char *colon = strchr(tok, ':');
    if (colon) *colon = '\0';
    const g590_family *f = g590_family_find(tok);
    if (!f) {
      fprintf(stderr, "unknown family %s\n", tok);
      continue;
    }
    out[n].family = f;
    snprintf(out[n].defines, sizeof out[n].defines, "%s", colon ? colon + 1 : f->defaults);
    if (colon) {
      int tm = 0, tn = 0;
      const char *p = strstr(colon + 1, "-DTM="), *q = strstr(colon + 1, "-DTN=");
      if (p) tm = atoi(p + 5);
      if (q) tn = atoi(q + 5);
      snprintf(out[n].label, sizeof out[n].label, "%s%dx%d#%d", tok, tm, tn, n);
    } else {
      snprintf(out[n].label, sizeof out[n].label, "%s", tok);
    }
    n++;
  }
  free(copy);
  return n;
}

int main(int argc, char **argv) {
  shape shapes[MAX_SHAPES];
  int nshapes = 0;
  bool ta = false, tb = false, host = true;
  const char *csv_path = NULL, *build_log = NULL;
  const char *variant_spec =
      "tile20_v3;tile24;fp16_mixed;regblock:-DTM=128 -DTN=128 -DKS=8 -DWM=8 -DWN=8;"
      "regblock:-DTM=128 -DTN=64 -DKS=8 -DWM=8 -DWN=4;regblock:-DTM=64 -DTN=64 -DKS=8 -DWM=4 -DWN=4";
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--sizes") && i + 1 < argc) {
      char *copy = strdup(argv[++i]), *save = NULL;
      for (char *t = strtok_r(copy, ",", &save); t && nshapes < MAX_SHAPES;
           t = strtok_r(NULL, ",", &save))
        shapes[nshapes++] = (shape){atol(t), atol(t), atol(t)};
      free(copy);
    } else if (!strcmp(argv[i], "--shape") && i + 1 < argc && nshapes < MAX_SHAPES) {
      shape s;
      if (sscanf(argv[++i], "%ldx%ldx%ld", &s.m, &s.n, &s.k) == 3) shapes[nshapes++] = s;
    } else if (!strcmp(argv[i], "--trans") && i + 1 < argc) {
      ta = argv[++i][0] == 'T';
      tb = argv[i][1] == 'T';
    } else if (!strcmp(argv[i], "--variants") && i + 1 < argc) {
      variant_spec = argv[++i];
    } else if (!strcmp(argv[i], "--csv") && i + 1 < argc) {
      csv_path = argv[++i];
    } else if (!strcmp(argv[i], "--build-log") && i + 1 < argc) {
      build_log = argv[++i];
    } else if (!strcmp(argv[i], "--no-host")) {
      host = false;
    } else {
      fprintf(stderr, "usage: see the comment at the top of bench/gemm590_bench.c\n");
      return 2;
    }
  }
  if (!nshapes) {
    long def[] = {256, 512, 1024, 1280, 2048, 4096};
    for (int i = 0; i < 6; i++) shapes[nshapes++] = (shape){def[i], def[i], def[i]};
  }
  variant variants[MAX_VARIANTS];
  int nvariants = parse_variants(variant_spec, variants);

  char why[192];
  g590_engine *e = g590_engine_get(why, sizeof why);
  if (!e) {
    fprintf(stderr, "gemm590-bench: %s\n", why);
    return 1;
  }
  if (build_log)
    for (int vi = 0; vi < nvariants; vi++) print_build_log(e, &variants[vi], build_log, ta, tb);
  void *clblast = dlopen("libclblast.so.1", RTLD_NOW | RTLD_LOCAL);
  clblast_sgemm_fn clblast_sgemm = clblast ? (clblast_sgemm_fn)dlsym(clblast, "CLBlastSgemm") : NULL;
  void *openblas = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
  cblas_sgemm_fn openblas_sgemm = openblas ? (cblas_sgemm_fn)dlsym(openblas, "cblas_sgemm") : NULL;
  FILE *csv = csv_path ? fopen(csv_path, "w") : NULL;
  if (csv) fprintf(csv, "device,m,n,k,trans,what,mode,seconds,tflops,max_rel_err\n");
  printf("device: %s (driver %s), trans %c%c\n", e->info.name, e->info.driver, ta ? 'T' : 'N',
         tb ? 'T' : 'N');
  printf("%-28s %6s %6s %6s %10s %10s %10s\n", "what", "M", "N", "K", "resident", "e2e", "err");

  for (int si = 0; si < nshapes; si++) {
    shape s = shapes[si];
    double flops = 2.0 * s.m * s.n * s.k;
    size_t a_elems = (size_t)(s.m * s.k), b_elems = (size_t)(s.k * s.n), c_elems = (size_t)(s.m * s.n);
    float *A = malloc(a_elems * 4), *B = malloc(b_elems * 4), *C = malloc(c_elems * 4),
          *ref = malloc(c_elems * 4);
    fill_random(A, a_elems, 11);
    fill_random(B, b_elems, 12);
    g590_call call = {.entry = "bench", .layout = 'C', .trans_a = ta, .trans_b = tb, .m = s.m,
                      .n = s.n, .k = s.k, .alpha = 1.0f, .beta = 0.0f, .a = A,
                      .lda = ta ? s.k : s.m, .b = B, .ldb = tb ? s.n : s.k, .c = ref, .ldc = s.m};
    /* Reference result for the error column: OpenBLAS, else regblock. */
    bool have_ref = false;
    if (openblas_sgemm) {
      host_ctx h = {openblas_sgemm, call};
      run_cblas(&h);
      have_ref = true;
    }
#define REPORT(label, res, e2e, err)                                                        \
  do {                                                                                    \
    printf("%-28s %6ld %6ld %6ld %10.2f %10.2f %10.1e\n", label, s.m, s.n, s.k,            \
           (res) > 0 ? flops / (res) / 1e12 : 0.0, (e2e) > 0 ? flops / (e2e) / 1e12 : 0.0, \
           err);                                                                          \
    if (csv) {                                                                            \
      if ((res) > 0)                                                                      \
        fprintf(csv, "\"%s\",%ld,%ld,%ld,%c%c,%s,resident,%.6e,%.3f,%.2e\n", e->info.name, \
                s.m, s.n, s.k, ta ? 'T' : 'N', tb ? 'T' : 'N', label, (res),               \
                flops / (res) / 1e12, err);                                               \
      if ((e2e) > 0)                                                                      \
        fprintf(csv, "\"%s\",%ld,%ld,%ld,%c%c,%s,e2e,%.6e,%.3f,%.2e\n", e->info.name,      \
                s.m, s.n, s.k, ta ? 'T' : 'N', tb ? 'T' : 'N', label, (e2e),               \
                flops / (e2e) / 1e12, err);                                               \
      fflush(csv);                                                                        \
    }                                                                                     \
  } while (0)

    for (int vi = 0; vi < nvariants; vi++) {
      const variant *v = &variants[vi];
      double res = bench_resident(e, v, s, ta, tb);
      e2e_ctx x = {e, call, {0}};
      x.call.c = C;
      g590_plan_family(&x.plan, v->family, v->defines, "bench");
      double e2e = time_runs(run_e2e, &x, false, e);
      if (!have_ref && e2e > 0) {
        memcpy(ref, C, c_elems * 4);
        have_ref = true;
      }
      REPORT(v->label, res, e2e, e2e > 0 ? max_rel_diff(C, ref, c_elems) : NAN);
    }
    {
      host_ctx h = {(cblas_sgemm_fn)cblas_sgemm, call};
      h.call.c = C;
      gemm590_reset_counters();
      double e2e = time_runs(run_cblas, &h, false, e);
      struct gemm590_counters cnt;
      gemm590_get_counters(&cnt);
      REPORT(cnt.calls[GEMM590_PATH_DEVICE] ? "cblas_sgemm(selector,device)"
                                            : "cblas_sgemm(selector,host)",
             -1.0, e2e, max_rel_diff(C, ref, c_elems));
    }
    if (clblast_sgemm) {
      cl_int err;
      clblast_ctx x = {e, clblast_sgemm, &call, NULL, NULL, NULL, false};
      x.a = clCreateBuffer(e->context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, a_elems * 4, A, &err);
      x.b = clCreateBuffer(e->context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, b_elems * 4, B, &err);
      x.c = clCreateBuffer(e->context, CL_MEM_READ_WRITE, c_elems * 4, NULL, &err);
      g590_call cc = call;
      cc.c = C;
      x.call = &cc;
      double res = (x.a && x.b && x.c) ? time_runs(run_clblast, &x, true, e) : -1;
      x.copies = true;
      double e2e = (x.a && x.b && x.c) ? time_runs(run_clblast, &x, false, e) : -1;
      REPORT("clblast", res, e2e, e2e > 0 ? max_rel_diff(C, ref, c_elems) : NAN);
      if (x.a) clReleaseMemObject(x.a);
      if (x.b) clReleaseMemObject(x.b);
      if (x.c) clReleaseMemObject(x.c);
    }
    if (openblas_sgemm && host) {
      host_ctx h = {openblas_sgemm, call};
      h.call.c = C;
      double e2e = time_runs(run_cblas, &h, false, e);
      REPORT("openblas", -1.0, e2e, 0.0);
    }
    free(A);
    free(B);
    free(C);
    free(ref);
  }
  if (csv) fclose(csv);
  return 0;
}
