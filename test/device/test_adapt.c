/* Online choice (GEMM590_ADAPT, issue 18), from the caller's side: calls
 * of a few shapes, repeated, each checked.  Whatever candidate path a call
 * explores (the selector's kernel, other regblock tiles, split K, the
 * host) or has learned, its result must be right: adapt.py runs this
 * program under GEMM590_ADAPT=1 and GEMM590_VERBOSE=1 and judges the
 * learning from the verbose lines; here only the results are judged.
 *
 *   test_adapt [--routine sgemm|dgemm|ssyrk|dsyrk] [--shape SPEC]... [--calls N]
 *              [--threads T] [--fork] [--seed S] [--beta mixed|zero|nonzero]
 *
 * SPEC is M,N,K[,TT[,L]], several separated by ':' (or --shape repeated):
 * TT the transposes of a gemm (two of N, T, C; default NN), or for a syrk
 * its trans (N or T) and uplo (U or L) (default NU; M must equal N); L the
 * layout, C (column-major, default) or R.  Each shape keeps its transposes
 * and layout on every call, so that each shape is one class for the
 * learner; the calls vary what does not make a class: alpha, beta (0 on
 * every other call, or on all or none with --beta: when 0, C is
 * NaN-poisoned, since it must not be read),
 * padded leading dimensions, and the spelling (cblas_ or the Fortran one,
 * column-major only).  Calls run round-robin over the shapes, --calls times
 * each; with --threads every thread does that with its own operands.
 * --fork: afterwards, a forked child runs the calls again (an alarm turns a
 * hang into a failure) while the parent waits; then the parent runs one
 * round more.
 *
 * Checks: sgemm goes through check_case_run (../common/check.h: float64
 * reference, guards, padding, A and B unchanged).  dgemm and the syrks
 * have no helper there; they are checked here the same way, with a long
 * double reference and 8 (K + 2) eps of the magnitudes, eps 2^-23 or 2^-52,
 * and for a syrk every element of C outside the `uplo` triangle must come
 * back bit-identical.
 *
 * Exit: 0 all right, 1 a wrong result (FAIL lines on stdout), 2 a bad
 * command line, 77 no OpenCL CPU device. */
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "device.h"
#include "gemm590.h"

enum { MAX_SHAPES = 16, MAX_THREADS = 64, GUARD = 16, CHILD_SECONDS = 240 };

typedef enum routine { SGEMM, DGEMM, SSYRK, DSYRK } routine;
static const char *const routine_names[] = {"sgemm", "dgemm", "ssyrk", "dsyrk"};

/* One shape: for a syrk, t1 is trans and t2 uplo. */
typedef struct shape {
  int64_t m, n, k;
  char t1, t2, layout;
} shape;

static routine rt = SGEMM;
static shape shapes[MAX_SHAPES];
static int nshapes, calls = 12, threads = 1;
static unsigned long long seed = 590;
/* beta = 0 on: 2 every other call, 1 every call, 0 none. */
static int beta_zero_every = 2;

static bool is_syrk(void) { return rt == SSYRK || rt == DSYRK; }
static bool is_double(void) { return rt == DGEMM || rt == DSYRK; }

/* ---- dgemm and syrk operands: guards and padding hold values that must
 * come back unchanged ---- */

typedef struct operand {
  int64_t ld;
  char layout;
  size_t es;           /* bytes per element */
  unsigned char *base; /* GUARD, ld * outer elements, GUARD */
  unsigned char *saved;
  size_t len;          /* elements in base */
} operand;

static int64_t at(const operand *o, int64_t row, int64_t col) {
  return o->layout == 'C' ? row + col * o->ld : row * o->ld + col;
}
/* i counts from element (0, 0); guards are at negative i and past the end. */
static double get(const operand *o, int64_t i) {
  const unsigned char *p = o->base + (size_t)(i + GUARD) * o->es;
  return o->es == 8 ? *(const double *)p : *(const float *)p;
}
static void put(operand *o, int64_t i, double v) {
  unsigned char *p = o->base + (size_t)(i + GUARD) * o->es;
  if (o->es == 8) *(double *)p = v;
  else *(float *)p = (float)v;
}
static void *data(const operand *o) { return o->base + GUARD * o->es; }

/* rows x cols as the caller stores it; every element 1000 + unit until set. */
static void operand_alloc(operand *o, char layout, int64_t rows, int64_t cols, int64_t pad,
                          check_rng *rng) {
  o->layout = layout;
  o->es = is_double() ? 8 : 4;
  int64_t inner = o->layout == 'C' ? rows : cols, outer = o->layout == 'C' ? cols : rows;
  o->ld = (inner > 0 ? inner : 1) + pad;
  o->len = (size_t)(outer * o->ld) + 2 * GUARD;
  o->base = malloc(o->len * o->es);
  o->saved = malloc(o->len * o->es);
  if (!o->base || !o->saved) {
    printf("FAIL: out of memory\n");
    exit(1);
  }
  for (size_t i = 0; i < o->len; i++) put(o, (int64_t)i - GUARD, 1000.0 + check_rng_unit(rng));
}

/* dgemm, ssyrk or dsyrk: one checked call, beta = 0 when asked. */
static bool run_other(const shape *s, bool fortran, bool beta_zero, check_rng *rng,
                      const char *tag) {
  bool syrk = is_syrk();
  int64_t m = syrk ? s->n : s->m, n = s->n, k = s->k;
  char ta = s->t1, tb = syrk ? (s->t1 == 'N' ? 'T' : 'N') : s->t2, uplo = s->t2;
  operand a, b = {0}, c;
  int64_t pad = check_rng_range(rng, 0, 3);
  operand_alloc(&a, s->layout, ta == 'N' ? m : k, ta == 'N' ? k : m, pad, rng);
  if (!syrk) operand_alloc(&b, s->layout, tb == 'N' ? k : n, tb == 'N' ? n : k, pad, rng);
  operand_alloc(&c, s->layout, m, n, check_rng_range(rng, 0, 3), rng);
  double alpha = 1.5 * check_rng_unit(rng), beta = beta_zero ? 0.0 : check_rng_unit(rng);
  /* op(A) as M x K and op(B) transposed as N x K, contiguous, for the
   * reference loop (float and double values are exact in double). */
  double *opa = malloc(sizeof(double) * (size_t)(m * k)), *opb;
  long double *ref = malloc(sizeof(long double) * (size_t)(m * n));
  double *mag = malloc(sizeof(double) * (size_t)(m * n));
  if (!opa || !ref || !mag) {
    printf("FAIL: out of memory\n");
    exit(1);
  }
  for (int64_t i = 0; i < m; i++)
    for (int64_t l = 0; l < k; l++) {
      int64_t idx = ta == 'N' ? at(&a, i, l) : at(&a, l, i);
      put(&a, idx, check_rng_unit(rng));
      opa[i * k + l] = get(&a, idx);
    }
  if (syrk) {
    opb = opa;
  } else {
    if (!(opb = malloc(sizeof(double) * (size_t)(n * k)))) {
      printf("FAIL: out of memory\n");
      exit(1);
    }
    for (int64_t j = 0; j < n; j++)
      for (int64_t l = 0; l < k; l++) {
        int64_t idx = tb == 'N' ? at(&b, l, j) : at(&b, j, l);
        put(&b, idx, check_rng_unit(rng));
        opb[j * k + l] = get(&b, idx);
      }
  }
  for (int64_t j = 0; j < n; j++)
    for (int64_t i = 0; i < m; i++) {
      if (syrk && (uplo == 'U' ? i > j : i < j)) continue;
      int64_t ci = at(&c, i, j);
      put(&c, ci, beta == 0 ? NAN : check_rng_unit(rng));
      long double sum = 0, abs_sum = 0;
      for (int64_t l = 0; l < k; l++) {
        long double p = (long double)opa[i * k + l] * opb[j * k + l];
        sum += p, abs_sum += fabsl(p);
      }
      double old = beta == 0 ? 0 : get(&c, ci);
      ref[i + j * m] = (long double)alpha * sum + (long double)beta * old;
      mag[i + j * m] = fabs(alpha) * (double)abs_sum + fabs(beta * old);
    }
  memcpy(a.saved, a.base, a.len * a.es);
  if (!syrk) memcpy(b.saved, b.base, b.len * b.es);
  memcpy(c.saved, c.base, c.len * c.es);

  int lay = s->layout == 'C' ? CblasColMajor : CblasRowMajor;
  int cta = ta == 'N' ? CblasNoTrans : ta == 'T' ? CblasTrans : CblasConjTrans;
  int ctb = tb == 'N' ? CblasNoTrans : tb == 'T' ? CblasTrans : CblasConjTrans;
  int cup = uplo == 'U' ? CblasUpper : CblasLower;
  int im = (int)m, in = (int)n, ik = (int)k, lda = (int)a.ld, ldb = (int)b.ld, ldc = (int)c.ld;
  float fa = (float)alpha, fb = (float)beta;
  if (rt == DGEMM && fortran)
    dgemm_(&ta, &tb, &im, &in, &ik, &alpha, data(&a), &lda, data(&b), &ldb, &beta, data(&c),
           &ldc, 1, 1);
  else if (rt == DGEMM)
    cblas_dgemm(lay, cta, ctb, im, in, ik, alpha, data(&a), lda, data(&b), ldb, beta, data(&c),
                ldc);
  else if (rt == SSYRK && fortran)
    ssyrk_(&uplo, &ta, &in, &ik, &fa, data(&a), &lda, &fb, data(&c), &ldc, 1, 1);
  else if (rt == SSYRK)
    cblas_ssyrk(lay, cup, cta, in, ik, fa, data(&a), lda, fb, data(&c), ldc);
  else if (fortran)
    dsyrk_(&uplo, &ta, &in, &ik, &alpha, data(&a), &lda, &beta, data(&c), &ldc, 1, 1);
  else
    cblas_dsyrk(lay, cup, cta, in, ik, alpha, data(&a), lda, beta, data(&c), ldc);

  double eps = is_double() ? 0x1p-52 : CHECK_EPS_F32, tiny = is_double() ? 1e-300 : 1e-30;
  int64_t bad = 0, changed = 0;
  bool a_same = memcmp(a.base, a.saved, a.len * a.es) == 0;
  bool b_same = syrk || memcmp(b.base, b.saved, b.len * b.es) == 0;
  for (size_t idx = 0; idx < c.len; idx++) {
    int64_t e = (int64_t)idx - GUARD, outer = e / c.ld, inner = e % c.ld;
    int64_t i = c.layout == 'C' ? inner : outer, j = c.layout == 'C' ? outer : inner;
    bool written = e >= 0 && i < m && j < n && e < (int64_t)c.len - 2 * GUARD &&
                   !(syrk && (uplo == 'U' ? i > j : i < j));
    if (!written) {
      if (memcmp(c.base + idx * c.es, c.saved + idx * c.es, c.es) && changed++ == 0)
        printf("FAIL [%s] %s: C element %lld (outside what it may write) changed\n", tag,
               routine_names[rt], (long long)e);
      continue;
    }
    double got = get(&c, e), bound = 8.0 * (double)(k + 2) * eps * mag[i + j * m] + tiny;
    if (!(fabsl((long double)got - ref[i + j * m]) <= bound) && bad++ == 0)
      printf("FAIL [%s] %s: C(%lld,%lld) = %.17g, want %.17Lg (bound %.3g)\n", tag,
             routine_names[rt], (long long)i, (long long)j, got, ref[i + j * m], bound);
  }
  bool ok = a_same && b_same && bad == 0 && changed == 0;
  if (!a_same || !b_same) printf("FAIL [%s] %s: A or B changed\n", tag, routine_names[rt]);
  if (!ok)
    printf("  in: %s %s layout=%c t=%c%c M=%lld N=%lld K=%lld ld=%lld,%lld,%lld alpha=%g "
           "beta=%g: %lld wrong, %lld changed outside\n",
           fortran ? "Fortran" : "cblas", routine_names[rt], s->layout, s->t1, s->t2,
           (long long)m, (long long)n, (long long)k, (long long)a.ld, (long long)b.ld,
           (long long)c.ld, alpha, beta, (long long)bad, (long long)changed);
  free(opa), free(ref), free(mag);
  if (!syrk) free(opb), free(b.base), free(b.saved);
  free(a.base), free(a.saved), free(c.base), free(c.saved);
  return ok;
}

/* Call number i of shape s, checked. */
static bool one_call(const shape *s, int i, check_rng *rng, const char *tag) {
  bool beta_zero = beta_zero_every && i % beta_zero_every == 0;
  /* The Fortran spelling on every third column-major call. */
  bool fortran = s->layout == 'C' && i % 3 == 2;
  if (rt != SGEMM) return run_other(s, fortran, beta_zero, rng, tag);
  check_gemm g = {.entry = fortran ? CHECK_FORTRAN : CHECK_CBLAS, .layout = s->layout,
                  .transa = s->t1, .transb = s->t2, .m = s->m, .n = s->n, .k = s->k,
                  .alpha = 1.5f * check_rng_unit(rng),
                  .beta = beta_zero ? 0.0f : check_rng_unit(rng)};
  int64_t pa = check_rng_range(rng, 0, 3), pb = check_rng_range(rng, 0, 3),
          pc = check_rng_range(rng, 0, 3);
  return check_case_run(g, pa, pb, pc, CHECK_F32, NULL, rng, tag, NULL);
}

/* `rounds` rounds over the shapes; returns the number of wrong calls. */
static int run_calls(int rounds, uint64_t stream, const char *tag) {
  check_rng rng;
  check_rng_seed(&rng, seed * 1000003u + stream);
  int failed = 0;
  for (int i = 0; i < rounds; i++)
    for (int s = 0; s < nshapes; s++) failed += !one_call(&shapes[s], i, &rng, tag);
  return failed;
}

typedef struct worker {
  int index, failed;
} worker;

static void *work(void *arg) {
  worker *w = arg;
  char tag[32];
  snprintf(tag, sizeof tag, "thread %d", w->index);
  w->failed = run_calls(calls, (uint64_t)w->index, tag);
  return NULL;
}

/* One SPEC (see the top of the file); false when malformed. */
static bool parse_shape(char *spec) {
  if (nshapes == MAX_SHAPES) return false;
  shape s = {.t1 = 'N', .t2 = is_syrk() ? 'U' : 'N', .layout = 'C'};
  char *field[5] = {0};
  int nf = 0;
  for (char *save = NULL, *f = strtok_r(spec, ",", &save); f && nf < 5;
       f = strtok_r(NULL, ",", &save))
    field[nf++] = f;
  long long v[3];
  if (nf < 3 || nf > 5) return false;
  for (int i = 0; i < 3; i++)
    if (!check_parse_number(field[i], 1, &v[i]) || v[i] > 100000) return false;
  s.m = v[0], s.n = v[1], s.k = v[2];
  if (nf >= 4) {
    if (strlen(field[3]) != 2) return false;
    s.t1 = field[3][0], s.t2 = field[3][1];
  }
  if (nf == 5 && (strlen(field[4]) != 1 || !strchr("CR", field[4][0]))) return false;
  if (nf == 5) s.layout = field[4][0];
  bool ok = is_syrk() ? strchr("NT", s.t1) && strchr("UL", s.t2) && s.m == s.n
                      : strchr("NTC", s.t1) && strchr("NTC", s.t2);
  if (ok) shapes[nshapes++] = s;
  return ok;
}

static int usage(const char *prog) {
  fprintf(stderr,
          "usage: %s [--routine sgemm|dgemm|ssyrk|dsyrk] [--shape M,N,K[,TT[,C|R]]]... "
          "[--calls N] [--threads T] [--fork] [--seed S] [--beta mixed|zero|nonzero]\n",
          prog);
  return 2;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  static const struct option longopts[] = {
      {"routine", required_argument, NULL, 'r'}, {"shape", required_argument, NULL, 's'},
      {"calls", required_argument, NULL, 'c'},   {"threads", required_argument, NULL, 't'},
      {"fork", no_argument, NULL, 'f'},          {"seed", required_argument, NULL, 'S'},
      {"beta", required_argument, NULL, 'b'},
      {NULL, 0, NULL, 0}};
  /* Shapes are parsed after the loop: a syrk SPEC reads differently. */
  char *specs[MAX_SHAPES];
  int nspecs = 0;
  bool do_fork = false;
  long long v;
  for (int o; (o = getopt_long(argc, argv, "", longopts, NULL)) != -1;) {
    if (o == 'r') {
      int r = 0;
      while (r < 4 && strcmp(optarg, routine_names[r])) r++;
      if (r == 4) return usage(argv[0]);
      rt = (routine)r;
    } else if (o == 's') {
      for (char *save = NULL, *p = strtok_r(optarg, ":", &save); p; p = strtok_r(NULL, ":", &save))
        if (nspecs < MAX_SHAPES) specs[nspecs++] = p;
        else return usage(argv[0]);
    } else if (o == 'c' && check_parse_number(optarg, 1, &v) && v <= 1000) {
      calls = (int)v;
    } else if (o == 't' && check_parse_number(optarg, 1, &v) && v <= MAX_THREADS) {
      threads = (int)v;
    } else if (o == 'b' && (!strcmp(optarg, "mixed") || !strcmp(optarg, "zero") ||
                            !strcmp(optarg, "nonzero"))) {
      beta_zero_every = optarg[0] == 'm' ? 2 : optarg[0] == 'z' ? 1 : 0;
    } else if (o == 'f') {
      do_fork = true;
    } else if (o == 'S' && check_parse_number(optarg, 0, &v)) {
      seed = (unsigned long long)v;
    } else {
      return usage(argv[0]);
    }
  }
  if (optind != argc) return usage(argv[0]);
  for (int i = 0; i < nspecs; i++)
    if (!parse_shape(specs[i])) {
      fprintf(stderr, "%s: bad shape '%s'\n", argv[0], specs[i]);
      return usage(argv[0]);
    }
  if (nshapes == 0) shapes[nshapes++] = (shape){263, 283, 297, 'N', is_syrk() ? 'U' : 'N', 'C'};
  dev_require_cpu_device();

  worker w[MAX_THREADS];
  pthread_t tid[MAX_THREADS];
  int failed = 0;
  for (int t = 0; t < threads; t++) {
    w[t] = (worker){.index = t};
    if (threads > 1 && pthread_create(&tid[t], NULL, work, &w[t]) != 0) {
      printf("FAIL: cannot start thread %d\n", t);
      return 1;
    }
  }
  if (threads == 1) work(&w[0]);
  for (int t = 0; t < threads; t++) {
    if (threads > 1) pthread_join(tid[t], NULL);
    failed += w[t].failed;
  }
  printf("test_adapt: %s, %d shape(s) x %d calls x %d thread(s): %d wrong\n", routine_names[rt],
         nshapes, calls, threads, failed);

  if (do_fork) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
      printf("FAIL: fork\n");
      return 1;
    }
    if (pid == 0) {
      alarm(CHILD_SECONDS);
      int child_failed = run_calls(calls, 1000, "child");
      printf("test_adapt child: %d shape(s) x %d calls: %d wrong\n", nshapes, calls,
             child_failed);
      fflush(NULL);
      _exit(child_failed ? 1 : 0);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      if (WIFSIGNALED(status))
        printf("FAIL: child killed by signal %d%s\n", WTERMSIG(status),
               WTERMSIG(status) == SIGALRM ? " (alarm: it hung)" : "");
      else
        printf("FAIL: child exited with %d\n", WEXITSTATUS(status));
      failed++;
    }
    int after = run_calls(1, 2000, "parent after fork");
    printf("test_adapt: parent after the child: %d wrong\n", after);
    failed += after;
  }
  printf("%s\n", failed ? "FAIL" : "PASS");
  return failed ? 1 : 0;
}
