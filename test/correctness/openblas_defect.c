/* Maps which SGEMM calls the host OpenBLAS itself gets wrong: the calls
 * that libgemm590's guard in lib/ must keep away from it.
 *
 *   openblas_defect            one line per failing call, then a summary
 *   openblas_defect --list     failing calls only, as whitespace-separated
 *                              fields (see LIST_HEADER in
 *                              openblas_defect_report.c), for a predicate test
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
 * mappings cannot be made; 2 on a usage error.
 *
 * Files: this one holds the case lists, the ldc bisection and main;
 * openblas_defect_run.c the operands, the forked child and the parent
 * that runs the cases; openblas_defect_report.c the model of the defect
 * and the reporting; openblas_defect.h what they share. */
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "openblas_defect.h"

#ifndef HOST_BLAS_SONAME
#error "HOST_BLAS_SONAME must name the host BLAS (set by test/correctness/meson.build)"
#endif

sgemm_fn host_sgemm;
cblas_fn host_cblas;
const char *host_core = "?";
bool model_applies; /* the core is one with the 0.3.21 small kernels */

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

/* Runs a list, then prints and tallies each case (openblas_defect_report.c). */
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

double now(void) {
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

  return summary(coretype, t0);
}
