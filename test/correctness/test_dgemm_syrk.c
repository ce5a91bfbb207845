/* The contract of dgemm, ssyrk and dsyrk through every exported spelling
 * (CBLAS and Fortran, the pip wheels' prefixed and 64-bit-integer names):
 * random shapes (odd sizes, empty ones), both layouts, every transpose and
 * triangle, padded leading dimensions, alpha and beta of every kind.
 *
 * Each call is checked against a long double reference computed before
 * the call, with a bound that scales with K and the magnitudes of the
 * terms (float64: a small multiple of K * 2^-53).  C is poisoned before
 * each call: NaN where beta = 0 (the reference never reads C then), and
 * every element the call must not write (padding, the other triangle of
 * a syrk) holds a value that must come back bit-identical.  A is read-only
 * and must come back bit-identical too; with alpha = 0 A and B are NULL.
 *
 *   test_dgemm_syrk [--quick] [--expect-device | --expect-host] [--seed S] [--only ROUTINE]
 *                   [--large]
 *
 * --expect-device: fail unless some call ran on the device (counters);
 * --expect-host: fail if any call did (a forced kernel the selector must
 * refuse); how many did is printed either way.  --only dgemm|ssyrk|dsyrk: that
 * routine alone; --large: every size in 100..200 (with GEMM590_FAULT and a
 * small GEMM590_LINK_CHUNK, a device call then fails halfway through C and
 * the host finishes it). */
#include <dlfcn.h>
#include <math.h>
#include <sys/mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "gemm590.h"

typedef enum { DGEMM, SSYRK, DSYRK } routine;
static const char *const routine_names[] = {"dgemm", "ssyrk", "dsyrk"};

/* The eight spellings of each routine. */
typedef struct spelling {
  const char *format; /* printf format of the symbol, %s = routine */
  bool cblas, int64;
} spelling;
static const spelling spellings[] = {
    {"cblas_%s", true, false},        {"cblas_%s64_", true, true},
    {"scipy_cblas_%s", true, false},  {"scipy_cblas_%s64_", true, true},
    {"%s_", false, false},            {"%s_64_", false, true},
    {"scipy_%s_", false, false},      {"scipy_%s_64_", false, true},
};

/* One call, described in the caller's terms. */
typedef struct call {
  routine r;
  const spelling *sp;
  bool row_major;
  char ta, tb, uplo; /* 'N'/'T'/'C'; 'U'/'L' */
  int64_t m, n, k, lda, ldb, ldc;
  double alpha, beta;
} call;

static bool is_double(routine r) { return r != SSYRK; }
static bool is_syrk(routine r) { return r != DGEMM; }

/* Element (row, col) of a matrix in the call's layout. */
static int64_t at(const call *c, int64_t row, int64_t col, int64_t ld) {
  return c->row_major ? row * ld + col : row + col * ld;
}
static double get(const call *c, const void *x, int64_t i) {
  return is_double(c->r) ? ((const double *)x)[i] : ((const float *)x)[i];
}
static void put(const call *c, void *x, int64_t i, double v) {
  if (is_double(c->r)) ((double *)x)[i] = v;
  else ((float *)x)[i] = (float)v;
}

/* op(X)(i, l) for an operand stored rows x cols (as given) with trans t. */
static double op(const call *c, const void *x, int64_t ld, char t, int64_t i, int64_t l) {
  return t == 'N' ? get(c, x, at(c, i, l, ld)) : get(c, x, at(c, l, i, ld));
}

static bool in_triangle(const call *c, int64_t i, int64_t j) {
  return !is_syrk(c->r) || (c->uplo == 'U' ? i <= j : i >= j);
}

/* Stored rows and columns of A, B and C as the caller gives them. */
static void dims(const call *c, int64_t *ar, int64_t *ac, int64_t *br, int64_t *bc) {
  *ar = c->ta == 'N' ? c->m : c->k, *ac = c->ta == 'N' ? c->k : c->m;
  *br = c->tb == 'N' ? c->k : c->n, *bc = c->tb == 'N' ? c->n : c->k;
}
/* Elements of a stored rows x cols operand, plus one guard element. */
static size_t elems(const call *c, int64_t rows, int64_t cols, int64_t ld) {
  int64_t outer = c->row_major ? rows : cols;
  return (size_t)(outer > 0 ? outer * ld : 0) + 1;
}

typedef void (*cblas_gemm32)(int, int, int, int, int, int, double, const double *, int,
                             const double *, int, double, double *, int);
typedef void (*cblas_gemm64)(int, int, int, int64_t, int64_t, int64_t, double, const double *,
                             int64_t, const double *, int64_t, double, double *, int64_t);
typedef void (*f_gemm32)(const char *, const char *, const int *, const int *, const int *,
                         const double *, const double *, const int *, const double *,
                         const int *, const double *, double *, const int *, size_t, size_t);
typedef void (*f_gemm64)(const char *, const char *, const int64_t *, const int64_t *,
                         const int64_t *, const double *, const double *, const int64_t *,
                         const double *, const int64_t *, const double *, double *,
                         const int64_t *, size_t, size_t);
/* syrk: float and double pointers pass alike; the scalars by value need
 * their own types. */
typedef void (*cblas_ssyrk32)(int, int, int, int, int, float, const void *, int, float, void *,
                              int);
typedef void (*cblas_ssyrk64)(int, int, int, int64_t, int64_t, float, const void *, int64_t,
                              float, void *, int64_t);
typedef void (*cblas_dsyrk32)(int, int, int, int, int, double, const void *, int, double,
                              void *, int);
typedef void (*cblas_dsyrk64)(int, int, int, int64_t, int64_t, double, const void *, int64_t,
                              double, void *, int64_t);
typedef void (*f_syrk32)(const char *, const char *, const int *, const int *, const void *,
                         const void *, const int *, const void *, void *, const int *, size_t,
                         size_t);
typedef void (*f_syrk64)(const char *, const char *, const int64_t *, const int64_t *,
                         const void *, const void *, const int64_t *, const void *, void *,
                         const int64_t *, size_t, size_t);

static void invoke(const call *c, const void *a, const void *b, void *cm) {
  char name[64];
  snprintf(name, sizeof name, c->sp->format, routine_names[c->r]);
  void *fn = dlsym(RTLD_DEFAULT, name);
  if (!fn) {
    fprintf(stderr, "FAIL %s is not exported\n", name);
    exit(1);
  }
  int layout = c->row_major ? CblasRowMajor : CblasColMajor;
  int ta = c->ta == 'N' ? CblasNoTrans : c->ta == 'T' ? CblasTrans : CblasConjTrans;
  int tb = c->tb == 'N' ? CblasNoTrans : c->tb == 'T' ? CblasTrans : CblasConjTrans;
  int uplo = c->uplo == 'U' ? CblasUpper : CblasLower;
  int m = (int)c->m, n = (int)c->n, k = (int)c->k;
  int lda = (int)c->lda, ldb = (int)c->ldb, ldc = (int)c->ldc;
  float fa = (float)c->alpha, fb = (float)c->beta;
  const void *alpha = is_double(c->r) ? (const void *)&c->alpha : (const void *)&fa;
  const void *beta = is_double(c->r) ? (const void *)&c->beta : (const void *)&fb;
  if (c->r == DGEMM && c->sp->cblas && !c->sp->int64)
    ((cblas_gemm32)fn)(layout, ta, tb, m, n, k, c->alpha, a, lda, b, ldb, c->beta, cm, ldc);
  else if (c->r == DGEMM && c->sp->cblas)
    ((cblas_gemm64)fn)(layout, ta, tb, c->m, c->n, c->k, c->alpha, a, c->lda, b, c->ldb,
                       c->beta, cm, c->ldc);
  else if (c->r == DGEMM && !c->sp->int64)
    ((f_gemm32)fn)(&c->ta, &c->tb, &m, &n, &k, &c->alpha, a, &lda, b, &ldb, &c->beta, cm,
                   &ldc, 1, 1);
  else if (c->r == DGEMM)
    ((f_gemm64)fn)(&c->ta, &c->tb, &c->m, &c->n, &c->k, &c->alpha, a, &c->lda, b, &c->ldb,
                   &c->beta, cm, &c->ldc, 1, 1);
  else if (c->sp->cblas && c->r == SSYRK && !c->sp->int64)
    ((cblas_ssyrk32)fn)(layout, uplo, ta, n, k, fa, a, lda, fb, cm, ldc);
  else if (c->sp->cblas && c->r == SSYRK)
    ((cblas_ssyrk64)fn)(layout, uplo, ta, c->n, c->k, fa, a, c->lda, fb, cm, c->ldc);
  else if (c->sp->cblas && !c->sp->int64)
    ((cblas_dsyrk32)fn)(layout, uplo, ta, n, k, c->alpha, a, lda, c->beta, cm, ldc);
  else if (c->sp->cblas)
    ((cblas_dsyrk64)fn)(layout, uplo, ta, c->n, c->k, c->alpha, a, c->lda, c->beta, cm, c->ldc);
  else if (!c->sp->int64)
    ((f_syrk32)fn)(&c->uplo, &c->ta, &n, &k, alpha, a, &lda, beta, cm, &ldc, 1, 1);
  else
    ((f_syrk64)fn)(&c->uplo, &c->ta, &c->n, &c->k, alpha, a, &c->lda, beta, cm, &c->ldc, 1, 1);
}

static uint64_t bits_at(const call *c, const void *x, int64_t i) {
  if (is_double(c->r)) {
    uint64_t u;
    memcpy(&u, (const double *)x + i, 8);
    return u;
  }
  uint32_t u;
  memcpy(&u, (const float *)x + i, 4);
  return u;
}

/* Runs one call and checks it; returns false (after printing) on failure. */
static bool run_case(const call *c, check_rng *rng) {
  int64_t ar, ac, br, bc;
  dims(c, &ar, &ac, &br, &bc);
  size_t bytes = is_double(c->r) ? 8 : 4;
  size_t na = elems(c, ar, ac, c->lda), nb = elems(c, br, bc, c->ldb);
  size_t nc = elems(c, c->m, c->n, c->ldc);
  void *a = malloc(na * bytes), *b = malloc(nb * bytes), *cm = malloc(nc * bytes);
  void *a0 = malloc(na * bytes), *c0 = malloc(nc * bytes);
  long double *want = malloc(((size_t)(c->m * c->n) + 1) * sizeof *want);
  double *scale = malloc(((size_t)(c->m * c->n) + 1) * sizeof *scale);
  for (size_t i = 0; i < na; i++) put(c, a, (int64_t)i, check_rng_unit(rng));
  for (size_t i = 0; i < nb; i++) put(c, b, (int64_t)i, check_rng_unit(rng));
  for (size_t i = 0; i < nc; i++) put(c, cm, (int64_t)i, 1000.0 + check_rng_unit(rng));
  const void *bb = is_syrk(c->r) ? a : b;
  int64_t ldb = is_syrk(c->r) ? c->lda : c->ldb;
  for (int64_t j = 0; j < c->n; j++)
    for (int64_t i = 0; i < c->m; i++) {
      if (!in_triangle(c, i, j)) continue;
      int64_t ci = at(c, i, j, c->ldc);
      if (c->beta == 0) put(c, cm, ci, NAN);
      else put(c, cm, ci, check_rng_unit(rng));
      long double s = 0, mag = 0;
      for (int64_t l = 0; l < c->k; l++) {
        long double p = (long double)op(c, a, c->lda, c->ta, i, l) * op(c, bb, ldb, c->tb, l, j);
        s += p, mag += fabsl(p);
      }
      double cold = c->beta == 0 ? 0 : get(c, cm, ci);
      want[i + j * c->m] = c->alpha * s + (long double)c->beta * cold;
      scale[i + j * c->m] = fabs(c->alpha) * (double)mag + fabs(c->beta * cold);
    }
  memcpy(a0, a, na * bytes);
  memcpy(c0, cm, nc * bytes);
  bool null_ops = c->alpha == 0 && c->m > 0;
  invoke(c, null_ops ? NULL : a, null_ops ? NULL : b, cm);

  double eps = is_double(c->r) ? 0x1p-53 : 0x1p-24;
  double bound_unit = 4.0 * (double)(c->k + 2) * eps;
  bool ok = memcmp(a, a0, na * bytes) == 0;
  if (!ok) printf("FAIL A changed\n");
  int64_t bad = 0;
  for (size_t idx = 0; idx < nc; idx++) {
    /* Which (i, j) this element is, if it lies in the M x N block. */
    int64_t outer = (int64_t)idx / c->ldc, inner = (int64_t)idx % c->ldc;
    int64_t i = c->row_major ? outer : inner, j = c->row_major ? inner : outer;
    bool inside = idx < nc - 1 && i < c->m && j < c->n && in_triangle(c, i, j);
    if (!inside) {
      if (bits_at(c, cm, (int64_t)idx) != bits_at(c, c0, (int64_t)idx) && bad++ < 3)
        printf("FAIL C(%lld) outside the written part changed\n", (long long)idx);
      continue;
    }
    double got = get(c, cm, (int64_t)idx);
    long double w = want[i + j * c->m];
    double tol = bound_unit * scale[i + j * c->m] + (is_double(c->r) ? 0 : 1e-30);
    if (!(fabsl((long double)got - w) <= tol + (long double)fabs((double)w) * eps) && bad++ < 3)
      printf("FAIL C(%lld,%lld) = %.17g, want %.17Lg (bound %.3g)\n", (long long)i,
             (long long)j, got, w, tol);
  }
  ok = ok && bad == 0;
  if (!ok)
    printf("  in: %s%s %s %c%c uplo=%c m=%lld n=%lld k=%lld lda=%lld ldb=%lld ldc=%lld "
           "alpha=%g beta=%g\n", routine_names[c->r], c->row_major ? " row-major" : "", c->sp->format, c->ta, c->tb, c->uplo,
           (long long)c->m, (long long)c->n, (long long)c->k, (long long)c->lda,
           (long long)c->ldb, (long long)c->ldc, c->alpha, c->beta);
  free(a), free(b), free(cm), free(a0), free(c0), free(want), free(scale);
  return ok;
}

/* A small product with ldc = 2^31 - 2 (transposed operands, beta = 0):
 * the last column of C lies past 2^31 elements, the case where OpenBLAS
 * 0.3.21's AVX-512 small-matrix SGEMM writes wrong elements
 * (lib/host/guard.c diverts such calls of every routine; measured on this
 * host, its DGEMM and SYRK get this case right even unguarded).  C is a
 * sparse mapping (only touched pages count); the result is checked against
 * the long double reference, and the row below the block must not change.
 * True (skipped) when the mapping is refused. */
static bool huge_ldc_case(routine r, const spelling *sp) {
  call c = {.r = r, .sp = sp, .ta = 'T', .tb = 'T', .uplo = 'U', .m = 5, .n = 4, .k = 14,
            .lda = 14, .ldb = 4, .ldc = 2147483646, .alpha = 0.75, .beta = 0.0};
  if (is_syrk(r)) c.m = c.n, c.ta = 'T', c.tb = 'N', c.lda = c.k;
  size_t bytes = is_double(r) ? 8 : 4, span = (size_t)(c.ldc * c.n) * bytes;
  void *cm = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                  -1, 0);
  if (cm == MAP_FAILED) {
    printf("skip huge ldc: mapping of %zu bytes refused\n", span);
    return true;
  }
  double a[14 * 5], b[14 * 4];
  float af[14 * 5];
  for (int i = 0; i < 14 * 5; i++) a[i] = af[i] = (float)(0.25 * (i % 9) - 1.0);
  for (int i = 0; i < 14 * 4; i++) b[i] = 0.5 * (i % 7) - 1.5;
  const void *ap = is_double(r) ? (const void *)a : (const void *)af;
  for (int64_t j = 0; j < c.n; j++)
    for (int64_t i = 0; i < c.m + 1; i++) put(&c, cm, i + j * c.ldc, 1.0 + (double)(i + j));
  invoke(&c, ap, b, cm);
  bool ok = true;
  for (int64_t j = 0; j < c.n; j++)
    for (int64_t i = 0; i < c.m + 1; i++) {
      double old = 1.0 + (double)(i + j), want = old, got = get(&c, cm, i + j * c.ldc);
      if (i < c.m && in_triangle(&c, i, j)) {
        long double s = 0;
        for (int64_t l = 0; l < c.k; l++)
          s += (long double)op(&c, ap, c.lda, c.ta, i, l) *
               op(&c, is_syrk(r) ? ap : (const void *)b, is_syrk(r) ? c.lda : c.ldb, c.tb, l, j);
        want = (double)(c.alpha * s + c.beta * old);
      }
      if (fabs(got - want) > 1e-5 * (1 + fabs(want))) {
        printf("FAIL huge ldc %s %s: C(%lld,%lld) = %g, want %g\n", routine_names[r],
               sp->format, (long long)i, (long long)j, got, want);
        ok = false;
      }
    }
  munmap(cm, span);
  return ok;
}

static bool large;

static int64_t pick_size(check_rng *rng, int64_t max) {
  if (large) return check_rng_range(rng, 100, 200);
  static const int64_t edges[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64, 65, 127};
  if (check_rng_range(rng, 0, 2) == 0) return check_rng_range(rng, 1, max);
  int64_t v = edges[check_rng_range(rng, 0, sizeof edges / sizeof *edges - 1)];
  return v > max ? max : v;
}

static double pick_scalar(check_rng *rng, bool beta) {
  switch (check_rng_range(rng, 0, 4)) {
  case 0: return 0.0;
  case 1: return 1.0;
  case 2: return beta ? -1.0 : -0.5;
  default: return 2.0 * check_rng_unit(rng);
  }
}

int main(int argc, char **argv) {
  bool quick = false, expect_device = false, expect_host = false;
  uint64_t seed = 590;
  const char *only = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--quick")) quick = true;
    else if (!strcmp(argv[i], "--expect-device")) expect_device = true;
    else if (!strcmp(argv[i], "--expect-host")) expect_host = true;
    else if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
    else if (!strcmp(argv[i], "--large")) large = true;
    else {
      fprintf(stderr,
              "usage: %s [--quick] [--expect-device | --expect-host] [--seed S] [--only ROUTINE] "
              "[--large]\n",
              argv[0]);
      return 2;
    }
  }
  check_rng rng;
  check_rng_seed(&rng, seed);
  gemm590_reset_counters();
  int per = quick ? 12 : 40, cases = 0, failed = 0;
  int64_t max = quick ? 70 : 200;
  static const char trans[] = "NTC";
  for (int r = DGEMM; r <= DSYRK; r++)
    for (size_t s = 0; s < sizeof spellings / sizeof *spellings; s++)
      for (int i = 0; i < per; i++) {
        if (only && strcmp(only, routine_names[r])) break;
        call c = {.r = (routine)r, .sp = &spellings[s]};
        c.row_major = c.sp->cblas && check_rng_range(&rng, 0, 1);
        c.ta = trans[check_rng_range(&rng, 0, 2)];
        c.tb = trans[check_rng_range(&rng, 0, 2)];
        c.uplo = check_rng_range(&rng, 0, 1) ? 'U' : 'L';
        c.m = pick_size(&rng, max), c.n = pick_size(&rng, max), c.k = pick_size(&rng, max);
        if (is_syrk(c.r)) c.m = c.n, c.tb = c.ta == 'N' ? 'T' : 'N';
        int64_t ar, ac, br, bc;
        dims(&c, &ar, &ac, &br, &bc);
        int64_t pad = check_rng_range(&rng, 0, 1) ? check_rng_range(&rng, 1, 9) : 0;
        /* The leading dimension is the stored rows (column-major) or
         * columns (row-major), at least 1, plus padding. */
        c.lda = (c.row_major ? ac : ar) + pad, c.lda += c.lda == 0;
        c.ldb = (c.row_major ? bc : br) + pad, c.ldb += c.ldb == 0;
        c.ldc = (c.row_major ? c.n : c.m) + pad, c.ldc += c.ldc == 0;
        c.alpha = pick_scalar(&rng, false), c.beta = pick_scalar(&rng, true);
        cases++;
        failed += !run_case(&c, &rng);
      }
  /* Huge ldc: the 64-bit spellings (a 32-bit int cannot hold it). */
  for (int r = DGEMM; r <= DSYRK && !large; r++)
    if (!only || !strcmp(only, routine_names[r])) {
      cases++;
      failed += !huge_ldc_case((routine)r, &spellings[4 + 1]);
      cases++;
      failed += !huge_ldc_case((routine)r, &spellings[1]);
    }
  struct gemm590_counters n;
  gemm590_get_counters(&n);
  printf("%d cases, %d failed; calls: host %llu, device %llu\n", cases, failed,
         (unsigned long long)n.calls[GEMM590_PATH_HOST],
         (unsigned long long)n.calls[GEMM590_PATH_DEVICE]);
  if (expect_device && n.calls[GEMM590_PATH_DEVICE] == 0) {
    printf("FAIL no call ran on the device\n");
    return 1;
  }
  if (expect_host && n.calls[GEMM590_PATH_DEVICE] != 0) {
    printf("FAIL a call ran on the device\n");
    return 1;
  }
  return failed ? 1 : 0;
}
