/* Maps which SGEMM calls the host OpenBLAS itself gets wrong: the calls
 * that libgemm590's guard in lib/ must keep away from it.
 *
 *   openblas_defect            one line per failing call, then a summary
 *   openblas_defect --list     failing calls only, as whitespace-separated
 *                              fields (see LIST_HEADER), for a predicate test
 *   openblas_defect --all      every call, passing ones too
 *
 * OpenBLAS ALONE is tested: the host BLAS (the fallback_lib build option,
 * libopenblas.so.0 by default; GEMM590_FALLBACK_LIB overrides it as it does
 * for the library) is dlopen()ed and its own sgemm_ (and, for a few
 * row-major calls, cblas_sgemm) taken from that handle.  This program does
 * not link libgemm590.
 *
 * The defect (OpenBLAS 0.3.21, DYNAMIC_ARCH, SkylakeX and Cooperlake
 * cores): interface/gemm.c sends every call with M*N*K <= 100^3 (and, for
 * transposed A, K >= 4 (TT) or K >= 32 and M*N <= 1200 (TN)) to the
 * AVX-512 small-matrix kernels kernel/x86_64/sgemm_small_kernel_*_skylakex.c.
 * Those store (and, when beta != 0, load) parts of C with 32-bit
 * gather/scatter indices c * ldc, c = 0..3 (NN, TN) or 0..15 (NT, TT):
 * once c * ldc >= 2^31 the index wraps and the access goes up to 8 GiB
 * away from C.  They also compute alpha * (A B) when alpha = 0, reading A
 * and B (NaN or Inf there makes C NaN; NULL A or B crashes), which the
 * reference BLAS never does.
 *
 * Every call runs in its own forked child, so a crash is recorded, not
 * fatal.  Each operand is a MAP_NORESERVE anonymous mapping of which only
 * the pages holding its elements and canaries are touched, with 8 GiB of
 * PROT_NONE address space on each side: a wrapped 32-bit index can only
 * land in the operand (a wrong element, a changed canary) or in a guard
 * (SIGSEGV, whose address is reported as an element offset).  In a real
 * program the same access is a crash or a silent write to other memory.
 *
 * Operands hold random nonzero values (C: NaN when beta = 0, since it must
 * not be read); the float64 reference and the bound are those of check.c
 * (|c - ref| <= 8 (K + 2) eps mag).  A call fails when an element of C is
 * out of bound, a canary around C changes, or anything of A or B changes.
 *
 * Exit status: 0 when the sweep ran, whether or not the defect is there
 * ("defect present" / "defect absent: the guard in lib/ can be dropped");
 * 77 (skip) when the host BLAS or its sgemm_ cannot be loaded or the
 * mappings cannot be made; 2 on a usage error. */
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef HOST_BLAS_SONAME
#error "HOST_BLAS_SONAME must name the host BLAS (set by test/correctness/meson.build)"
#endif

enum { SKIP = 77, NEAR = 4 /* canaries before, after and between stripes */ };
static const size_t GUARD = (size_t)1 << 33; /* 2^31 elements of 4 bytes */
static const double EPS_F32 = 1.1920928955078125e-07;
static const int CHILD_SECONDS = 30; /* a hung call is reported, not waited for */

typedef void (*sgemm_fn)(const char *, const char *, const int *, const int *, const int *,
                         const float *, const float *, const int *, const float *, const int *,
                         const float *, float *, const int *, size_t, size_t);
typedef void (*cblas_fn)(int, int, int, int, int, int, float, const float *, int, const float *,
                         int, float, float *, int);
enum { CBLAS_ROW = 101, CBLAS_NOTRANS = 111, CBLAS_TRANS = 112 };

static sgemm_fn host_sgemm;
static cblas_fn host_cblas;
static const char *host_core = "?";
static bool model_applies; /* the core is one with the 0.3.21 small kernels */

/* ---- one call ---- */

typedef enum ops_kind {
  OPS_RANDOM, /* A, B random nonzero in [-1, 1] */
  OPS_NAN_A,  /* every element of A is NaN, B random */
  OPS_INF_B,  /* every element of B is +Inf, A random */
  OPS_NULL_AB /* A and B are NULL pointers (valid only when alpha = 0 or K = 0) */
} ops_kind;
static const char *const ops_names[] = {"random", "nanA", "infB", "nullAB"};

typedef struct gcase {
  const char *group;
  char api; /* 'F' sgemm_, 'R' cblas_sgemm(CblasRowMajor, ...) */
  char ta, tb;
  int m, n, k, lda, ldb, ldc;
  float alpha, beta;
  ops_kind ops;
} gcase;

typedef enum status {
  ST_LOST = 0, /* the child ended without a report */
  ST_PASS,
  ST_WRONG,
  ST_CRASH,
  ST_HANG,
  ST_NOMAP /* the operands could not be mapped */
} status;

typedef struct gresult {
  status st;
  int sig;
  int64_t wrong, total;   /* elements of C out of bound, M * N */
  int64_t outside;        /* canaries around C changed */
  int64_t ab_changed;     /* elements or canaries of A and B changed */
  int bad_i, bad_j;       /* first wrong element */
  double got, want;
  int fault_known;        /* SIGSEGV/SIGBUS address recorded */
  char fault_op;          /* 'A', 'B', 'C' or 0 (outside every operand) */
  int64_t fault_off;      /* elements from that operand's (0, 0) */
  uintptr_t fault_addr;
} gresult;

static bool failed(const gresult *r) { return r->st != ST_PASS && r->st != ST_NOMAP; }

/* ---- the model of the 0.3.21 defect, read from its source ----
 * permit: kernel/x86_64/sgemm_small_kernel_permit_skylakex.c.  Columns c
 * of C (within a block of 16) stored through a 32-bit index c * ldc:
 *   NN: rows M%16 in 1..8 take the dot-product branch when K >= 32; of
 *       those, the M%4 rows use 4-column scatters (N >= 4): c <= 3;
 *   TN: the M%4 rows use 4-column scatters (N >= 4): c <= 3;
 *   NT: rows M%16 in 1..11 are all scattered: c <= min(N, 16) - 1;
 *   TT: the M%4 rows are scattered: c <= min(N, 16) - 1.
 * A call goes wrong when the largest such c times ldc reaches 2^31 (the
 * index wraps).  Independently, with alpha = 0 every permitted call with
 * K > 0 reads A and B.  The test prints a MODEL line wherever the
 * measurement disagrees (expected for any other core or version). */
static bool model_permit(char ta, char tb, int64_t m, int64_t n, int64_t k) {
  if (m == 0 || n == 0) return false; /* quick return before the permit */
  if ((double)m * (double)n * (double)k > 1e6) return false;
  if (ta == 'T') {
    if (tb == 'T') return k >= 4;
    return m * n <= 1200 && k >= 32;
  }
  return true;
}

static int model_max_column(char ta, char tb, int64_t m, int64_t n, int64_t k) {
  if (!model_permit(ta, tb, m, n, k)) return 0;
  int cmax16 = (int)(n < 16 ? n : 16) - 1;
  if (ta == 'N' && tb == 'N') {
    int mm = (int)(m % 16);
    return mm >= 1 && mm <= 8 && k >= 32 && m % 4 && n >= 4 ? 3 : 0;
  }
  if (ta == 'T' && tb == 'N') return m % 4 && n >= 4 ? 3 : 0;
  if (ta == 'N' && tb == 'T') {
    int mm = (int)(m % 16);
    return mm >= 1 && mm <= 11 ? cmax16 : 0;
  }
  return m % 4 ? cmax16 : 0;
}

/* Whether the model says the call (as column-major sgemm_) goes wrong:
 * huge ldc as above; NaN, Inf or NULL operands with alpha = 0 whenever the
 * small kernels take the call and K > 0 (they read A and B then). */
static bool model_fails(const gcase *g) {
  if (!model_applies) return false;
  char ta = g->ta, tb = g->tb;
  int64_t m = g->m, n = g->n;
  /* Row-major: the transposed product, A and B swapped.  (The AVX-512
   * sgemm_direct path of cblas_sgemm for row-major NN, alpha 1, beta 0 is
   * compiled only when the interface is built for SkylakeX, never in a
   * DYNAMIC_ARCH build such as Debian's: measured, it is not taken.) */
  if (g->api == 'R') ta = g->tb, tb = g->ta, m = g->n, n = g->m;
  if (g->ops != OPS_RANDOM)
    return g->alpha == 0.0f && g->k > 0 && model_permit(ta, tb, m, n, g->k);
  return (int64_t)model_max_column(ta, tb, m, n, g->k) * g->ldc >= ((int64_t)1 << 31);
}

/* ---- random numbers (as check.c: splitmix64, nonzero values) ---- */

static uint64_t rng_next(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

static float rng_unit(uint64_t *s) {
  uint32_t u = (uint32_t)(rng_next(s) >> 40);
  return (float)(((double)u * 2.0 + 1.0) / 16777216.0 - 1.0);
}

static float canary(void) {
  uint32_t bits = 0x7fa5a5a5u; /* signalling NaN with a payload, as check.c */
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

static bool same_bits(float x, float y) { return memcmp(&x, &y, sizeof x) == 0; }

/* ---- operands: sparse views of guarded huge mappings ---- */

typedef struct operand {
  char name;
  int64_t rows, cols, ld;
  char *res;        /* guard, the elements' span, guard */
  size_t res_bytes;
  float *data;      /* element (0, 0) */
  float *saved;     /* the rows x cols block before the call */
} operand;

/* Canaries after stripe j: NEAR elements, or up to the next stripe. */
static int64_t padding_end(const operand *o, int64_t j) {
  int64_t end = o->rows + NEAR;
  return j + 1 < o->cols && end > o->ld ? o->ld : end;
}

static bool operand_map(operand *o, char name, int64_t rows, int64_t cols, int64_t ld) {
  if (!rows || !cols) rows = cols = 0; /* nothing of it may be read */
  *o = (operand){.name = name, .rows = rows, .cols = cols, .ld = ld};
  int64_t span = 2 * NEAR + (cols ? ld * (cols - 1) + rows : 0);
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  size_t bytes = ((size_t)span * sizeof(float) + page - 1) / page * page;
  o->res_bytes = GUARD + bytes + GUARD;
  void *p = mmap(NULL, o->res_bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
                 0);
  if (p == MAP_FAILED) return false;
  o->res = p;
  if (mprotect(o->res + GUARD, bytes, PROT_READ | PROT_WRITE)) return false;
  o->data = (float *)(o->res + GUARD) + NEAR;
  o->saved = malloc(sizeof(float) * (size_t)(rows * cols + 1));
  return o->saved != NULL;
}

/* Block values from `value` (NAN, INFINITY) or random when value is 0. */
static void operand_fill(operand *o, float value, uint64_t *rng) {
  float c = canary();
  for (int i = 1; i <= NEAR; i++) o->data[-i] = c;
  if (!o->cols) {
    for (int i = 0; i < NEAR; i++) o->data[i] = c;
    return;
  }
  for (int64_t j = 0; j < o->cols; j++) {
    for (int64_t i = 0; i < o->rows; i++)
      o->data[i + j * o->ld] = o->saved[i + j * o->rows] = value != 0.0f ? value : rng_unit(rng);
    for (int64_t i = o->rows; i < padding_end(o, j); i++) o->data[i + j * o->ld] = c;
  }
}

/* Changed canaries, and block elements too when `block`. */
static int64_t operand_changed(const operand *o, bool block) {
  float c = canary();
  int64_t changed = 0;
  for (int i = 1; i <= NEAR; i++) changed += !same_bits(o->data[-i], c);
  if (!o->cols) {
    for (int i = 0; i < NEAR; i++) changed += !same_bits(o->data[i], c);
    return changed;
  }
  for (int64_t j = 0; j < o->cols; j++) {
    for (int64_t i = 0; block && i < o->rows; i++)
      changed += !same_bits(o->data[i + j * o->ld], o->saved[i + j * o->rows]);
    for (int64_t i = o->rows; i < padding_end(o, j); i++)
      changed += !same_bits(o->data[i + j * o->ld], c);
  }
  return changed;
}

/* Stored shape of operand A, B or C of g, as a column-major view. */
static void storage(const gcase *g, char which, int64_t *rows, int64_t *cols) {
  bool flip = g->api == 'R';
  int64_t r, c;
  if (which == 'A') {
    r = g->m, c = g->k, flip ^= g->ta == 'T';
  } else if (which == 'B') {
    r = g->k, c = g->n, flip ^= g->tb == 'T';
  } else {
    r = g->m, c = g->n;
  }
  *rows = flip ? c : r;
  *cols = flip ? r : c;
}

/* ---- the child: one call ---- */

static gresult *child_slot;
static operand *child_ops[3];

static void on_fault(int sig, siginfo_t *si, void *uc) {
  (void)sig, (void)uc;
  uintptr_t a = (uintptr_t)si->si_addr;
  child_slot->fault_known = 1;
  child_slot->fault_addr = a;
  for (int i = 0; i < 3; i++) {
    const operand *o = child_ops[i];
    if (o && o->res && a >= (uintptr_t)o->res && a < (uintptr_t)o->res + o->res_bytes) {
      child_slot->fault_op = o->name;
      child_slot->fault_off = ((int64_t)a - (int64_t)(uintptr_t)o->data) / (int64_t)sizeof(float);
    }
  }
  /* SA_RESETHAND: returning re-executes the access, which now kills. */
}

static void child_run(const gcase *g, gresult *r, uint64_t seed) {
  child_slot = r;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGBUS, &sa, NULL);
  alarm((unsigned)CHILD_SECONDS);

  static operand a, b, c;
  int64_t rows, cols;
  bool null_ab = g->ops == OPS_NULL_AB;
  bool mapped = true;
  if (!null_ab) {
    storage(g, 'A', &rows, &cols);
    mapped = mapped && operand_map(&a, 'A', rows, cols, g->lda);
    storage(g, 'B', &rows, &cols);
    mapped = mapped && operand_map(&b, 'B', rows, cols, g->ldb);
  }
  storage(g, 'C', &rows, &cols);
  mapped = mapped && operand_map(&c, 'C', rows, cols, g->ldc);
  if (!mapped) {
    r->st = ST_NOMAP;
    r->sig = errno;
    return;
  }
  child_ops[0] = null_ab ? NULL : &a;
  child_ops[1] = null_ab ? NULL : &b;
  child_ops[2] = &c;

  uint64_t rng = seed;
  if (!null_ab) {
    operand_fill(&a, g->ops == OPS_NAN_A ? NAN : 0.0f, &rng);
    operand_fill(&b, g->ops == OPS_INF_B ? INFINITY : 0.0f, &rng);
  }
  operand_fill(&c, g->beta == 0.0f ? NAN : 0.0f, &rng);

  /* float64 reference from the values as they are now */
  const int64_t m = g->m, n = g->n, k = g->k;
  double *ref = malloc(sizeof(double) * (size_t)(m * n + 1));
  double *mag = malloc(sizeof(double) * (size_t)(m * n + 1));
  if (!ref || !mag) {
    r->st = ST_NOMAP;
    r->sig = ENOMEM;
    return;
  }
  bool fa = (g->api == 'R') ^ (g->ta == 'T'), fb = (g->api == 'R') ^ (g->tb == 'T');
  for (int64_t j = 0; j < n; j++) {
    for (int64_t i = 0; i < m; i++) {
      double sum = 0.0, abs_sum = 0.0;
      if (g->alpha != 0.0f) { /* as the reference BLAS: A, B unread when alpha = 0 */
        for (int64_t l = 0; l < k; l++) {
          double x = fa ? a.data[l + i * a.ld] : a.data[i + l * a.ld];
          double y = fb ? b.data[j + l * b.ld] : b.data[l + j * b.ld];
          sum += x * y;
          abs_sum += fabs(x * y);
        }
      }
      float *cij = g->api == 'R' ? &c.data[j + i * c.ld] : &c.data[i + j * c.ld];
      double cold = g->beta == 0.0f ? 0.0 : (double)g->beta * *cij;
      ref[i + j * m] = (double)g->alpha * sum + cold;
      mag[i + j * m] = fabs((double)g->alpha) * abs_sum + fabs(cold);
    }
  }

  const float *pa = null_ab ? NULL : a.data, *pb = null_ab ? NULL : b.data;
  if (g->api == 'F') {
    host_sgemm(&g->ta, &g->tb, &g->m, &g->n, &g->k, &g->alpha, pa, &g->lda, pb, &g->ldb,
               &g->beta, c.data, &g->ldc, 1, 1);
  } else {
    host_cblas(CBLAS_ROW, g->ta == 'N' ? CBLAS_NOTRANS : CBLAS_TRANS,
               g->tb == 'N' ? CBLAS_NOTRANS : CBLAS_TRANS, g->m, g->n, g->k, g->alpha, pa, g->lda,
               pb, g->ldb, g->beta, c.data, g->ldc);
  }

  r->total = m * n;
  for (int64_t j = 0; j < n; j++) {
    for (int64_t i = 0; i < m; i++) {
      double got = g->api == 'R' ? c.data[j + i * c.ld] : c.data[i + j * c.ld];
      double want = ref[i + j * m];
      double bound = 8.0 * (double)(k + 2) * EPS_F32 * mag[i + j * m] + 1e-30;
      if (!(fabs(got - want) <= bound)) {
        if (!r->wrong) r->bad_i = (int)i, r->bad_j = (int)j, r->got = got, r->want = want;
        r->wrong++;
      }
    }
  }
  r->outside = operand_changed(&c, false);
  r->ab_changed = null_ab ? 0 : operand_changed(&a, true) + operand_changed(&b, true);
  r->st = r->wrong || r->outside || r->ab_changed ? ST_WRONG : ST_PASS;
}

/* ---- the parent: runs cases in forked children, a few at a time ---- */

static int workers = 1;

/* Cases and results live in shared mappings: a fork then copies no page
 * tables for them (private memory of a few MiB made each fork ~3x
 * slower), and each child writes its result in place. */
static void *shared_alloc(size_t bytes) {
  void *p = mmap(NULL, bytes ? bytes : 1, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                 -1, 0);
  if (p == MAP_FAILED) {
    perror("openblas_defect: mmap");
    exit(1);
  }
  return p;
}

static void run_cases(const gcase *cs, gresult *rs, size_t n) {
  pid_t pids[64];
  size_t slots[64];
  int running = 0;
  size_t next = 0;
  memset(rs, 0, n * sizeof *rs);
  fflush(stdout);
  fflush(stderr);
  while (next < n || running) {
    while (running < workers && next < n) {
      pid_t pid = fork();
      if (pid == 0) {
        child_run(&cs[next], &rs[next], 590 + next);
        _exit(0);
      }
      if (pid < 0) {
        if (!running) {
          perror("openblas_defect: fork");
          exit(1);
        }
        break; /* wait for one to end, then try again */
      }
      pids[running] = pid, slots[running] = next++, running++;
    }
    int wstatus;
    pid_t done = waitpid(-1, &wstatus, 0);
    if (done < 0) {
      if (errno == EINTR) continue;
      perror("openblas_defect: waitpid");
      exit(1);
    }
    for (int w = 0; w < running; w++) {
      if (pids[w] != done) continue;
      gresult *r = &rs[slots[w]];
      if (WIFSIGNALED(wstatus)) {
        r->sig = WTERMSIG(wstatus);
        r->st = r->sig == SIGALRM ? ST_HANG : ST_CRASH;
      }
      pids[w] = pids[running - 1], slots[w] = slots[running - 1];
      running--;
      break;
    }
  }
}

/* ---- case lists ---- */

typedef struct caselist {
  gcase *v;
  gresult *r;
  size_t n, cap;
} caselist;

static void add(caselist *l, gcase g) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 4096;
    gcase *v = shared_alloc(cap * sizeof *v);
    if (l->n) memcpy(v, l->v, l->n * sizeof *v);
    if (l->v) munmap(l->v, l->cap * sizeof *v);
    l->v = v, l->cap = cap;
  }
  l->v[l->n++] = g;
}

static void caselist_free(caselist *l) {
  if (l->v) munmap(l->v, l->cap * sizeof *l->v);
  if (l->r) munmap(l->r, l->n * sizeof *l->r);
  *l = (caselist){0};
}

/* A call with the smallest valid leading dimensions, then `huge` put into
 * those named in `which` ("a", "b", "c", "abc"). */
static gcase make(const char *group, char ta, char tb, int m, int n, int k, const char *which,
                  int huge, float alpha, float beta) {
  gcase g = {.group = group, .api = 'F', .ta = ta, .tb = tb, .m = m, .n = n, .k = k,
             .alpha = alpha, .beta = beta, .ops = OPS_RANDOM};
  int64_t rows, cols;
  storage(&g, 'A', &rows, &cols);
  g.lda = rows > 1 ? (int)rows : 1;
  storage(&g, 'B', &rows, &cols);
  g.ldb = rows > 1 ? (int)rows : 1;
  storage(&g, 'C', &rows, &cols);
  g.ldc = rows > 1 ? (int)rows : 1;
  if (strchr(which, 'a')) g.lda = huge;
  if (strchr(which, 'b')) g.ldb = huge;
  if (strchr(which, 'c')) g.ldc = huge;
  return g;
}

static const char TRANS[4][2] = {{'N', 'N'}, {'N', 'T'}, {'T', 'N'}, {'T', 'T'}};

/* The leading dimensions of the sweep: 2^30 - 1, 2^30 + 3, 2^31 - 2. */
static const int HUGE_LD[] = {(1 << 30) - 1, (1 << 30) + 3, INT_MAX - 1};
#define LD_LARGEST (INT_MAX - 1)

/* Sizes: every M, N, K in 1..16 would be 4096 shapes per pair; these keep
 * every residue the kernels branch on (M mod 4, M mod 16 in 1..8, 9..11
 * and 12..15, N 1..4 and 15..17 columns, K 0, 3/4 and 31/32) plus sizes
 * up to 69 (a 64-row block and a remainder). */
static const int GRID_M[] = {1, 2, 3, 4, 5, 7, 8, 9, 11, 12, 13, 15, 16, 17, 21, 33, 63, 64, 69};
static const int GRID_N[] = {1, 2, 3, 4, 5, 8, 15, 16, 17, 33};
static const int GRID_K[] = {0, 1, 3, 4, 5, 14, 31, 32, 64};
/* Coarser grids for the other leading dimensions and values. */
static const int SMALL_M[] = {1, 2, 3, 4, 5, 8, 9, 12, 13, 17, 33};
static const int SMALL_N[] = {1, 2, 3, 4, 5, 16, 17};
static const int SMALL_K[] = {1, 4, 5, 14, 32, 33};
static const int TINY_M[] = {1, 2, 3, 4, 5, 9, 13, 17};
static const int TINY_N[] = {1, 2, 3, 4, 5, 16, 17};
static const int TINY_K[] = {1, 4, 14, 32, 33};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void add_grid(caselist *l, const char *group, const int *ms, size_t nm, const int *ns,
                     size_t nn, const int *ks, size_t nk, const char *which, int huge,
                     float beta) {
  /* every transpose pair, alpha 1 */
  for (int t = 0; t < 4; t++)
    for (size_t x = 0; x < nm; x++)
      for (size_t y = 0; y < nn; y++)
        for (size_t z = 0; z < nk; z++)
          add(l, make(group, TRANS[t][0], TRANS[t][1], ms[x], ns[y], ks[z], which, huge, 1.0f,
                      beta));
}

/* ---- reporting ---- */

static bool list_mode, all_mode;
static const char LIST_HEADER[] =
    "# group api ta tb M N K lda ldb ldc alpha beta operands outcome detail\n"
    "#   api: sgemm_ (column-major Fortran) or cblas_row (cblas_sgemm, CblasRowMajor)\n"
    "#   operands: random | nanA (A all NaN) | infB (B all +Inf) | nullAB (NULL A and B)\n"
    "#   outcome: wrong (detail: bad/total C elements) | crash | hang\n";

static const char *signame(int sig) {
  switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGILL: return "SIGILL";
    case SIGFPE: return "SIGFPE";
    case SIGABRT: return "SIGABRT";
    case SIGALRM: return "SIGALRM";
    default: return "signal";
  }
}

static void describe(const gcase *g, char *buf, size_t len) {
  char ops[40] = "";
  if (g->ops != OPS_RANDOM) snprintf(ops, sizeof ops, " operands=%s", ops_names[g->ops]);
  snprintf(buf, len, "%sta=%c tb=%c M=%d N=%d K=%d lda=%d ldb=%d ldc=%d alpha=%g beta=%g%s",
           g->api == 'R' ? "cblas_sgemm(RowMajor) " : "", g->ta, g->tb, g->m, g->n, g->k,
           g->lda, g->ldb, g->ldc, (double)g->alpha, (double)g->beta, ops);
}

static void outcome(const gresult *r, char *buf, size_t len) {
  switch (r->st) {
    case ST_PASS: snprintf(buf, len, "ok"); break;
    case ST_WRONG: {
      int at = snprintf(buf, len, "wrong %" PRId64 "/%" PRId64, r->wrong, r->total);
      if (r->wrong)
        at += snprintf(buf + at, len - (size_t)at, " (C(%d,%d) = %.7g, reference %.7g)",
                       r->bad_i, r->bad_j, r->got, r->want);
      if (r->outside)
        at += snprintf(buf + at, len - (size_t)at, ", %" PRId64 " canaries around C changed",
                       r->outside);
      if (r->ab_changed)
        snprintf(buf + at, len - (size_t)at, ", A or B changed (%" PRId64 ")", r->ab_changed);
      break;
    }
    case ST_CRASH:
      if (r->fault_known && r->fault_op)
        snprintf(buf, len, "crash %s (address %+" PRId64 " elements from %c(0,0))",
                 signame(r->sig), r->fault_off, r->fault_op);
      else if (r->fault_known)
        snprintf(buf, len, "crash %s (address %#" PRIxPTR ")", signame(r->sig), r->fault_addr);
      else
        snprintf(buf, len, "crash %s", signame(r->sig));
      break;
    case ST_HANG: snprintf(buf, len, "hang (killed after %d s)", CHILD_SECONDS); break;
    case ST_NOMAP: snprintf(buf, len, "skipped: cannot map the operands (%s)", strerror(r->sig)); break;
    default: snprintf(buf, len, "lost (the child ended without a report)"); break;
  }
}

static void print_case(const gcase *g, const gresult *r) {
  if (list_mode) {
    if (!failed(r)) return;
    const char *what = r->st == ST_WRONG ? "wrong" : r->st == ST_CRASH ? "crash"
                       : r->st == ST_HANG ? "hang" : "lost";
    char detail[32];
    if (r->st == ST_WRONG)
      snprintf(detail, sizeof detail, "%" PRId64 "/%" PRId64, r->wrong, r->total);
    else if (r->st == ST_CRASH)
      snprintf(detail, sizeof detail, "%s", signame(r->sig));
    else
      snprintf(detail, sizeof detail, "-");
    printf("%s %s %c %c %d %d %d %d %d %d %.9g %.9g %s %s %s\n", g->group,
           g->api == 'R' ? "cblas_row" : "sgemm_", g->ta, g->tb, g->m, g->n, g->k, g->lda,
           g->ldb, g->ldc, (double)g->alpha, (double)g->beta, ops_names[g->ops], what, detail);
    return;
  }
  if (!failed(r) && !all_mode) return;
  char d[256], o[256];
  describe(g, d, sizeof d);
  outcome(r, o, sizeof o);
  printf("%s %s: %s [%s]\n", failed(r) ? "FAIL" : "ok  ", d, o, g->group);
}

/* Human-mode lines only. */
static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...) {
  if (list_mode) return;
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
}

/* Per group: cases, crashes, wrong, and disagreements with the model. */
typedef struct tally {
  const char *group;
  size_t cases, crash, wrong, hang, nomap, model_miss, model_extra;
  int64_t max_mnk_fail[4];  /* per transpose pair, -1: none */
} tally;

static tally tallies[32];
static int ntallies;
static size_t total_fail, total_nomap, total_sigill;
static int64_t max_mnk_fail[4] = {-1, -1, -1, -1};
static size_t model_disagree;

static int pair_index(char ta, char tb) { return (ta == 'T') * 2 + (tb == 'T'); }

static tally *tally_of(const char *group) {
  for (int i = 0; i < ntallies; i++)
    if (!strcmp(tallies[i].group, group)) return &tallies[i];
  tally *t = &tallies[ntallies++];
  *t = (tally){.group = group, .max_mnk_fail = {-1, -1, -1, -1}};
  return t;
}

static void record(const gcase *g, const gresult *r) {
  tally *t = tally_of(g->group);
  t->cases++;
  t->crash += r->st == ST_CRASH;
  t->wrong += r->st == ST_WRONG;
  t->hang += r->st == ST_HANG || r->st == ST_LOST;
  t->nomap += r->st == ST_NOMAP;
  total_nomap += r->st == ST_NOMAP;
  /* SIGILL: the core (forced by OPENBLAS_CORETYPE) uses instructions this
   * CPU lacks (Bulldozer's FMA4, Opteron's 3DNow! on a Zen): not the
   * defect, and not a model disagreement */
  bool sigill = r->st == ST_CRASH && r->sig == SIGILL;
  total_sigill += sigill;
  if (failed(r)) {
    total_fail++;
    int64_t mnk = (int64_t)g->m * g->n * g->k;
    /* the pair as sgemm_ sees it (row-major swaps A and B) */
    int p = g->api == 'R' ? pair_index(g->tb, g->ta) : pair_index(g->ta, g->tb);
    if (mnk > t->max_mnk_fail[p]) t->max_mnk_fail[p] = mnk;
    if (g->ops == OPS_RANDOM && g->alpha != 0.0f && mnk > max_mnk_fail[p]) max_mnk_fail[p] = mnk;
  }
  if (r->st != ST_NOMAP && !sigill) {
    bool predicted = model_fails(g);
    if (predicted && !failed(r)) t->model_extra++, model_disagree++;
    if (!predicted && failed(r)) t->model_miss++, model_disagree++;
    if (predicted != failed(r) && !list_mode) {
      char d[256];
      describe(g, d, sizeof d);
      printf("MODEL %s: model says %s, measured %s [%s]\n", d, predicted ? "fail" : "pass",
             failed(r) ? "fail" : "pass", g->group);
    }
  }
}

static void run_and_report(caselist *l) {
  l->r = shared_alloc(l->n * sizeof *l->r);
  run_cases(l->v, l->r, l->n);
  for (size_t i = 0; i < l->n; i++) {
    print_case(&l->v[i], &l->r[i]);
    record(&l->v[i], &l->r[i]);
  }
}

/* ---- the smallest failing ldc, by bisection on [rows of C, INT_MAX] ----
 * c * ldc >= 2^31 is monotone in ldc, so each search keeps (pass, fail). */
typedef struct search {
  gcase g;
  int64_t lo, hi; /* lo passes, hi fails; hi = 0 until INT_MAX failed */
  int state;      /* 0: test lo and INT_MAX, 1: bisect, 2: done */
  bool never;     /* INT_MAX passes */
  bool bad_lo;    /* the smallest ldc fails already */
} search;

static void thresholds(void) {
  static const int ns[] = {2, 3, 4, 5, 8, 9, 15, 16, 17, 33};
  /* shapes on each pair's scattered rows: M rows left over, K past the
   * permit and the NN dot branch */
  static const int shape_m[4] = {5, 1, 5, 1}, shape_k[4] = {32, 1, 32, 4};
  search s[4 * COUNT(ns)];
  size_t ns_total = 0;
  for (int t = 0; t < 4; t++)
    for (size_t i = 0; i < COUNT(ns); i++) {
      search *x = &s[ns_total++];
      *x = (search){.g = make("ldc-threshold", TRANS[t][0], TRANS[t][1], shape_m[t], ns[i],
                              shape_k[t], "", 0, 1.0f, 0.0f)};
      x->lo = x->g.ldc;
    }
  caselist round = {0};
  /* first round: each search's smallest ldc and INT_MAX */
  for (size_t i = 0; i < ns_total; i++) {
    gcase lo = s[i].g, hi = s[i].g;
    lo.ldc = (int)s[i].lo;
    hi.ldc = INT_MAX;
    add(&round, lo);
    add(&round, hi);
  }
  gresult *rr = shared_alloc(round.n * sizeof *rr);
  run_cases(round.v, rr, round.n);
  for (size_t i = 0; i < ns_total; i++) {
    s[i].bad_lo = failed(&rr[2 * i]);
    s[i].never = !failed(&rr[2 * i + 1]);
    s[i].hi = INT_MAX;
    s[i].state = s[i].never || s[i].bad_lo ? 2 : 1;
  }
  munmap(rr, round.n * sizeof *rr);
  for (;;) {
    round.n = 0;
    size_t who[4 * COUNT(ns)];
    for (size_t i = 0; i < ns_total; i++) {
      if (s[i].state != 1) continue;
      if (s[i].hi - s[i].lo <= 1) {
        s[i].state = 2;
        continue;
      }
      gcase g = s[i].g;
      g.ldc = (int)(s[i].lo + (s[i].hi - s[i].lo) / 2);
      who[round.n] = i;
      add(&round, g);
    }
    if (!round.n) break;
    rr = shared_alloc(round.n * sizeof *rr);
    run_cases(round.v, rr, round.n);
    for (size_t j = 0; j < round.n; j++) {
      search *x = &s[who[j]];
      if (failed(&rr[j]))
        x->hi = round.v[j].ldc;
      else
        x->lo = round.v[j].ldc;
    }
    munmap(rr, round.n * sizeof *rr);
  }
  caselist_free(&round);
  /* report, and put the confirming pair (threshold - 1 passes, threshold
   * fails) through the ordinary list so that --list has the case */
  caselist confirm = {0};
  note("\nSmallest failing ldc (bisection; beta = 0, alpha = 1, lda, ldb minimal):\n");
  for (size_t i = 0; i < ns_total; i++) {
    const search *x = &s[i];
    if (x->never) {
      note("  ta=%c tb=%c M=%d N=%-2d K=%-2d: none up to ldc = INT_MAX\n", x->g.ta, x->g.tb,
           x->g.m, x->g.n, x->g.k);
      continue;
    }
    if (x->bad_lo) {
      note("  ta=%c tb=%c M=%d N=%-2d K=%-2d: fails already at ldc = %" PRId64 "\n", x->g.ta,
           x->g.tb, x->g.m, x->g.n, x->g.k, x->lo);
      continue;
    }
    int cmax = model_max_column(x->g.ta, x->g.tb, x->g.m, x->g.n, x->g.k);
    note("  ta=%c tb=%c M=%d N=%-2d K=%-2d: ldc >= %" PRId64 " fails (%" PRId64
         " passes); 2^31 / ldc = %.4f; model: c*ldc >= 2^31 with c = %d -> ldc >= %" PRId64
         "\n",
         x->g.ta, x->g.tb, x->g.m, x->g.n, x->g.k, x->hi, x->lo,
         2147483648.0 / (double)x->hi, cmax,
         cmax ? (((int64_t)1 << 31) + cmax - 1) / cmax : (int64_t)-1);
    gcase g = x->g;
    g.ldc = (int)x->lo;
    add(&confirm, g);
    g.ldc = (int)x->hi;
    add(&confirm, g);
  }
  run_and_report(&confirm);
  caselist_free(&confirm);
}

/* ---- main ---- */

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--list")) {
      list_mode = true;
    } else if (!strcmp(argv[i], "--all")) {
      all_mode = true;
    } else {
      fprintf(stderr, "usage: %s [--list | --all]\n", argv[0]);
      return 2;
    }
  }
  /* One OpenBLAS thread unless the environment says otherwise: OpenBLAS's
   * fork handler makes each fork of a process with a thread pool about 4x
   * slower, and the small kernels (interface/gemm.c calls them before it
   * looks at threads) run on the calling thread whatever the setting. */
  bool threads_set = getenv("OPENBLAS_NUM_THREADS") || getenv("GOTO_NUM_THREADS") ||
                     getenv("OMP_NUM_THREADS");
  if (!threads_set) setenv("OPENBLAS_NUM_THREADS", "1", 0);
  const char *soname = getenv("GEMM590_FALLBACK_LIB");
  if (!soname || !*soname) soname = HOST_BLAS_SONAME;
  void *handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (handle) host_sgemm = (sgemm_fn)dlsym(handle, "sgemm_");
  if (!host_sgemm) {
    printf("SKIP: cannot load sgemm_ from %s: %s\n", soname, dlerror());
    return SKIP;
  }
  host_cblas = (cblas_fn)dlsym(handle, "cblas_sgemm");
  char *(*corename)(void) = (char *(*)(void))dlsym(handle, "openblas_get_corename");
  char *(*config)(void) = (char *(*)(void))dlsym(handle, "openblas_get_config");
  if (corename) host_core = corename();
  model_applies = !strcasecmp(host_core, "skylakex") || !strcasecmp(host_core, "cooperlake");
  Dl_info info;
  const char *path = dladdr((void *)host_sgemm, &info) && info.dli_fname ? info.dli_fname : "?";
  const char *coretype = getenv("OPENBLAS_CORETYPE");

  /* One mapping as large as the largest of the sweep (C of 69 columns at
   * ldc = 2^31 - 2 plus guards): refused means skip, as test_bigindex. */
  {
    size_t bytes = 2 * GUARD + (size_t)LD_LARGEST * sizeof(float) * 130;
    void *p = mmap(NULL, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
      printf("SKIP: cannot map %zu bytes of address space: %s\n", bytes, strerror(errno));
      return SKIP;
    }
    munmap(p, bytes);
  }

  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  workers = cpus < 1 ? 1 : cpus > 16 ? 16 : (int)cpus;
  double t0 = now();

  if (list_mode) fputs(LIST_HEADER, stdout);
  printf("%shost BLAS %s (%s), core %s, %s\n", list_mode ? "# " : "", soname, path, host_core,
         config ? config() : "(no openblas_get_config)");
  printf("%sOPENBLAS_CORETYPE=%s, OPENBLAS_NUM_THREADS=%s%s, %d children at a time\n",
         list_mode ? "# " : "", coretype ? coretype : "(unset)",
         getenv("OPENBLAS_NUM_THREADS") ? getenv("OPENBLAS_NUM_THREADS") : "(unset)",
         threads_set ? "" : " (set here)", workers);
  fflush(stdout);

  caselist l = {0};

  /* 1. huge ldc alone: the full grid at 2^31 - 2 (beta 0), the coarser
   *    one with beta 0.5 and at 2^30 - 1 and 2^30 + 3 */
#define GRID(g) g##_M, COUNT(g##_M), g##_N, COUNT(g##_N), g##_K, COUNT(g##_K)
  add_grid(&l, "ldc", GRID(GRID), "c", LD_LARGEST, 0.0f);
  add_grid(&l, "ldc", GRID(SMALL), "c", LD_LARGEST, 0.5f);
  add_grid(&l, "ldc", GRID(SMALL), "c", HUGE_LD[0], 0.0f);
  add_grid(&l, "ldc", GRID(SMALL), "c", HUGE_LD[1], 0.0f);
  /* the reported case */
  add(&l, make("ldc", 'T', 'T', 5, 4, 14, "c", INT_MAX - 1, 1.0f, 0.0f));

  /* 2. huge lda alone, ldb alone, all three: each value, both betas */
  static const char *const which[] = {"a", "b", "abc"};
  static const char *const which_group[] = {"lda", "ldb", "all"};
  for (int w = 0; w < 3; w++) {
    add_grid(&l, which_group[w], GRID(TINY), which[w], LD_LARGEST, 0.0f);
    add_grid(&l, which_group[w], GRID(TINY), which[w], LD_LARGEST, 0.5f);
    add_grid(&l, which_group[w], GRID(TINY), which[w], HUGE_LD[0], 0.5f);
    add_grid(&l, which_group[w], GRID(TINY), which[w], HUGE_LD[1], 0.0f);
  }

  /* 3. where the small kernels stop: cubes n^3 up to 128^3, M up to 130
   *    at each pair's triggering K, and the permit's edges */
  for (int t = 0; t < 4; t++)
    for (int s = 1; s <= 128; s++)
      add(&l, make("cube", TRANS[t][0], TRANS[t][1], s, s, s, "c", LD_LARGEST, 1.0f, 0.0f));
  /* K: the smallest that reaches each pair's scattered rows (NN: the dot
   * branch, TN: the permit, TT: the permit) */
  static const int scan_n[] = {4, 16}, scan_k[4] = {32, 1, 32, 4};
  for (int t = 0; t < 4; t++)
    for (int m = 1; m <= 130; m++)
      for (size_t y = 0; y < COUNT(scan_n); y++)
        add(&l, make("mscan", TRANS[t][0], TRANS[t][1], m, scan_n[y], scan_k[t], "c",
                     LD_LARGEST, 1.0f, 0.0f));
  /* permit edge: M*N*K = 10^6 (or just below) against one more K */
  static const int edge_mn[][2] = {{1, 16}, {5, 4}, {5, 16}, {11, 16}, {69, 16}, {5, 240},
                                   {3, 400}, {1, 3}, {7, 33}};
  for (int t = 0; t < 4; t++)
    for (size_t e = 0; e < COUNT(edge_mn); e++) {
      int m = edge_mn[e][0], n = edge_mn[e][1], k = 1000000 / (m * n);
      for (int d = 0; d < 2; d++)
        add(&l, make("edge", TRANS[t][0], TRANS[t][1], m, n, k + d, "c", LD_LARGEST, 1.0f,
                     0.0f));
    }
  /* TN: M*N 1200 against 1205 and K 31 against 32; TT: K 3 against 4;
   * NN: K 31 against 32 */
  add(&l, make("edge", 'T', 'N', 5, 240, 32, "c", LD_LARGEST, 1.0f, 0.0f));
  add(&l, make("edge", 'T', 'N', 5, 241, 32, "c", LD_LARGEST, 1.0f, 0.0f));
  add(&l, make("edge", 'T', 'N', 5, 4, 31, "c", LD_LARGEST, 1.0f, 0.0f));
  add(&l, make("edge", 'T', 'N', 5, 4, 32, "c", LD_LARGEST, 1.0f, 0.0f));
  add(&l, make("edge", 'T', 'T', 5, 4, 3, "c", LD_LARGEST, 1.0f, 0.0f));
  add(&l, make("edge", 'T', 'T', 5, 4, 4, "c", LD_LARGEST, 1.0f, 0.0f));
  add(&l, make("edge", 'N', 'N', 5, 4, 31, "c", LD_LARGEST, 1.0f, 0.0f));
  add(&l, make("edge", 'N', 'N', 5, 4, 32, "c", LD_LARGEST, 1.0f, 0.0f));

  /* 4. alpha = 0: NaN in A and B, Inf in A, NULL A and B, at small leading
   *    dimensions; the sizes straddle the permit. */
  static const int a0[][3] = {{1, 1, 1},   {2, 2, 2},    {5, 4, 14},   {4, 4, 4},
                              {16, 16, 16}, {5, 4, 32},   {8, 8, 64},   {100, 100, 100},
                              {101, 100, 100}, {128, 128, 128}, {3, 3, 0}};
  for (int t = 0; t < 4; t++)
    for (size_t s = 0; s < COUNT(a0); s++)
      for (int o = OPS_NAN_A; o <= OPS_NULL_AB; o++)
        for (int bi = 0; bi < 2; bi++) {
          gcase g = make("alpha0", TRANS[t][0], TRANS[t][1], a0[s][0], a0[s][1], a0[s][2], "",
                         0, 0.0f, bi ? 0.5f : 0.0f);
          g.ops = (ops_kind)o;
          add(&l, g);
        }
  /* alpha = 0 with a huge ldc (random operands) */
  for (int t = 0; t < 4; t++)
    for (int bi = 0; bi < 2; bi++) {
      add(&l, make("alpha0-ldc", TRANS[t][0], TRANS[t][1], 5, 4, 14, "c", LD_LARGEST, 0.0f,
                   bi ? 0.5f : 0.0f));
      add(&l, make("alpha0-ldc", TRANS[t][0], TRANS[t][1], 5, 16, 32, "c", LD_LARGEST, 0.0f,
                   bi ? 0.5f : 0.0f));
    }

  /* 5. row-major cblas_sgemm (for the record: libgemm590 always calls
   *    sgemm_): the row-major call of each failing column-major shape */
  if (host_cblas) {
    static const int rm[][3] = {{4, 5, 14}, {16, 1, 1}, {4, 5, 32}, {16, 5, 4}, {3, 3, 3}};
    for (int t = 0; t < 4; t++)
      for (size_t s = 0; s < COUNT(rm); s++)
        for (int ab = 0; ab < 2; ab++) {
          /* row-major M x N: the column-major N x M product with A, B swapped */
          gcase g = make("cblas-row", TRANS[t][0], TRANS[t][1], rm[s][0], rm[s][1], rm[s][2],
                         "", 0, ab ? 1.5f : 1.0f, ab ? 0.5f : 0.0f);
          g.api = 'R';
          int64_t rows, cols;
          storage(&g, 'A', &rows, &cols);
          g.lda = rows > 1 ? (int)rows : 1;
          storage(&g, 'B', &rows, &cols);
          g.ldb = rows > 1 ? (int)rows : 1;
          g.ldc = LD_LARGEST;
          add(&l, g);
        }
  }

  run_and_report(&l);
  thresholds();

  /* ---- summary ---- */
  note("\nSummary (core %s, OPENBLAS_CORETYPE=%s):\n", host_core, coretype ? coretype : "(unset)");
  note("  %-14s %7s %7s %7s %7s  %s\n", "group", "cases", "crash", "wrong", "hang",
       "largest failing M*N*K per pair NN NT TN TT");
  for (int i = 0; i < ntallies; i++) {
    const tally *t = &tallies[i];
    note("  %-14s %7zu %7zu %7zu %7zu ", t->group, t->cases, t->crash, t->wrong, t->hang);
    for (int p = 0; p < 4; p++) {
      if (t->max_mnk_fail[p] < 0)
        note("  %8s", "-");
      else
        note("  %8" PRId64, t->max_mnk_fail[p]);
    }
    note("\n");
  }
  note("  largest failing M*N*K (random operands, alpha != 0): NN %" PRId64 ", NT %" PRId64
       ", TN %" PRId64 ", TT %" PRId64 " (-1: none)\n",
       max_mnk_fail[0], max_mnk_fail[1], max_mnk_fail[2], max_mnk_fail[3]);
  note("  model (0.3.21 small kernels, %s for core %s): %zu disagreement%s\n",
       model_applies ? "applied" : "predicts no failure", host_core, model_disagree,
       model_disagree == 1 ? "" : "s");
  note("  %.1f s\n", now() - t0);
  if (total_nomap) {
    printf("%sSKIP: %zu cases could not map their operands\n", list_mode ? "# " : "",
           total_nomap);
    return SKIP;
  }
  if (total_fail && total_fail == total_sigill)
    printf("%sdefect not measured: every failing call (%zu) died with SIGILL, core %s uses "
           "instructions this CPU lacks\n",
           list_mode ? "# " : "", total_fail, host_core);
  else if (total_fail)
    printf("%sdefect present: %zu failing calls (core %s)%s\n", list_mode ? "# " : "",
           total_fail, host_core, total_sigill ? "; some died with SIGILL" : "");
  else
    printf("%sdefect absent: the guard in lib/ can be dropped (core %s%s)\n",
           list_mode ? "# " : "", host_core,
           coretype ? "; OPENBLAS_CORETYPE is set, check the default core too" : "");
  return 0;
}
