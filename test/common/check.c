/* Shared helpers of the libgemm590 C tests (see check.h). */
#include "check.h"

#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/* ---- binary16 values from bits ---- */

double check_half_value(uint16_t h) {
  int sign = h >> 15, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  double v;
  if (exponent == 0x1f) v = mantissa ? NAN : INFINITY;
  else if (exponent == 0) v = ldexp(mantissa, -24);
  else v = ldexp(1024 + mantissa, exponent - 25);
  return sign ? -v : v;
}

uint16_t check_half_from_parts(int sign, int exponent, int mantissa) {
  return (uint16_t)((sign << 15) | (exponent << 10) | mantissa);
}

uint16_t check_half_random(check_rng *r) {
  uint64_t x = check_rng_next(r);
  /* Biased exponents 11..15: magnitudes 2^-4 .. 2 - 2^-10. */
  return check_half_from_parts((int)(x & 1), 11 + (int)((x >> 1) % 5), (int)((x >> 8) & 0x3ff));
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

static const char *const entry_names[] = {
    [CHECK_CBLAS] = "cblas_sgemm",         [CHECK_CBLAS64] = "cblas_sgemm64_",
    [CHECK_SCIPY_CBLAS] = "scipy_cblas_sgemm", [CHECK_SCIPY_CBLAS64] = "scipy_cblas_sgemm64_",
    [CHECK_FORTRAN] = "sgemm_",            [CHECK_FORTRAN64] = "sgemm_64_",
    [CHECK_SCIPY_FORTRAN] = "scipy_sgemm_", [CHECK_SCIPY_FORTRAN64] = "scipy_sgemm_64_",
    [CHECK_HGEMM] = "gemm590_hgemm",
};

const char *check_entry_name(check_entry e) { return entry_names[e]; }

bool check_entry_is_fortran(check_entry e) { return e >= CHECK_FORTRAN && e < CHECK_ENTRY_COUNT; }

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

bool check_parse_number(const char *s, long long min, long long *out) {
  char *end = NULL;
  errno = 0;
  long long v = strtoll(s, &end, 0);
  if (!*s || *end || errno || v < min) return false;
  *out = v;
  return true;
}

/* ---- one call ---- */

static bool is_trans(char t) { return t != 'N' && t != 'n'; }

static int cblas_trans(char t) {
  return !is_trans(t) ? CblasNoTrans : (t == 'C' || t == 'c') ? CblasConjTrans : CblasTrans;
}

void check_gemm_run(const check_gemm *g) {
  int layout = g->layout == 'R' ? CblasRowMajor : CblasColMajor;
  if (g->entry == CHECK_HGEMM)
    gemm590_hgemm(layout, cblas_trans(g->transa), cblas_trans(g->transb), (int)g->m, (int)g->n,
                  (int)g->k, g->alpha, g->a16, (int)g->lda, g->b16, (int)g->ldb, g->beta, g->c16,
                  (int)g->ldc);
  else if (check_entry_is_fortran(g->entry))
    check_call_fortran(g->entry, g->transa, g->transb, g->m, g->n, g->k, g->alpha, g->a, g->lda,
                       g->b, g->ldb, g->beta, g->c, g->ldc);
  else
    check_call_cblas(g->entry, layout, cblas_trans(g->transa), cblas_trans(g->transb), g->m,
                     g->n, g->k, g->alpha, g->a, g->lda, g->b, g->ldb, g->beta, g->c, g->ldc);
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

bool check_counted(const check_gemm *g) {
  return g->m > 0 && g->n > 0 && g->k > 0 && g->alpha != 0.0f;
}

void check_counters(uint64_t *host, uint64_t *device) {
  struct gemm590_counters c;
  gemm590_get_counters(&c);
  *host = c.calls[GEMM590_PATH_HOST];
  *device = c.calls[GEMM590_PATH_DEVICE];
}

/* ---- operands with padding and guards ---- */

float check_canary(void) {
  uint32_t bits = 0x7fa5a5a5u; /* exponent all ones, quiet bit clear, payload nonzero */
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

/* Element idx of m's allocation (base), of either type. */
static void *element(const check_matrix *m, void *base, size_t idx) {
  return (char *)base + idx * m->size;
}

static bool matrix_alloc(check_matrix *m, int64_t rows, int64_t cols, int64_t ld, size_t size) {
  memset(m, 0, sizeof *m);
  size_t len = 2 * (size_t)CHECK_GUARD + (size_t)(ld * cols);
  void *base = malloc(len * size);
  if (!base) return false;
  *m = (check_matrix){.rows = rows, .cols = cols, .ld = ld, .size = size, .base = base,
                      .len = len};
  if (size == sizeof(float)) {
    float canary = check_canary(), *f = base;
    for (size_t i = 0; i < len; i++) f[i] = canary;
    m->data = f + CHECK_GUARD;
  } else {
    uint16_t *h = base;
    for (size_t i = 0; i < len; i++) h[i] = CHECK_HALF_CANARY;
    m->data16 = h + CHECK_GUARD;
  }
  return true;
}

bool check_matrix_alloc(check_matrix *m, int64_t rows, int64_t cols, int64_t ld) {
  return matrix_alloc(m, rows, cols, ld, sizeof(float));
}

bool check_matrix_alloc_half(check_matrix *m, int64_t rows, int64_t cols, int64_t ld) {
  return matrix_alloc(m, rows, cols, ld, sizeof(uint16_t));
}

void check_matrix_free(check_matrix *m) {
  free(m->base);
  free(m->saved);
  memset(m, 0, sizeof *m);
}

void check_matrix_fill_random(check_matrix *m, check_rng *r) {
  for (int64_t j = 0; j < m->cols; j++)
    for (int64_t i = 0; i < m->rows; i++) {
      if (m->data16) m->data16[i + j * m->ld] = check_half_random(r);
      else m->data[i + j * m->ld] = check_rng_unit(r);
    }
}

void check_matrix_fill(check_matrix *m, float value) {
  for (int64_t j = 0; j < m->cols; j++)
    for (int64_t i = 0; i < m->rows; i++) m->data[i + j * m->ld] = value;
}

static void fill_half(check_matrix *m, uint16_t value) {
  for (int64_t j = 0; j < m->cols; j++)
    for (int64_t i = 0; i < m->rows; i++) m->data16[i + j * m->ld] = value;
}

void check_matrix_snapshot(check_matrix *m) {
  if (!m->saved) m->saved = malloc(m->len * m->size);
  if (!m->saved) {
    fprintf(stderr, "FATAL: out of memory for a snapshot of %zu elements\n", m->len);
    exit(1);
  }
  memcpy(m->saved, m->base, m->len * m->size);
}

int64_t check_matrix_changed(const check_matrix *m, bool outside_only, int64_t *first) {
  int64_t changed = 0;
  for (size_t idx = 0; idx < m->len; idx++) {
    if (memcmp(element(m, m->base, idx), element(m, m->saved, idx), m->size) == 0) continue;
    int64_t off = (int64_t)idx - CHECK_GUARD;
    bool in_block = off >= 0 && off < m->ld * m->cols && off % m->ld < m->rows;
    if (outside_only && in_block) continue;
    if (changed++ == 0 && first) *first = off;
  }
  return changed;
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
  size_t size = g->entry == CHECK_HGEMM ? sizeof(uint16_t) : sizeof(float);
  if (!matrix_alloc(a, ra, ca, g->lda, size) || !matrix_alloc(b, rb, cb, g->ldb, size) ||
      !matrix_alloc(c, rc, cc, g->ldc, size)) {
    fprintf(stderr, "FATAL: out of memory\n");
    exit(1);
  }
}

void check_gemm_arm(check_gemm *g, check_matrix *a, check_matrix *b, check_matrix *c,
                    check_rng *r) {
  if (g->beta != 0.0f)
    check_matrix_fill_random(c, r);
  else if (c->data16)
    fill_half(c, CHECK_HALF_CANARY);
  else
    check_matrix_fill(c, NAN);
  check_matrix_snapshot(a);
  check_matrix_snapshot(b);
  check_matrix_snapshot(c);
  g->a = a->data, g->b = b->data, g->c = c->data;
  g->a16 = a->data16, g->b16 = b->data16, g->c16 = c->data16;
}

/* ---- reference and comparison ---- */

/* Element (r, c) of op(X) (or of C with trans 'N') lies at
 * x[r * *s_row + c * *s_col]. */
static void op_strides(char layout, char trans, int64_t ld, int64_t *s_row, int64_t *s_col) {
  bool flip = (layout == 'R') != is_trans(trans);
  *s_row = flip ? ld : 1;
  *s_col = flip ? 1 : ld;
}

/* Element `at` of operand 'A', 'B' or 'C' of g, by value. */
static double value(const check_gemm *g, char operand, int64_t at) {
  if (g->entry == CHECK_HGEMM)
    return check_half_value(operand == 'A' ? g->a16[at] : operand == 'B' ? g->b16[at] : g->c16[at]);
  return operand == 'A' ? g->a[at] : operand == 'B' ? g->b[at] : g->c[at];
}

void check_reference(const check_gemm *g, double *ref, double *mag) {
  int64_t m = g->m, n = g->n, k = g->k;
  int64_t ai, al, bl, bj, ci, cj;
  op_strides(g->layout, g->transa, g->lda, &ai, &al);
  op_strides(g->layout, g->transb, g->ldb, &bl, &bj);
  op_strides(g->layout, 'N', g->ldc, &ci, &cj);
  bool use_ab = g->alpha != 0.0f && k > 0;

  /* op(A) packed contiguous in i, so the inner loop vectorises whatever
   * the caller's layout: the reference of a 1000^3 call takes ~1 s.  The
   * products of two float32 (or binary16) values are exact in float64. */
  double *ap = use_ab ? malloc((size_t)(m * k) * sizeof *ap) : NULL;
  if (use_ab && m * k > 0 && !ap) {
    fprintf(stderr, "FATAL: out of memory for the reference\n");
    exit(1);
  }
  for (int64_t l = 0; use_ab && l < k; l++)
    for (int64_t i = 0; i < m; i++) ap[i + l * m] = value(g, 'A', i * ai + l * al);

  for (int64_t j = 0; j < n; j++) {
    double *rj = ref + j * m, *mj = mag + j * m;
    for (int64_t i = 0; i < m; i++) rj[i] = mj[i] = 0.0;
    for (int64_t l = 0; use_ab && l < k; l++) {
      double b = value(g, 'B', l * bl + j * bj), babs = fabs(b);
      const double *apl = ap + l * m;
      for (int64_t i = 0; i < m; i++) {
        rj[i] += apl[i] * b;
        mj[i] += fabs(apl[i]) * babs;
      }
    }
    for (int64_t i = 0; i < m; i++) {
      double bc = g->beta == 0.0f ? 0.0 : (double)g->beta * value(g, 'C', i * ci + j * cj);
      rj[i] = (double)g->alpha * rj[i] + bc;
      mj[i] = fabs((double)g->alpha) * mj[i] + fabs(bc);
    }
  }
  free(ap);
}

void check_compare(const check_gemm *g, const double *ref, const double *mag, check_bound bound,
                   check_result *out) {
  int64_t ci, cj;
  op_strides(g->layout, 'N', g->ldc, &ci, &cj);
  /* bound = ref_rel |ref| + mag_rel mag + abs (check.h). */
  double ref_rel = 0.0, mag_rel = 8.0 * (double)(g->k + 2) * CHECK_EPS_F32, abs_term = 1e-30;
  if (bound == CHECK_FP16_OPTIN || bound == CHECK_TF32_OPTIN) mag_rel += 0x1p-10 + 0x1p-20;
  if (bound == CHECK_FP16_OPTIN) abs_term += (double)g->k * 0x1p-23 * fabs((double)g->alpha);
  if (g->entry == CHECK_HGEMM) { /* C rounded once to binary16 */
    ref_rel = 0x1p-11;
    mag_rel *= 1.0 + 0x1p-11;
    abs_term = 0x1p-25;
  }
  *out = (check_result){.bad_i = -1, .bad_j = -1};
  for (int64_t j = 0; j < g->n; j++) {
    for (int64_t i = 0; i < g->m; i++) {
      double got = value(g, 'C', i * ci + j * cj), want = ref[i + j * g->m];
      double scaled = mag_rel * mag[i + j * g->m];
      double limit = (ref_rel != 0.0 ? ref_rel * fabs(want) + scaled : scaled) + abs_term;
      double err = fabs(got - want);
      double ratio = isnan(err) ? INFINITY : err / limit;
      if (ratio > out->max_ratio) out->max_ratio = ratio;
      if (err <= limit) continue;
      if (out->bad++ == 0) {
        out->bad_i = i, out->bad_j = j;
        out->got = got, out->want = want, out->bound = limit;
      }
    }
  }
}

/* ---- one checked call ---- */

void check_case_begin(check_case *t, check_gemm g, int64_t pad_a, int64_t pad_b, int64_t pad_c,
                      check_rng *rng) {
  memset(t, 0, sizeof *t);
  t->g = g;
  check_gemm_operands(&t->g, pad_a, pad_b, pad_c, &t->a, &t->b, &t->c);
  size_t mn = (size_t)(g.m * g.n) + 1;
  t->ref = malloc(mn * sizeof *t->ref);
  t->mag = malloc(mn * sizeof *t->mag);
  if (!t->ref || !t->mag) {
    fprintf(stderr, "FATAL: out of memory for the reference\n");
    exit(1);
  }
  /* Input padding holds the canary (NaN): any use of it shows in C. */
  check_matrix_fill_random(&t->a, rng);
  check_matrix_fill_random(&t->b, rng);
}

void check_case_arm(check_case *t, check_rng *rng) {
  check_gemm_arm(&t->g, &t->a, &t->b, &t->c, rng);
  check_reference(&t->g, t->ref, t->mag);
}

/* Appends a formatted clause to t->what, "; "-separated. */
__attribute__((format(printf, 2, 3))) static void add_what(check_case *t, const char *fmt, ...);
static void add_what(check_case *t, const char *fmt, ...) {
  size_t used = strlen(t->what);
  if (used && used + 2 < sizeof t->what) strcpy(t->what + used, "; "), used += 2;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(t->what + used, sizeof t->what - used, fmt, ap);
  va_end(ap);
}

bool check_case_verify(check_case *t, check_bound bound) {
  t->what[0] = '\0';
  check_result *r = &t->result;
  check_compare(&t->g, t->ref, t->mag, bound, r);
  if (r->bad)
    add_what(t,
             "%" PRId64 " elements of C out of bound (%s), first C(%" PRId64 ",%" PRId64
             ") = %.9g, reference %.9g, |diff| %.3g > bound %.3g",
             r->bad, t->g.entry == CHECK_HGEMM  ? "binary16 C"
                     : bound == CHECK_FP16_OPTIN ? "fp16 opt-in"
                     : bound == CHECK_TF32_OPTIN ? "tf32 opt-in"
                                                 : "float32",
             r->bad_i, r->bad_j, r->got, r->want, fabs(r->got - r->want), r->bound);
  int64_t first = 0, changed_c = check_matrix_changed(&t->c, true, &first);
  if (changed_c)
    add_what(t,
             "%" PRId64 " elements of C outside the M x N block changed, the first %" PRId64
             " elements from C(0,0)",
             changed_c, first);
  int64_t changed_a = check_matrix_changed(&t->a, false, NULL);
  int64_t changed_b = check_matrix_changed(&t->b, false, NULL);
  if (changed_a) add_what(t, "%" PRId64 " elements of A modified", changed_a);
  if (changed_b) add_what(t, "%" PRId64 " elements of B modified", changed_b);
  return t->what[0] == '\0';
}

void check_case_end(check_case *t) {
  check_matrix_free(&t->a);
  check_matrix_free(&t->b);
  check_matrix_free(&t->c);
  free(t->ref);
  free(t->mag);
  t->ref = t->mag = NULL;
}

void check_fail(const char *tag, const check_gemm *g, const char *what) {
  char desc[256];
  check_gemm_describe(g, desc, sizeof desc);
  printf("FAIL [%s] %s: %s\n", tag, desc, what);
}

bool check_case_run(check_gemm g, int64_t pad_a, int64_t pad_b, int64_t pad_c,
                    check_bound bound, void (*run)(const check_gemm *), check_rng *rng,
                    const char *tag, double *max_ratio) {
  check_case t;
  check_case_begin(&t, g, pad_a, pad_b, pad_c, rng);
  check_case_arm(&t, rng);
  (run ? run : check_gemm_run)(&t.g);
  bool ok = check_case_verify(&t, bound);
  if (!ok) check_fail(tag, &t.g, t.what);
  if (max_ratio && t.result.max_ratio > *max_ratio) *max_ratio = t.result.max_ratio;
  check_case_end(&t);
  return ok;
}

/* ---- sets of calls ---- */

const check_gemm check_sgemm_bases[3] = {{.entry = CHECK_CBLAS, .layout = 'C'},
                                         {.entry = CHECK_CBLAS, .layout = 'R'},
                                         {.entry = CHECK_FORTRAN, .layout = 'C'}};

void check_sweep(const check_gemm *bases, int nbases, const int64_t *sizes, int nsizes,
                 check_rng *pad_rng, void (*visit)(void *ctx, check_gemm g, const int64_t *pad),
                 void *ctx) {
  static const char trans[] = {'N', 'T', 'C'};
  static const float alphas[] = {0.0f, 1.0f, -1.5f}, betas[] = {0.0f, 1.0f, 0.5f};
  for (int e = 0; e < nbases; e++)
    for (int ta = 0; ta < 3; ta++)
      for (int tb = 0; tb < 3; tb++)
        for (int al = 0; al < 3; al++)
          for (int be = 0; be < 3; be++)
            for (int im = 0; im < nsizes; im++)
              for (int in = 0; in < nsizes; in++)
                for (int ik = 0; ik < nsizes; ik++) {
                  check_gemm g = bases[e];
                  g.transa = trans[ta], g.transb = trans[tb];
                  g.m = sizes[im], g.n = sizes[in], g.k = sizes[ik];
                  g.alpha = alphas[al], g.beta = betas[be];
                  int64_t pad[3] = {0, 0, 0};
                  for (int p = 0; pad_rng && p < 3; p++) pad[p] = check_rng_range(pad_rng, 0, 4);
                  visit(ctx, g, pad);
                }
}

int64_t check_random_dim(check_rng *rng, int64_t max_size, int64_t small, const int64_t *steps,
                         int nsteps) {
  switch (check_rng_range(rng, 0, 2)) {
  case 0:
    return check_rng_range(rng, 1, max_size < small ? max_size : small);
  case 1: {
    int64_t step = steps[check_rng_range(rng, 0, nsteps - 1)];
    int64_t mult = check_rng_range(rng, 1, max_size / step > 1 ? max_size / step : 1);
    int64_t d = mult * step + check_rng_range(rng, -1, 1);
    return d < 1 ? 1 : d > max_size ? max_size : d;
  }
  default:
    return check_rng_range(rng, 1, max_size);
  }
}

check_gemm check_random_call(check_rng *rng, int64_t max_size, bool all_entries,
                             bool lower_case, int64_t (*dim)(check_rng *, int64_t)) {
  static const char upper[] = "NTC", lower[] = "ntc";
  check_gemm g = {0};
  g.entry = all_entries ? (check_entry)check_rng_range(rng, 0, CHECK_ENTRY_COUNT - 1)
                        : check_rng_range(rng, 0, 1) ? CHECK_FORTRAN : CHECK_CBLAS;
  bool fortran = check_entry_is_fortran(g.entry);
  /* Fortran callers may spell the transposes in lower case. */
  const char *letters = lower_case && fortran && check_rng_range(rng, 0, 1) ? lower : upper;
  g.layout = fortran || check_rng_range(rng, 0, 1) ? 'C' : 'R';
  g.transa = letters[check_rng_range(rng, 0, 2)];
  g.transb = letters[check_rng_range(rng, 0, 2)];
  g.m = dim(rng, max_size);
  g.n = dim(rng, max_size);
  g.k = dim(rng, max_size);
  g.alpha = 2.0f * check_rng_unit(rng);
  int64_t beta_kind = check_rng_range(rng, 0, 2);
  g.beta = beta_kind == 0 ? 0.0f : beta_kind == 1 ? 1.0f : 2.0f * check_rng_unit(rng);
  return g;
}

/* ---- stderr capture, time ---- */

static FILE *capture_file;
static int saved_stderr = -1;

void check_capture_begin(void) {
  fflush(stderr);
  capture_file = tmpfile();
  saved_stderr = dup(2);
  if (!capture_file || saved_stderr < 0 || dup2(fileno(capture_file), 2) < 0) {
    fprintf(stderr, "FATAL: cannot capture stderr\n");
    exit(1);
  }
}

const char *check_capture_end(void) {
  static char text[1 << 16];
  fflush(stderr);
  dup2(saved_stderr, 2);
  close(saved_stderr);
  rewind(capture_file);
  size_t n = fread(text, 1, sizeof text - 1, capture_file);
  text[n] = '\0';
  fclose(capture_file);
  /* Shown as well, so a failing test's log has the library's lines. */
  fputs(text, stderr);
  return text;
}

double check_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}
