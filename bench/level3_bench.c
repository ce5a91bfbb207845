/* level3-bench: dgemm, ssyrk and dsyrk end to end through libgemm590,
 * beside the host BLAS's own routines and NVBLAS's, in one run.
 *
 * For each size n (square: M = N = K = n; syrk: C n x n, A n x k with
 * k = n) and routine, the median wall time of --repeats calls after one
 * warm-up call, operands in pageable host memory, column-major, NN (syrk:
 * upper, A not transposed, unless --uplo and --trans say otherwise).  Next
 * to each syrk, the gemm that computes the same C (op(A) op(A)^T: NT, or
 * TN for --trans T, with B = A) through libgemm590, and the
 * ratio of the two times.  Rates are gemm-equivalent TFLOPS (2 n^3 / time)
 * so that a syrk and its gemm compare directly; a syrk does half the
 * multiply-adds.  The path column says where libgemm590 ran each call.
 *
 *   level3-bench [--sizes LIST] [--routines LIST] [--repeats R]
 *                [--host-blas LIB] [--nvblas LIB] [--no-host] [--uplo U|L] [--trans N|T] */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_providers.h"
#include "cli.h"
#include "gemm590.h"
#include "timing.h"

typedef void (*dgemm_f)(const char *, const char *, const int *, const int *, const int *,
                        const void *, const void *, const int *, const void *, const int *,
                        const void *, void *, const int *);
typedef void (*syrk_f)(const char *, const char *, const int *, const int *, const void *,
                       const void *, const int *, const void *, void *, const int *);

/* One routine of one provider, called as Fortran (the form all three have). */
typedef struct provider {
  const char *name;
  void *gemm[2], *syrk[2]; /* [0] float, [1] double */
} provider;

static void load(provider *p, void *handle) {
  static const char *const names[2][2] = {{"sgemm_", "dgemm_"}, {"ssyrk_", "dsyrk_"}};
  for (int d = 0; d < 2; d++) {
    p->gemm[d] = dlsym(handle, names[0][d]);
    p->syrk[d] = dlsym(handle, names[1][d]);
  }
}

typedef struct run {
  bool syrk, f64, as_gemm; /* as_gemm: the syrk's C through gemm (NT, B = A) */
  const char *uplo;        /* the syrk's triangle */
  const char *trans;       /* the syrk's transpose: C = A A^T ("N") or A^T A ("T") */
  int n;
  void *a, *c;
} run;

static void call(const provider *p, const run *r) {
  int n = r->n;
  double one_d = 1.0, zero_d = 0.0;
  float one_f = 1.0f, zero_f = 0.0f;
  const void *one = r->f64 ? (const void *)&one_d : (const void *)&one_f;
  const void *zero = r->f64 ? (const void *)&zero_d : (const void *)&zero_f;
  if (r->syrk && !r->as_gemm)
    ((syrk_f)p->syrk[r->f64])(r->uplo, r->trans, &n, &n, one, r->a, &n, zero, r->c, &n);
  else if (r->syrk)
    ((dgemm_f)p->gemm[r->f64])(r->trans[0] == 'T' ? "T" : "N", r->trans[0] == 'T' ? "N" : "T",
                               &n, &n, &n, one, r->a, &n, r->a, &n, zero, r->c, &n);
  else
    ((dgemm_f)p->gemm[r->f64])("N", "N", &n, &n, &n, one, r->a, &n, r->a, &n, zero, r->c, &n);
}

/* Median seconds of `repeats` calls after a warm-up; NULL routine: -1. */
static double time_calls(const provider *p, const run *r, int repeats) {
  void *fn = r->syrk && !r->as_gemm ? p->syrk[r->f64] : p->gemm[r->f64];
  if (!fn) return -1;
  call(p, r);
  double t[32];
  for (int i = 0; i < repeats; i++) {
    double t0 = bench_now();
    call(p, r);
    t[i] = bench_now() - t0;
  }
  return bench_median(t, repeats);
}

/* Where libgemm590 runs the call: one more call, counted. */
static const char *path_of(const provider *lib, const run *r) {
  struct gemm590_counters before, after;
  gemm590_get_counters(&before);
  call(lib, r);
  gemm590_get_counters(&after);
  return after.calls[GEMM590_PATH_DEVICE] > before.calls[GEMM590_PATH_DEVICE] ? "device"
                                                                              : "host";
}

/* "%11.3f" of milliseconds, or "-" for a provider without the routine. */
static const char *ms(char *buf, size_t len, double seconds, int width) {
  if (seconds < 0) snprintf(buf, len, "%*s", width, "-");
  else snprintf(buf, len, "%*.3f", width, seconds * 1e3);
  return buf;
}

static const struct option longopts[] = {
    {"sizes", required_argument, NULL, 's'},     {"routines", required_argument, NULL, 'r'},
    {"repeats", required_argument, NULL, 'n'},   {"host-blas", required_argument, NULL, 'H'},
    {"nvblas", required_argument, NULL, 'N'},    {"no-host", no_argument, NULL, 'x'},
    {"uplo", required_argument, NULL, 'u'},      {"trans", required_argument, NULL, 't'},
    CLI_STANDARD_OPTIONS};
static const cli level3_cli = {
    "level3-bench",
    "usage: level3-bench [options]\n"
    "dgemm, ssyrk and dsyrk end to end: libgemm590 beside the host BLAS and NVBLAS\n"
    "  --sizes LIST          square sizes (default 1024,2048,4096,8192)\n"
    "  --routines LIST       of dgemm, ssyrk, dsyrk (default all three)\n"
    "  --repeats R           timed calls per row, the median reported (default 5)\n"
    "  --host-blas LIB       the host BLAS to compare with (default libopenblas.so.0)\n"
    "  --nvblas LIB          NVBLAS to compare with (e.g. libnvblas.so.13)\n"
    "  --no-host             no host BLAS rows\n"
    "  --uplo U|L            the syrk's triangle (default U; numpy's a @ a.T on C-ordered\n"
    "                        arrays is a row-major upper syrk: L here)\n"
    "  --trans N|T           the syrk's transpose (default N: C = A A^T; numpy's a @ a.T on\n"
    "                        C-ordered arrays is T here, with --uplo L)\n" CLI_STANDARD_HELP,
    "h", longopts};

int main(int argc, char **argv) {
  long sizes[16] = {1024, 2048, 4096, 8192};
  int nsizes = 4, repeats = 5;
  const char *routines = "dgemm,ssyrk,dsyrk", *host_lib = "libopenblas.so.0", *nvblas = NULL;
  bool no_host = false;
  const char *uplo = "U", *trans = "N";
  for (int opt; (opt = cli_next(&level3_cli, argc, argv)) != -1;) {
    if (opt == 's') nsizes = cli_long_list(&level3_cli, "--sizes", optarg, 1, 32768, sizes, 16);
    else if (opt == 'r') routines = optarg;
    else if (opt == 'n') repeats = (int)cli_long(&level3_cli, "--repeats", optarg, 1, 32);
    else if (opt == 'H') host_lib = optarg;
    else if (opt == 'N') nvblas = optarg;
    else if (opt == 'x') no_host = true;
    else if (opt == 'u') {
      if (strcmp(optarg, "U") && strcmp(optarg, "L"))
        cli_fail(&level3_cli, "--uplo takes U or L, not '%s'", optarg);
      uplo = optarg;
    } else if (opt == 't') {
      if (strcmp(optarg, "N") && strcmp(optarg, "T"))
        cli_fail(&level3_cli, "--trans takes N or T, not '%s'", optarg);
      trans = optarg;
    }
  }
  if (optind < argc) cli_fail(&level3_cli, "unexpected operand '%s'", argv[optind]);

  provider lib = {"libgemm590", {(void *)sgemm_, (void *)dgemm_}, {(void *)ssyrk_, (void *)dsyrk_}};
  provider host = {"host", {NULL, NULL}, {NULL, NULL}}, nv = {"nvblas", {NULL, NULL}, {NULL, NULL}};
  void *host_handle = no_host ? NULL : dlopen(host_lib, RTLD_NOW | RTLD_LOCAL);
  if (host_handle) load(&host, host_handle);
  else if (!no_host) printf("note: no host BLAS rows: %s\n", dlerror());
  if (nvblas) {
    char why[256];
    if (bench_nvblas_open(nvblas, host_lib, why, sizeof why)) {
      void *h = dlopen(nvblas, RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
      if (h) load(&nv, h);
    } else {
      printf("note: no NVBLAS rows: %s\n", why);
    }
  }

  printf("routine      n   libgemm590 ms  path      host ms   nvblas ms  lib TFLOPS  "
         "host/lib  nvblas/lib  syrk/gemm\n");
  for (int s = 0; s < nsizes; s++) {
    int n = (int)sizes[s];
    size_t elems = (size_t)n * (size_t)n;
    double *a = malloc(elems * sizeof(double)), *c = malloc(elems * sizeof(double));
    if (!a || !c) {
      printf("n = %d: out of memory\n", n);
      return 1;
    }
    srand(590);
    for (size_t i = 0; i < elems; i++) a[i] = 2.0 * rand() / RAND_MAX - 1.0 + 1e-3;
    float *af = (float *)a; /* float runs use the first half of a as floats */
    static const char *const names[] = {"dgemm", "ssyrk", "dsyrk"};
    for (int r = 0; r < 3; r++) {
      if (!strstr(routines, names[r])) continue;
      run job = {r > 0, r != 1, false, uplo, trans, n, a, c};
      if (!job.f64)
        for (size_t i = 0; i < elems; i++) af[i] = (float)(2.0 * rand() / RAND_MAX - 1.0);
      double flops = 2.0 * (double)n * n * n;
      double tl = time_calls(&lib, &job, repeats), th = time_calls(&host, &job, repeats);
      double tn = time_calls(&nv, &job, repeats);
      const char *path = path_of(&lib, &job);
      double tg = -1;
      if (job.syrk) {
        run g = job;
        g.as_gemm = true;
        tg = time_calls(&lib, &g, repeats);
      }
      char hb[32], nb[32];
      printf("%-7s %6d %14.3f  %-6s %s %s %11.2f %9.2f %11.2f %10.2f\n", names[r], n, tl * 1e3,
             path, ms(hb, sizeof hb, th, 10), ms(nb, sizeof nb, tn, 11), flops / tl * 1e-12,
             th > 0 ? th / tl : 0, tn > 0 ? tn / tl : 0, tg > 0 ? tl / tg : 0);
      if (tg > 0)
        printf("%-7s %6d %14.3f  (the same C through %cgemm %s, libgemm590)\n", "  gemm", n,
               tg * 1e3, job.f64 ? 'd' : 's', trans[0] == 'T' ? "TN" : "NT");
      fflush(stdout);
    }
    free(a);
    free(c);
  }
  bench_nvblas_close();
  return 0;
}
