/* Shared helpers of the libgemm590 correctness tests (see check.h). */
#include "check.h"

#include <dlfcn.h>
#include <math.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemm590.h"

/* ---- random numbers ---- */

void check_rng_seed(check_rng *r, uint64_t seed) { r->state = seed; }

/* splitmix64: tiny, fast, good enough to make operands look random. */
uint64_t check_rng_next(check_rng *r) {
  uint64_t z = (r->state += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

int64_t check_rng_range(check_rng *r, int64_t lo, int64_t hi) {
  return lo + (int64_t)(check_rng_next(r) % (uint64_t)(hi - lo + 1));
}

float check_rng_unit(check_rng *r) {
  /* (2u + 1) / 2^24 - 1 for u in [0, 2^24): odd multiples of 2^-24 in
   * (-1, 1), symmetric, exact in float, never zero. */
  uint32_t u = (uint32_t)(check_rng_next(r) >> 40);
  return (float)(((double)u * 2.0 + 1.0) / 16777216.0 - 1.0);
}

/* ---- entry points ---- */

typedef void (*cblas32_fn)(int, int, int, int, int, int, float, const float *, int,
                           const float *, int, float, float *, int);
typedef void (*cblas64_fn)(int, int, int, int64_t, int64_t, int64_t, float, const float *,
                           int64_t, const float *, int64_t, float, float *, int64_t);
typedef void (*fortran32_fn)(const char *, const char *, const int *, const int *, const int *,
                             const float *, const float *, const int *, const float *,
                             const int *, const float *, float *, const int *, size_t, size_t);
typedef void (*fortran64_fn)(const char *, const char *, const int64_t *, const int64_t *,
                             const int64_t *, const float *, const float *, const int64_t *,
                             const float *, const int64_t *, const float *, float *,
                             const int64_t *, size_t, size_t);

static const char *const entry_names[CHECK_ENTRY_COUNT] = {
    [CHECK_CBLAS] = "cblas_sgemm",         [CHECK_CBLAS64] = "cblas_sgemm64_",
    [CHECK_SCIPY_CBLAS] = "scipy_cblas_sgemm", [CHECK_SCIPY_CBLAS64] = "scipy_cblas_sgemm64_",
    [CHECK_FORTRAN] = "sgemm_",            [CHECK_FORTRAN64] = "sgemm_64_",
    [CHECK_SCIPY_FORTRAN] = "scipy_sgemm_", [CHECK_SCIPY_FORTRAN64] = "scipy_sgemm_64_",
};

const char *check_entry_name(check_entry e) { return entry_names[e]; }

bool check_entry_is_fortran(check_entry e) { return e >= CHECK_FORTRAN; }

bool check_entry_is_64(check_entry e) {
  return e == CHECK_CBLAS64 || e == CHECK_SCIPY_CBLAS64 || e == CHECK_FORTRAN64 ||
         e == CHECK_SCIPY_FORTRAN64;
}

/* A missing export is a library bug worth a loud stop, not a crash. */
static void *entry_symbol(check_entry e) {
  void *sym = dlsym(RTLD_DEFAULT, entry_names[e]);
  if (!sym) {
    fprintf(stderr, "FATAL: libgemm590 does not export %s\n", entry_names[e]);
    exit(1);
  }
  return sym;
}

void check_call_cblas(check_entry e, int layout, int transa, int transb, int64_t m, int64_t n,
                      int64_t k, float alpha, const float *a, int64_t lda, const float *b,
                      int64_t ldb, float beta, float *c, int64_t ldc) {
  if (e == CHECK_CBLAS) {
    cblas_sgemm((enum CBLAS_ORDER)layout, (enum CBLAS_TRANSPOSE)transa,
                (enum CBLAS_TRANSPOSE)transb, (int)m, (int)n, (int)k, alpha, a, (int)lda, b,
                (int)ldb, beta, c, (int)ldc);
  } else if (check_entry_is_64(e)) {
    cblas64_fn f = (cblas64_fn)entry_symbol(e);
    f(layout, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  } else {
    cblas32_fn f = (cblas32_fn)entry_symbol(e);
    f(layout, transa, transb, (int)m, (int)n, (int)k, alpha, a, (int)lda, b, (int)ldb, beta, c,
      (int)ldc);
  }
}

void check_call_fortran(check_entry e, char transa, char transb, int64_t m, int64_t n, int64_t k,
                        float alpha, const float *a, int64_t lda, const float *b, int64_t ldb,
                        float beta, float *c, int64_t ldc) {
  if (check_entry_is_64(e)) {
    fortran64_fn f = (fortran64_fn)entry_symbol(e);
    f(&transa, &transb, &m, &n, &k, &alpha, a, &lda, b, &ldb, &beta, c, &ldc, 1, 1);
    return;
  }
  int m32 = (int)m, n32 = (int)n, k32 = (int)k, lda32 = (int)lda, ldb32 = (int)ldb,
      ldc32 = (int)ldc;
  fortran32_fn f = e == CHECK_FORTRAN ? sgemm_ : (fortran32_fn)entry_symbol(e);
  f(&transa, &transb, &m32, &n32, &k32, &alpha, a, &lda32, b, &ldb32, &beta, c, &ldc32, 1, 1);
}

/* ---- one SGEMM call ---- */

static bool is_trans(char t) { return t != 'N' && t != 'n'; }

static int cblas_trans(char t) {
  return !is_trans(t) ? CblasNoTrans : (t == 'C' || t == 'c') ? CblasConjTrans : CblasTrans;
}

void check_gemm_run(const check_gemm *g) {
  if (check_entry_is_fortran(g->entry))
    check_call_fortran(g->entry, g->transa, g->transb, g->m, g->n, g->k, g->alpha, g->a, g->lda,
                       g->b, g->ldb, g->beta, g->c, g->ldc);
  else
    check_call_cblas(g->entry, g->layout == 'R' ? CblasRowMajor : CblasColMajor,
                     cblas_trans(g->transa), cblas_trans(g->transb), g->m, g->n, g->k, g->alpha,
                     g->a, g->lda, g->b, g->ldb, g->beta, g->c, g->ldc);
}

void check_gemm_storage(const check_gemm *g, char operand, int64_t *rows, int64_t *cols) {
  /* Logical (unstored) shape first: op(A) is M x K, op(B) K x N, C M x N;
   * a transposed operand is stored the other way round, and row-major
   * storage flips once more in the column-major view. */
  int64_t r, c;
  bool flip = g->layout == 'R';
  if (operand == 'A') {
    r = g->m, c = g->k;
    flip ^= is_trans(g->transa);
  } else if (operand == 'B') {
    r = g->k, c = g->n;
    flip ^= is_trans(g->transb);
  } else {
    r = g->m, c = g->n;
  }
  *rows = flip ? c : r;
  *cols = flip ? r : c;
}

void check_gemm_describe(const check_gemm *g, char *buf, size_t len) {
  snprintf(buf, len,
           "%s layout=%c transa=%c transb=%c M=%lld N=%lld K=%lld alpha=%g beta=%g lda=%lld "
           "ldb=%lld ldc=%lld",
           check_entry_name(g->entry), g->layout, g->transa, g->transb, (long long)g->m,
           (long long)g->n, (long long)g->k, (double)g->alpha, (double)g->beta,
           (long long)g->lda, (long long)g->ldb, (long long)g->ldc);
}

/* ---- operands with padding and guards ---- */

float check_canary(void) {
  uint32_t bits = 0x7fa5a5a5u; /* exponent all ones, quiet bit clear, payload nonzero */
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

bool check_matrix_alloc(check_matrix *m, int64_t rows, int64_t cols, int64_t ld) {
  memset(m, 0, sizeof *m);
  size_t len = 2 * (size_t)CHECK_GUARD + (size_t)(ld * cols);
  float *base = malloc(len * sizeof *base);
  if (!base) return false;
  float canary = check_canary();
  for (size_t i = 0; i < len; i++) base[i] = canary;
  *m = (check_matrix){.rows = rows, .cols = cols, .ld = ld, .data = base + CHECK_GUARD,
                      .base = base, .len = len};
  return true;
}

void check_matrix_free(check_matrix *m) {
  free(m->base);
  free(m->saved);
  memset(m, 0, sizeof *m);
}

void check_matrix_fill_random(check_matrix *m, check_rng *r) {
  for (int64_t j = 0; j < m->cols; j++)
    for (int64_t i = 0; i < m->rows; i++) m->data[i + j * m->ld] = check_rng_unit(r);
}

void check_matrix_fill(check_matrix *m, float value) {
  for (int64_t j = 0; j < m->cols; j++)
    for (int64_t i = 0; i < m->rows; i++) m->data[i + j * m->ld] = value;
}

void check_matrix_snapshot(check_matrix *m) {
  if (!m->saved) m->saved = malloc(m->len * sizeof *m->saved);
  if (!m->saved) {
    fprintf(stderr, "FATAL: out of memory for a snapshot of %zu floats\n", m->len);
    exit(1);
  }
  memcpy(m->saved, m->base, m->len * sizeof *m->base);
}

int64_t check_matrix_changed(const check_matrix *m, bool outside_only, int64_t *first) {
  int64_t changed = 0;
  for (size_t idx = 0; idx < m->len; idx++) {
    if (memcmp(&m->base[idx], &m->saved[idx], sizeof(float)) == 0) continue;
    int64_t off = (int64_t)idx - CHECK_GUARD;
    bool in_block = off >= 0 && off < m->ld * m->cols && off % m->ld < m->rows;
    if (outside_only && in_block) continue;
    if (changed++ == 0 && first) *first = off;
  }
  return changed;
}

/* ---- reference and comparison ---- */

/* Element (r, c) of op(X) (or of C with trans 'N') lies at
 * x[r * *s_row + c * *s_col]. */
static void op_strides(char layout, char trans, int64_t ld, int64_t *s_row, int64_t *s_col) {
  bool flip = (layout == 'R') != is_trans(trans);
  *s_row = flip ? ld : 1;
  *s_col = flip ? 1 : ld;
}

void check_reference(const check_gemm *g, double *ref, double *mag) {
  int64_t m = g->m, n = g->n, k = g->k;
  int64_t ai, al, bl, bj, ci, cj;
  op_strides(g->layout, g->transa, g->lda, &ai, &al);
  op_strides(g->layout, g->transb, g->ldb, &bl, &bj);
  op_strides(g->layout, 'N', g->ldc, &ci, &cj);
  bool use_ab = g->alpha != 0.0f && k > 0;

  /* op(A) packed contiguous in i, so the inner loop vectorises whatever
   * the caller's layout: the reference of a 1000^3 call takes ~1 s. */
  double *ap = use_ab ? malloc((size_t)(m * k) * sizeof *ap) : NULL;
  if (use_ab && m * k > 0 && !ap) {
    fprintf(stderr, "FATAL: out of memory for the reference\n");
    exit(1);
  }
  for (int64_t l = 0; use_ab && l < k; l++)
    for (int64_t i = 0; i < m; i++) ap[i + l * m] = g->a[i * ai + l * al];

  for (int64_t j = 0; j < n; j++) {
    double *rj = ref + j * m, *mj = mag + j * m;
    for (int64_t i = 0; i < m; i++) rj[i] = mj[i] = 0.0;
    for (int64_t l = 0; use_ab && l < k; l++) {
      double b = g->b[l * bl + j * bj], babs = fabs(b);
      const double *apl = ap + l * m;
      for (int64_t i = 0; i < m; i++) {
        rj[i] += apl[i] * b;
        mj[i] += fabs(apl[i]) * babs;
      }
    }
    for (int64_t i = 0; i < m; i++) {
      double bc = g->beta == 0.0f ? 0.0 : (double)g->beta * g->c[i * ci + j * cj];
      rj[i] = (double)g->alpha * rj[i] + bc;
      mj[i] = fabs((double)g->alpha) * mj[i] + fabs(bc);
    }
  }
  free(ap);
}

void check_compare(const check_gemm *g, const double *ref, const double *mag, double eps,
                   check_result *out) {
  int64_t ci, cj;
  op_strides(g->layout, 'N', g->ldc, &ci, &cj);
  double scale = 8.0 * (double)(g->k + 2) * eps;
  *out = (check_result){.bad_i = -1, .bad_j = -1};
  for (int64_t j = 0; j < g->n; j++) {
    for (int64_t i = 0; i < g->m; i++) {
      double got = g->c[i * ci + j * cj], want = ref[i + j * g->m];
      double bound = scale * mag[i + j * g->m] + 1e-30;
      double err = fabs(got - want);
      double ratio = isnan(err) ? INFINITY : err / bound;
      if (ratio > out->max_ratio) out->max_ratio = ratio;
      if (err <= bound) continue;
      if (out->bad++ == 0) {
        out->bad_i = i, out->bad_j = j;
        out->got = got, out->want = want, out->bound = bound;
      }
    }
  }
}

void check_gemm_operands(check_gemm *g, int64_t pad_a, int64_t pad_b, int64_t pad_c,
                         check_matrix *a, check_matrix *b, check_matrix *c) {
  int64_t ra, ca, rb, cb, rc, cc;
  check_gemm_storage(g, 'A', &ra, &ca);
  check_gemm_storage(g, 'B', &rb, &cb);
  check_gemm_storage(g, 'C', &rc, &cc);
  g->lda = (ra > 1 ? ra : 1) + pad_a;
  g->ldb = (rb > 1 ? rb : 1) + pad_b;
  g->ldc = (rc > 1 ? rc : 1) + pad_c;
  if (!check_matrix_alloc(a, ra, ca, g->lda) || !check_matrix_alloc(b, rb, cb, g->ldb) ||
      !check_matrix_alloc(c, rc, cc, g->ldc)) {
    fprintf(stderr, "FATAL: out of memory\n");
    exit(1);
  }
}

void check_gemm_arm(check_gemm *g, check_matrix *a, check_matrix *b, check_matrix *c,
                    check_rng *r) {
  if (g->beta == 0.0f)
    check_matrix_fill(c, NAN);
  else
    check_matrix_fill_random(c, r);
  check_matrix_snapshot(a);
  check_matrix_snapshot(b);
  check_matrix_snapshot(c);
  g->a = a->data, g->b = b->data, g->c = c->data;
}

bool check_parse_number(const char *s, long long min, long long *out) {
  char *end = NULL;
  errno = 0;
  long long v = strtoll(s, &end, 0);
  if (!*s || *end || errno || v < min) return false;
  *out = v;
  return true;
}
