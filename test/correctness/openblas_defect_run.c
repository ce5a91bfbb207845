/* openblas_defect: random numbers, operands, the forked child that makes
 * one call, and the parent that runs cases a few at a time (see
 * openblas_defect.c). */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "openblas_defect.h"

enum { NEAR = 4 /* canaries before, after and between stripes */ };
const size_t GUARD = (size_t)1 << 33; /* 2^31 elements of 4 bytes */
static const double EPS_F32 = 1.1920928955078125e-07;
const int CHILD_SECONDS = 30; /* a hung call is reported, not waited for */

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
void storage(const gcase *g, char which, int64_t *rows, int64_t *cols) {
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

int workers = 1;

/* Cases and results live in shared mappings: a fork then copies no page
 * tables for them (private memory of a few MiB made each fork ~3x
 * slower), and each child writes its result in place. */
void *shared_alloc(size_t bytes) {
  void *p = mmap(NULL, bytes ? bytes : 1, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                 -1, 0);
  if (p == MAP_FAILED) {
    perror("openblas_defect: mmap");
    exit(1);
  }
  return p;
}

void run_cases(const gcase *cs, gresult *rs, size_t n) {
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
