/* Per-call cost of libgemm590 on calls that stay on the host: nanoseconds
 * per cblas_sgemm through libgemm590 against the same OpenBLAS called
 * directly, in one process, on tiny square column-major C = A * B; with
 * --fortran, sgemm_ (the entry LAPACK calls) against the host's sgemm_.
 *
 *   call-cost [--sizes 4,8,16,32,64,128] [--rounds R] [--calls C] [--fortran]
 *
 * The parent runs itself once per configuration, because libgemm590 reads
 * its configuration once per process:
 *   default   the device path is live (PoCL or a GPU, if any): every call
 *             still goes to the host because the products are small;
 *   disabled  GEMM590_DISABLE_DEVICE=1.
 * Both with OPENBLAS_NUM_THREADS=1 (OpenBLAS threads nothing this small
 * anyway; one thread keeps the comparison to the call itself) and the
 * verbose log off.  The host BLAS is the library libgemm590 falls back to
 * (GEMM590_FALLBACK_LIB or the build's default), dlopen()ed here so both
 * paths reach one and the same OpenBLAS.
 *
 * Timing: R rounds; in each round a batch of C calls through each path,
 * the order alternating from round to round so drift hits both alike.
 * Per-call time = batch time / C; the median over rounds is printed, with
 * the added nanoseconds and the ratio.  The counters must show that every
 * libgemm590 call ran on the host (exit 1 otherwise). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "gemm590.h"
#include "timing.h"
#include "host_cblas.h"

enum { MAX_SIZES = 16, MAX_ROUNDS = 1001 };

typedef struct options {
  int sizes[MAX_SIZES];
  int n_sizes;
  int rounds, calls;
  bool child, fortran;
} options;

/* Mean nanoseconds per call over one batch. */
static double batch_ns(bench_cblas_fn f, int n, int calls, const float *a, const float *b,
                       float *c) {
  double t0 = bench_now();
  for (int i = 0; i < calls; i++)
    f(CblasColMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.5f, c, n);
  return 1e9 * (bench_now() - t0) / calls;
}

/* The Fortran entries behind the same signature, so that one batch loop
 * times both ways: each wrapper does the same work around its call. */
typedef void (*fortran_sgemm_fn)(const char *, const char *, const int *, const int *,
                                 const int *, const float *, const float *, const int *,
                                 const float *, const int *, const float *, float *, const int *,
                                 size_t, size_t);
static fortran_sgemm_fn host_sgemm;

static void via_fortran(fortran_sgemm_fn f, int m, int n, int k, float alpha, const float *a,
                        int lda, const float *b, int ldb, float beta, float *c, int ldc) {
  f("N", "N", &m, &n, &k, &alpha, a, &lda, b, &ldb, &beta, c, &ldc, 1, 1);
}
static void via_host_fortran(int layout, int transa, int transb, int m, int n, int k, float alpha,
                             const float *a, int lda, const float *b, int ldb, float beta,
                             float *c, int ldc) {
  (void)layout, (void)transa, (void)transb; /* column-major NN, as batch_ns calls */
  via_fortran(host_sgemm, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
static void via_gemm590_fortran(int layout, int transa, int transb, int m, int n, int k,
                                float alpha, const float *a, int lda, const float *b, int ldb,
                                float beta, float *c, int ldc) {
  (void)layout, (void)transa, (void)transb;
  via_fortran(sgemm_, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

static float *random_matrix(int n) {
  float *m = aligned_alloc(64, ((size_t)n * (size_t)n * sizeof(float) + 63) / 64 * 64);
  if (!m) {
    perror("aligned_alloc");
    exit(2);
  }
  for (int i = 0; i < n * n; i++) m[i] = 2.0f * (float)rand() / (float)RAND_MAX - 1.0f;
  return m;
}

/* One configuration, in this process: a table row per size. */
static int run_child(const options *o) {
  const char *soname;
  bench_cblas_fn host, ours = bench_via_gemm590;
  if (o->fortran) {
    host_sgemm = (fortran_sgemm_fn)bench_host_symbol("call-cost", "sgemm_", &soname);
    host = via_host_fortran, ours = via_gemm590_fortran;
    if (!host_sgemm) return 2;
  } else {
    host = bench_host_cblas("call-cost", &soname);
    if (!host) return 2;
  }
  int status = 0;
  for (int s = 0; s < o->n_sizes; s++) {
    int n = o->sizes[s];
    float *a = random_matrix(n), *b = random_matrix(n), *c = random_matrix(n);
    static double t_ours[MAX_ROUNDS], t_host[MAX_ROUNDS];
    /* Warm-up: device start-up, first-touch pages, the host BLAS's load. */
    batch_ns(ours, n, o->calls, a, b, c);
    batch_ns(host, n, o->calls, a, b, c);
    gemm590_reset_counters();
    for (int r = 0; r < o->rounds; r++) {
      if (r % 2) {
        t_ours[r] = batch_ns(ours, n, o->calls, a, b, c);
        t_host[r] = batch_ns(host, n, o->calls, a, b, c);
      } else {
        t_host[r] = batch_ns(host, n, o->calls, a, b, c);
        t_ours[r] = batch_ns(ours, n, o->calls, a, b, c);
      }
      /* Keep C bounded: beta = 0.5 halves it on every call. */
    }
    struct gemm590_counters counted;
    gemm590_get_counters(&counted);
    uint64_t expected = (uint64_t)o->rounds * (uint64_t)o->calls;
    bool all_host = counted.calls[GEMM590_PATH_HOST] == expected;
    double ours = bench_median(t_ours, o->rounds), base = bench_median(t_host, o->rounds);
    printf("%-9s %5d %11.1f %11.1f %+9.1f %7.3f%s\n", getenv("CALL_COST_CONFIG"), n, ours, base,
           ours - base, ours / base, all_host ? "" : "  NOT ALL ON THE HOST");
    fflush(stdout);
    status |= !all_host;
    free(a), free(b), free(c);
  }
  return status;
}

/* Runs this program again with `config`'s environment and --child. */
static int run_config(char **argv, const char *config, bool disable) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) {
    perror("call-cost: fork");
    return 2;
  }
  if (pid == 0) {
    setenv("CALL_COST_CONFIG", config, 1);
    setenv("OPENBLAS_NUM_THREADS", "1", 1);
    unsetenv("GEMM590_VERBOSE");
    if (disable) setenv("GEMM590_DISABLE_DEVICE", "1", 1);
    else unsetenv("GEMM590_DISABLE_DEVICE");
    execv("/proc/self/exe", argv);
    perror("call-cost: execv");
    _exit(2);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 2;
}

static const char help[] =
    "usage: call-cost [--sizes N,N,...] [--rounds R] [--calls C] [--fortran]\n"
    "Nanoseconds per host-path cblas_sgemm call through libgemm590 against the host\n"
    "BLAS called directly (single-threaded, verbose off), with the device path live\n"
    "and with GEMM590_DISABLE_DEVICE=1.\n"
    "  --fortran             sgemm_ (as LAPACK calls it) against the host's sgemm_\n"
    "  --sizes N,...         square sizes, 1-4096 (default 4,8,16,32,64,128; at most 16)\n"
    "  --rounds R            interleaved rounds per size, median reported (default 101)\n"
    "  --calls C             calls per batch (default 2000)\n" CLI_STANDARD_HELP;

int main(int argc, char **argv) {
  options o = {.sizes = {4, 8, 16, 32, 64, 128}, .n_sizes = 6, .rounds = 101, .calls = 2000};
  static const struct option longs[] = {{"sizes", required_argument, NULL, 's'},
                                        {"rounds", required_argument, NULL, 'r'},
                                        {"calls", required_argument, NULL, 'c'},
                                        {"fortran", no_argument, NULL, 'f'},
                                        {"child", no_argument, NULL, 'x'},
                                        CLI_STANDARD_OPTIONS};
  const cli c = {"call-cost", help, "h", longs};
  long sizes_in[MAX_SIZES];
  for (int opt; (opt = cli_next(&c, argc, argv)) != -1;) {
    switch (opt) {
    case 's':
      o.n_sizes = cli_long_list(&c, "--sizes", optarg, 1, 4096, sizes_in, MAX_SIZES);
      for (int i = 0; i < o.n_sizes; i++) o.sizes[i] = (int)sizes_in[i];
      break;
    case 'r': o.rounds = (int)cli_long(&c, "--rounds", optarg, 1, MAX_ROUNDS); break;
    case 'c': o.calls = (int)cli_long(&c, "--calls", optarg, 1, 100000000); break;
    case 'f': o.fortran = true; break;
    case 'x': o.child = true; break;
    }
  }
  if (optind < argc) cli_fail(&c, "unexpected operand '%s'", argv[optind]);
  if (o.child) return run_child(&o);

  /* The children get the same options plus --child. */
  char *args[2 * 8 + 2];
  int n = 0;
  char sizes[256] = "", rounds[16], calls[16];
  for (int i = 0; i < o.n_sizes; i++)
    snprintf(sizes + strlen(sizes), sizeof sizes - strlen(sizes), "%s%d", i ? "," : "",
             o.sizes[i]);
  snprintf(rounds, sizeof rounds, "%d", o.rounds);
  snprintf(calls, sizeof calls, "%d", o.calls);
  args[n++] = argv[0];
  args[n++] = "--child", args[n++] = "--sizes", args[n++] = sizes;
  args[n++] = "--rounds", args[n++] = rounds, args[n++] = "--calls", args[n++] = calls;
  if (o.fortran) args[n++] = "--fortran";
  args[n] = NULL;
  printf("libgemm590 %s; %s, column-major N x N x N, beta = 0.5, one thread\n",
         gemm590_version(), o.fortran ? "sgemm_" : "cblas_sgemm");
  printf("median of %d rounds of %d calls; ns per call\n\n", o.rounds, o.calls);
  printf("%-9s %5s %11s %11s %9s %7s\n", "device", "N", "gemm590", "OpenBLAS", "added", "ratio");
  int status = run_config(args, "default", false);
  status |= run_config(args, "disabled", true);
  return status;
}
