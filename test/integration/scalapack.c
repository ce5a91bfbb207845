/* ScaLAPACK PSGEMM and PDGEMM over MPI ranks, each rank's local products
 * through its node BLAS (libgemm590 preloaded: scalapack.py).
 *
 * The global matrices are functions of their indices, so every rank fills
 * its own blocks (block-cyclic, NB x NB) and checks its own blocks of C
 * against a long double reference computed from the same functions: no
 * gathering, and every element of C is checked by the rank that owns it.
 * C starts as NaN-free data and beta != 0, so a block the product skipped
 * shows up too.  Prints one line per rank and product:
 *   "rank R psgemm|pdgemm M N K max_error BOUND ok|FAIL"
 * and exits 1 on any failure (after MPI_Finalize). */
#include <math.h>
#include <mpi.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

void Cblacs_pinfo(int *mypnum, int *nprocs);
void Cblacs_get(int context, int request, int *value);
void Cblacs_gridinit(int *context, const char *order, int nprow, int npcol);
void Cblacs_gridinfo(int context, int *nprow, int *npcol, int *myrow, int *mycol);
void Cblacs_gridexit(int context);
int numroc_(const int *n, const int *nb, const int *iproc, const int *isrcproc,
            const int *nprocs);
void descinit_(int *desc, const int *m, const int *n, const int *mb, const int *nb,
               const int *irsrc, const int *icsrc, const int *ictxt, const int *lld, int *info);
void psgemm_(const char *ta, const char *tb, const int *m, const int *n, const int *k,
             const float *alpha, const float *a, const int *ia, const int *ja, const int *desca,
             const float *b, const int *ib, const int *jb, const int *descb, const float *beta,
             float *c, const int *ic, const int *jc, const int *descc);
void pdgemm_(const char *ta, const char *tb, const int *m, const int *n, const int *k,
             const double *alpha, const double *a, const int *ia, const int *ja,
             const int *desca, const double *b, const int *ib, const int *jb, const int *descb,
             const double *beta, double *c, const int *ic, const int *jc, const int *descc);

enum { NB = 32 };

/* Global A(i, j), B(i, j), C(i, j): small, nonzero, of both signs. */
static double a_at(int i, int j) { return 0.25 * ((i * 7 + j * 3) % 11) - 1.2; }
static double b_at(int i, int j) { return 0.5 * ((i * 5 + j * 13) % 9) - 1.9; }
static double c_at(int i, int j) { return 0.125 * ((i + 2 * j) % 5) + 0.3; }

/* The grid and one rank's view of an m x n block-cyclic matrix. */
typedef struct grid {
  int ctx, nprow, npcol, myrow, mycol;
} grid;

static int local_rows(const grid *g, int m) {
  int nb = NB, zero = 0;
  return numroc_(&m, &nb, &g->myrow, &zero, &g->nprow);
}
static int local_cols(const grid *g, int n) {
  int nb = NB, zero = 0;
  return numroc_(&n, &nb, &g->mycol, &zero, &g->npcol);
}
/* Global index of local row (or column) l on grid coordinate p of np. */
static int global_of(int l, int p, int np) { return (l / NB * np + p) * NB + l % NB; }

static void describe(const grid *g, int *desc, int m, int n) {
  int nb = NB, zero = 0, info, lld = local_rows(g, m);
  lld = lld > 1 ? lld : 1;
  descinit_(desc, &m, &n, &nb, &nb, &zero, &zero, &g->ctx, &lld, &info);
}

/* Fills and multiplies; returns true when every local element of C is
 * within the bound. */
static bool product(const grid *g, int rank, bool f64, int m, int n, int k) {
  int ra = local_rows(g, m), ca = local_cols(g, k), rb = local_rows(g, k), cb = local_cols(g, n);
  int rc = local_rows(g, m), cc = local_cols(g, n);
  size_t bytes = f64 ? 8 : 4;
  void *a = calloc((size_t)(ra ? ra : 1) * (ca ? ca : 1), bytes);
  void *b = calloc((size_t)(rb ? rb : 1) * (cb ? cb : 1), bytes);
  void *c = calloc((size_t)(rc ? rc : 1) * (cc ? cc : 1), bytes);
  int da[9], db[9], dc[9];
  describe(g, da, m, k), describe(g, db, k, n), describe(g, dc, m, n);
#define SET(x, ld, i, j, v)                                                                   \
  (f64 ? (void)(((double *)(x))[(size_t)(j) * (ld) + (i)] = (v))                              \
       : (void)(((float *)(x))[(size_t)(j) * (ld) + (i)] = (float)(v)))
  for (int j = 0; j < ca; j++)
    for (int i = 0; i < ra; i++)
      SET(a, ra, i, j, a_at(global_of(i, g->myrow, g->nprow), global_of(j, g->mycol, g->npcol)));
  for (int j = 0; j < cb; j++)
    for (int i = 0; i < rb; i++)
      SET(b, rb, i, j, b_at(global_of(i, g->myrow, g->nprow), global_of(j, g->mycol, g->npcol)));
  for (int j = 0; j < cc; j++)
    for (int i = 0; i < rc; i++)
      SET(c, rc, i, j, c_at(global_of(i, g->myrow, g->nprow), global_of(j, g->mycol, g->npcol)));
  int one = 1;
  double alpha = 0.75, beta = -0.5;
  if (f64) {
    pdgemm_("N", "N", &m, &n, &k, &alpha, a, &one, &one, da, b, &one, &one, db, &beta, c, &one,
            &one, dc);
  } else {
    float fa = (float)alpha, fb = (float)beta;
    psgemm_("N", "N", &m, &n, &k, &fa, a, &one, &one, da, b, &one, &one, db, &fb, c, &one, &one,
            dc);
  }
  double worst = 0, eps = f64 ? 0x1p-53 : 0x1p-24, bound = 4.0 * (k + 2) * eps * (3.0 * k + 1);
  for (int j = 0; j < cc; j++)
    for (int i = 0; i < rc; i++) {
      int gi = global_of(i, g->myrow, g->nprow), gj = global_of(j, g->mycol, g->npcol);
      long double s = 0;
      for (int l = 0; l < k; l++) s += (long double)a_at(gi, l) * b_at(l, gj);
      double want = (double)(alpha * s + beta * c_at(gi, gj));
      double got = f64 ? ((double *)c)[(size_t)j * rc + i] : ((float *)c)[(size_t)j * rc + i];
      double err = fabs(got - want);
      if (!(err <= worst)) worst = err; /* NaN becomes the worst */
    }
  bool ok = worst <= bound;
  printf("rank %d %s %d %d %d max_error %.3g bound %.3g %s\n", rank, f64 ? "pdgemm" : "psgemm",
         m, n, k, worst, bound, ok ? "ok" : "FAIL");
  fflush(stdout);
  free(a), free(b), free(c);
  return ok;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size, ctx;
  Cblacs_pinfo(&rank, &size);
  /* The most square grid: 2 ranks 1 x 2, 4 ranks 2 x 2. */
  int nprow = 1;
  while ((nprow + 1) * (nprow + 1) <= size && size % (nprow + 1) == 0) nprow++;
  grid g = {.nprow = nprow, .npcol = size / nprow};
  Cblacs_get(-1, 0, &ctx);
  Cblacs_gridinit(&ctx, "Row", g.nprow, g.npcol);
  g.ctx = ctx;
  Cblacs_gridinfo(ctx, &g.nprow, &g.npcol, &g.myrow, &g.mycol);
  bool ok = true;
  /* Odd sizes: partial blocks on the grid's edges. */
  ok &= product(&g, rank, false, 301, 263, 197);
  ok &= product(&g, rank, true, 301, 263, 197);
  Cblacs_gridexit(ctx);
  MPI_Finalize();
  return ok ? 0 : 1;
}
