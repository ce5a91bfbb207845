/* libFuzzer target over libgemm590's argument checks and dispatch.
 *
 * Each input is decoded into one call of one of the eight exported SGEMM
 * spellings (cblas_sgemm, sgemm_, their 64-bit and scipy_ forms): any
 * layout and transpose codes, sizes and leading dimensions from small to
 * INT64_MIN/INT64_MAX, alpha and beta from 0 and 1 to NaN and raw bits,
 * and NULL or zero-byte pointers for operands the call may not touch.
 * A model of the reference BLAS, written here independently of the
 * library, says what must happen:
 *
 *   - the parameter number of the first invalid argument (Fortran: transa
 *     1, transb 2, m 3, n 4, k 5, lda 8, ldb 10, ldc 13; CBLAS: layout 1,
 *     TransA 2, TransB 3, M 4, N 5, K 6, lda 9, ldb 11, ldc 14, a row-major
 *     call checked as its swapped column-major problem with netlib's raw
 *     numbers: N 4, M 5, ldb 9, lda 11), reported exactly once to this
 *     program's xerbla_ ("SGEMM ") or cblas_xerbla ("cblas_sgemm");
 *   - which operands are read or written: none after an error or on a
 *     quick return (M = 0, N = 0, or alpha = 0 or K = 0 with beta = 1);
 *     A and B only when alpha != 0 and K > 0; C read only when beta != 0.
 *
 * Each operand the model says is touched gets exactly its footprint,
 * ld * (cols - 1) + rows elements, in a fresh allocation, so AddressSanitizer
 * stops at the first byte read or written past it; the gaps between
 * columns hold signalling-NaN canaries and are poisoned for ASan.  A
 * footprint too large to allocate (a huge ld) is mapped PROT_NONE with
 * only its columns' pages readable and writable, so a 32-bit overflow in
 * an index faults.  An operand the model says is untouched is NULL or a
 * zero-byte allocation; an invalid call may also get a real C, which must
 * stay bit-identical.  After the call: A, B and everything outside C's
 * M x N block are bit-identical, and C's block is within check.h's float32
 * bound of the float64 reference (when alpha and beta are finite and
 * moderate; NaN and Inf arithmetic is not what this target judges).
 * Calls too large to compute here (over WORK_CAP multiply-adds, or
 * footprints over the caps) run only if the model says nothing is touched.
 *
 * Any broken expectation aborts, which libFuzzer reports as a crash with
 * the input saved; at exit one line gives the counts of what was tried.
 * make_fuzz_seeds.py writes the committed seeds in this input format. */
#include <dlfcn.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"

/* Not gemm590.h: it pulls in the system cblas.h, whose cblas_xerbla
 * prototype differs from the handler defined here. */
enum { ROW_MAJOR = 101, COL_MAJOR = 102, NO_TRANS = 111, TRANS = 112, CONJ_TRANS = 113 };

void __asan_poison_memory_region(void const volatile *addr, size_t size);
void __asan_unpoison_memory_region(void const volatile *addr, size_t size);

enum {
  WORK_CAP = 1 << 18,      /* M * N * K computed per call, at most */
  MALLOC_CAP = 16 << 20,   /* bytes: larger footprints are mapped sparsely */
  SPARSE_COLS = 64,        /* sparse mappings: at most this many columns */
  SPARSE_ROWS = 1 << 14,   /* ... of at most this many elements */
};
#define SPARSE_SPAN ((uint64_t)1 << 42) /* bytes of address space per operand */

/* ---- the program's own error handlers: they only record ---- */

static int handler_calls, handler_info;
static char handler_name[32];

static void record(int info, const char *name, size_t len) {
  handler_calls++;
  handler_info = info;
  while (len > 0 && name[len - 1] == ' ') len--;
  if (len >= sizeof handler_name) len = sizeof handler_name - 1;
  memcpy(handler_name, name, len);
  handler_name[len] = '\0';
}

void xerbla_(const char *srname, const int *info, size_t len);
void xerbla_(const char *srname, const int *info, size_t len) { record(*info, srname, len); }

void cblas_xerbla(int info, const char *rout, const char *form, ...);
void cblas_xerbla(int info, const char *rout, const char *form, ...) {
  (void)form;
  record(info, rout, strlen(rout));
}

/* ---- decoding: every byte string is a call ---- */

typedef struct reader {
  const uint8_t *p;
  size_t left;
} reader;

/* The next `bytes` bytes, little-endian; zeros once the input runs out. */
static uint64_t take(reader *r, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; i++) {
    uint64_t b = r->left ? (r->left--, *r->p++) : 0;
    v |= b << (8 * i);
  }
  return v;
}

/* A size: mostly small, else a value at an edge of 32 or 64 bits (only
 * values an int holds for the 32-bit entries). */
static int64_t take_size(reader *r, bool wide) {
  static const int64_t edges[] = {0,         -1,          INT_MIN,     INT_MAX,    INT_MAX - 1,
                                  46341,     65536,       1 << 20,     -(1 << 30), 1 << 30};
  static const int64_t wide_edges[] = {(int64_t)1 << 31, ((int64_t)1 << 32) + 3,
                                       (int64_t)1 << 40, INT64_MAX, INT64_MIN,
                                       (int64_t)1 << 62, -((int64_t)1 << 32)};
  uint8_t sel = (uint8_t)take(r, 1);
  if (sel < 200) return (int64_t)(take(r, 1) % 40);
  if (sel < 232) return edges[take(r, 1) % (sizeof edges / sizeof edges[0])];
  if (sel < 244 && wide) return wide_edges[take(r, 1) % (sizeof wide_edges / sizeof wide_edges[0])];
  return wide ? (int64_t)take(r, 8) : (int64_t)(int32_t)take(r, 4);
}

/* A leading dimension relative to the rows of its operand as stored:
 * mostly that minimum plus a slack of 0..14, one time in 16 one short of
 * it; else any size. */
static int64_t take_ld(reader *r, int64_t rows, bool wide) {
  uint8_t sel = (uint8_t)take(r, 1);
  int64_t min = rows > 1 ? rows : 1;
  if (sel < 200 && min < INT_MAX - 16) return min + (int64_t)(take(r, 1) % 16) - 1;
  return take_size(r, wide);
}

static float take_scalar(reader *r) {
  static const float values[] = {0.0f, 1.0f, -1.0f, 0.5f, 2.0f, -0.75f};
  uint8_t sel = (uint8_t)take(r, 1);
  if (sel < 200) return values[sel % (sizeof values / sizeof values[0])];
  if (sel < 210) return NAN;
  if (sel < 220) return sel & 1 ? INFINITY : -INFINITY;
  uint32_t bits = (uint32_t)take(r, 4);
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

static int take_cblas_trans(reader *r) {
  static const int codes[] = {NO_TRANS, TRANS, CONJ_TRANS, NO_TRANS, TRANS};
  uint8_t sel = (uint8_t)take(r, 1);
  return sel < 240 ? codes[sel % 5] : (int)(int32_t)take(r, 4);
}

static char take_fortran_trans(reader *r) {
  static const char letters[] = "NnTtCc";
  uint8_t sel = (uint8_t)take(r, 1);
  return sel < 240 ? letters[sel % 6] : (char)take(r, 1);
}

/* ---- the reference model ---- */

static int64_t max1(int64_t x) { return x > 1 ? x : 1; }

/* Reference SGEMM's check: 0 or the Fortran parameter number. */
static int fortran_info(int ta, int tb, int64_t m, int64_t n, int64_t k, int64_t lda, int64_t ldb,
                        int64_t ldc) {
  if (ta < 0) return 1;
  if (tb < 0) return 2;
  if (m < 0) return 3;
  if (n < 0) return 4;
  if (k < 0) return 5;
  if (lda < max1(ta ? k : m)) return 8;
  if (ldb < max1(tb ? n : k)) return 10;
  if (ldc < max1(m)) return 13;
  return 0;
}

static int fortran_trans(char t) {
  return (t == 'N' || t == 'n') ? 0 : (t == 'T' || t == 't' || t == 'C' || t == 'c') ? 1 : -1;
}

static int cblas_trans_flag(int t) {
  return t == NO_TRANS ? 0 : (t == TRANS || t == CONJ_TRANS) ? 1 : -1;
}

/* Netlib cblas_sgemm: layout, TransA, TransB in the caller's order, then
 * the Fortran check of the column-major problem (row-major: swapped)
 * with its numbers shifted to the CBLAS list. */
static int cblas_info(int layout, int transa, int transb, int64_t m, int64_t n, int64_t k,
                      int64_t lda, int64_t ldb, int64_t ldc) {
  static const int shift[14] = {[3] = 4, [4] = 5, [5] = 6, [8] = 9, [10] = 11, [13] = 14};
  if (layout != ROW_MAJOR && layout != COL_MAJOR) return 1;
  int ta = cblas_trans_flag(transa), tb = cblas_trans_flag(transb);
  if (ta < 0) return 2;
  if (tb < 0) return 3;
  int f = layout == COL_MAJOR ? fortran_info(ta, tb, m, n, k, lda, ldb, ldc)
                              : fortran_info(tb, ta, n, m, k, ldb, lda, ldc);
  return shift[f];
}

/* ---- operands with exact footprints ---- */

typedef struct operand {
  int64_t rows, cols, ld; /* as stored, column-major view (check_gemm_storage) */
  float *data;            /* what the call gets */
  void *mapping;          /* sparse: the whole PROT_NONE mapping */
  size_t map_bytes;
  float *saved;           /* every accessible element before the call */
  size_t elements;        /* malloc'd: the footprint */
} operand;

static size_t page_size;

/* Elements from the first to the last one of the operand; UINT64_MAX
 * when that does not fit 64 bits. */
static uint64_t footprint(int64_t rows, int64_t cols, int64_t ld) {
  uint64_t span;
  if (rows == 0 || cols == 0) return 0;
  if (__builtin_mul_overflow((uint64_t)ld, (uint64_t)(cols - 1), &span) ||
      __builtin_add_overflow(span, (uint64_t)rows, &span))
    return UINT64_MAX;
  return span;
}

/* Page range [lo, hi) of column j of a sparse operand, in elements from data. */
static void column_pages(const operand *x, int64_t j, size_t *lo, size_t *hi) {
  size_t per_page = page_size / sizeof(float);
  size_t first = (size_t)(j * x->ld), last = first + (size_t)x->rows;
  *lo = first / per_page * per_page;
  *hi = (last + per_page - 1) / per_page * per_page;
}

/* Allocates what the call may touch; false when too large to try here. */
static bool operand_alloc(operand *x, int64_t rows, int64_t cols, int64_t ld) {
  uint64_t elements = footprint(rows, cols, ld);
  /* An empty block (0 rows or columns) has nothing to fill or watch. */
  *x = elements ? (operand){.rows = rows, .cols = cols, .ld = ld} : (operand){.ld = ld};
  if (elements <= MALLOC_CAP / sizeof(float)) {
    x->elements = (size_t)elements;
    x->data = malloc(x->elements * sizeof(float));
    return x->data != NULL || x->elements == 0;
  }
  if (cols > SPARSE_COLS || rows > SPARSE_ROWS || elements > SPARSE_SPAN / sizeof(float))
    return false;
  x->map_bytes = ((size_t)elements * sizeof(float) + page_size - 1) / page_size * page_size;
  x->mapping = mmap(NULL, x->map_bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                    -1, 0);
  if (x->mapping == MAP_FAILED) {
    x->mapping = NULL;
    return false;
  }
  x->data = x->mapping;
  for (int64_t j = 0; j < cols; j++) {
    size_t lo, hi;
    column_pages(x, j, &lo, &hi);
    if (mprotect(x->data + lo, (hi - lo) * sizeof(float), PROT_READ | PROT_WRITE) != 0) {
      munmap(x->mapping, x->map_bytes);
      x->mapping = NULL;
      return false;
    }
  }
  return true;
}

/* Runs `body` with `off` set to each accessible element's offset from
 * x->data: the footprint, or the pages of every column of a sparse mapping. */
#define FOR_ACCESSIBLE(x, off, body)                                                 \
  do {                                                                               \
    if (!(x)->mapping) {                                                             \
      for (size_t off = 0; off < (x)->elements; off++) body;                         \
    } else {                                                                         \
      for (int64_t col_ = 0; col_ < (x)->cols; col_++) {                             \
        size_t lo_, hi_;                                                             \
        column_pages((x), col_, &lo_, &hi_);                                         \
        for (size_t off = lo_; off < hi_; off++) body;                               \
      }                                                                              \
    }                                                                                \
  } while (0)

static bool in_block(const operand *x, size_t off) {
  return (int64_t)(off % (size_t)x->ld) < x->rows && (int64_t)(off / (size_t)x->ld) < x->cols;
}

/* Block elements from rng (or NaN), everything else accessible a canary. */
static void operand_fill(operand *x, check_rng *rng, bool nan_block) {
  float canary = check_canary();
  size_t count = 0;
  FOR_ACCESSIBLE(x, off, {
    x->data[off] = !in_block(x, off) ? canary : nan_block ? NAN : check_rng_unit(rng);
    count++;
  });
  x->saved = malloc(count * sizeof(float));
  if (!x->saved && count) abort();
  count = 0;
  FOR_ACCESSIBLE(x, off, x->saved[count++] = x->data[off]);
}

/* Poisons the gaps between the columns of a malloc'd footprint, so that
 * ASan stops at an access there (whole 8-byte granules only). */
static void operand_poison(const operand *x) {
  if (x->mapping || !x->data) return;
  for (int64_t j = 0; j + 1 < x->cols; j++)
    __asan_poison_memory_region(x->data + j * x->ld + x->rows,
                                (size_t)(x->ld - x->rows) * sizeof(float));
}

/* Accessible elements that differ from the snapshot (all, or only those
 * outside the block). */
static size_t operand_changed(operand *x, bool outside_only) {
  if (!x->data) return 0;
  if (!x->mapping) __asan_unpoison_memory_region(x->data, x->elements * sizeof(float));
  size_t changed = 0, i = 0;
  FOR_ACCESSIBLE(x, off, {
    bool skip = outside_only && in_block(x, off);
    if (!skip && memcmp(&x->data[off], &x->saved[i], sizeof(float)) != 0) changed++;
    i++;
  });
  return changed;
}

static void operand_free(operand *x) {
  if (x->mapping) munmap(x->mapping, x->map_bytes);
  else if (x->data) {
    __asan_unpoison_memory_region(x->data, x->elements * sizeof(float));
    free(x->data);
  }
  free(x->saved);
}

/* ---- one input ---- */

static uint64_t tried, invalid, quick, computed, unjudged, too_large, past_2p31;

static void fail(const char *what, const check_gemm *g, int layout, int transa, int transb) {
  char desc[320];
  check_gemm_describe(g, desc, sizeof desc);
  fprintf(stderr, "FAIL: %s\n  call: %s (raw layout %d, transa %d, transb %d)\n", what, desc,
          layout, transa, transb);
  abort();
}

typedef struct lib_counters {
  uint64_t calls[2]; /* struct gemm590_counters: host, device */
  double flops[2];
} lib_counters;

static void print_counts(void) {
  /* Looked up rather than declared: gemm590.h cannot be included here. */
  void (*get)(lib_counters *) = (void (*)(lib_counters *))dlsym(RTLD_DEFAULT,
                                                                 "gemm590_get_counters");
  lib_counters lc = {{0, 0}, {0, 0}};
  if (get) get(&lc);
  fprintf(stderr, "fuzz_args: libgemm590 counted %" PRIu64 " host and %" PRIu64 " device calls\n",
          lc.calls[0], lc.calls[1]);
  fprintf(stderr,
          "fuzz_args: %" PRIu64 " calls: %" PRIu64 " invalid (parameter number checked), %" PRIu64
          " quick returns, %" PRIu64 " computed and compared, %" PRIu64
          " computed with NaN, Inf or huge alpha/beta (footprints checked, values not), %" PRIu64
          " valid but too large to compute here; %" PRIu64
          " computed with an operand spanning more than 2^31 elements\n",
          tried, invalid, quick, computed, unjudged, too_large, past_2p31);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  page_size = (size_t)sysconf(_SC_PAGESIZE);
  atexit(print_counts);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *input, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *input, size_t size) {
  reader r = {input, size};
  check_gemm g = {.entry = (check_entry)(take(&r, 1) % CHECK_ENTRY_COUNT)};
  bool fortran = check_entry_is_fortran(g.entry), wide = check_entry_is_64(g.entry);
  int layout = COL_MAJOR, transa = NO_TRANS, transb = NO_TRANS, ta, tb;
  if (fortran) {
    g.layout = 'C';
    g.transa = take_fortran_trans(&r);
    g.transb = take_fortran_trans(&r);
    ta = fortran_trans(g.transa);
    tb = fortran_trans(g.transb);
  } else {
    uint8_t sel = (uint8_t)take(&r, 1);
    layout = sel < 120 ? COL_MAJOR : sel < 240 ? ROW_MAJOR : (int)(int32_t)take(&r, 4);
    transa = take_cblas_trans(&r);
    transb = take_cblas_trans(&r);
    ta = cblas_trans_flag(transa);
    tb = cblas_trans_flag(transb);
    g.layout = layout == ROW_MAJOR ? 'R' : 'C';
    g.transa = ta == 1 ? (transa == CONJ_TRANS ? 'C' : 'T') : 'N';
    g.transb = tb == 1 ? (transb == CONJ_TRANS ? 'C' : 'T') : 'N';
  }
  g.m = take_size(&r, wide);
  g.n = take_size(&r, wide);
  g.k = take_size(&r, wide);
  /* Storage shapes with the caller's transposes (an invalid code counts
   * as 'N' here: such a call must touch nothing anyway). */
  int64_t ra, ca, rb, cb, rc, cc;
  check_gemm_storage(&g, 'A', &ra, &ca);
  check_gemm_storage(&g, 'B', &rb, &cb);
  check_gemm_storage(&g, 'C', &rc, &cc);
  g.lda = take_ld(&r, ra, wide);
  g.ldb = take_ld(&r, rb, wide);
  g.ldc = take_ld(&r, rc, wide);
  g.alpha = take_scalar(&r);
  g.beta = take_scalar(&r);
  uint8_t null_flags = (uint8_t)take(&r, 1);
  check_rng rng;
  check_rng_seed(&rng, take(&r, 8));

  int info = fortran ? fortran_info(ta, tb, g.m, g.n, g.k, g.lda, g.ldb, g.ldc)
                     : cblas_info(layout, transa, transb, g.m, g.n, g.k, g.lda, g.ldb, g.ldc);
  bool quick_return = g.m == 0 || g.n == 0 || ((g.alpha == 0.0f || g.k == 0) && g.beta == 1.0f);
  bool touch_c = info == 0 && !quick_return;
  bool read_ab = touch_c && g.alpha != 0.0f && g.k > 0;
  bool read_c = touch_c && g.beta != 0.0f;
  tried++;

  /* Negative or huge sizes are only fine when nothing is touched.  An
   * invalid call may get a real C (flag 8) where its shape allows one: it
   * must stay bit-identical. */
  operand a = {0}, b = {0}, c = {0};
  bool given_c = info != 0 && (null_flags & 8) && rc >= 0 && cc >= 0 && g.ldc >= max1(rc) &&
                 (double)rc * (double)cc <= WORK_CAP;
  bool fits = (!read_ab || (double)g.m * (double)g.n * (double)g.k <= WORK_CAP) &&
              (!touch_c || (double)g.m * (double)g.n <= WORK_CAP);
  if (!fits || (read_ab && (!operand_alloc(&a, ra, ca, g.lda) ||
                            !operand_alloc(&b, rb, cb, g.ldb))) ||
      ((touch_c || given_c) && !operand_alloc(&c, rc, cc, g.ldc))) {
    operand_free(&a);
    operand_free(&b);
    operand_free(&c);
    too_large++;
    return 0;
  }
  /* Untouched operands: NULL or a zero-byte allocation (any access to
   * either is an error ASan or the MMU reports). */
  void *zero[3] = {NULL, NULL, NULL};
  for (int i = 0; i < 3; i++)
    if (!(null_flags & (1u << i))) zero[i] = malloc(0);
  if (read_ab) {
    operand_fill(&a, &rng, false);
    operand_fill(&b, &rng, false);
  }
  if (touch_c || given_c) operand_fill(&c, &rng, touch_c && !read_c);
  g.a = read_ab ? a.data : zero[0];
  g.b = read_ab ? b.data : zero[1];
  g.c = c.data ? c.data : zero[2];
  if (touch_c && (footprint(rc, cc, g.ldc) > INT_MAX ||
                  (read_ab && (footprint(ra, ca, g.lda) > INT_MAX ||
                               footprint(rb, cb, g.ldb) > INT_MAX))))
    past_2p31++;

  /* The reference, before the call (C is an input when beta != 0). */
  bool compare = touch_c && isfinite(g.alpha) && isfinite(g.beta) && fabsf(g.alpha) <= 1e4f &&
                 fabsf(g.beta) <= 1e4f;
  double *ref = NULL, *mag = NULL;
  /* Without A and B, C = beta C whatever K is: K = 0 keeps check.h's
   * bound, 8 (K + 2) eps, finite for any K the call passed. */
  check_gemm judged = g;
  if (!read_ab) judged.k = 0;
  if (compare) {
    ref = malloc((size_t)(g.m * g.n) * sizeof *ref);
    mag = malloc((size_t)(g.m * g.n) * sizeof *mag);
    if (!ref || !mag) abort();
    check_reference(&judged, ref, mag);
  }
  operand_poison(&a);
  operand_poison(&b);
  operand_poison(&c);

  handler_calls = 0;
  if (fortran)
    check_call_fortran(g.entry, g.transa, g.transb, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b,
                       g.ldb, g.beta, g.c, g.ldc);
  else
    check_call_cblas(g.entry, layout, transa, transb, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b,
                     g.ldb, g.beta, g.c, g.ldc);

  char what[160];
  if (info != 0) {
    invalid++;
    const char *name = fortran ? "SGEMM" : "cblas_sgemm";
    if (handler_calls != 1 || handler_info != info || strcmp(handler_name, name) != 0) {
      if (handler_calls)
        snprintf(what, sizeof what,
                 "expected one report of parameter %d by %s, got %d, the last of %d by %s", info,
                 name, handler_calls, handler_info, handler_name);
      else
        snprintf(what, sizeof what, "expected one report of parameter %d by %s, got none", info,
                 name);
      fail(what, &g, layout, transa, transb);
    }
  } else if (handler_calls != 0) {
    snprintf(what, sizeof what, "valid call reported parameter %d", handler_info);
    fail(what, &g, layout, transa, transb);
  }
  if (!touch_c) quick += info == 0;
  if (read_ab && (operand_changed(&a, false) || operand_changed(&b, false)))
    fail("A or B changed", &g, layout, transa, transb);
  if (touch_c && operand_changed(&c, true))
    fail("C changed outside its M x N block", &g, layout, transa, transb);
  if (given_c && operand_changed(&c, false))
    fail("C changed by an invalid call", &g, layout, transa, transb);
  if (compare) {
    check_result res;
    check_compare(&judged, ref, mag, CHECK_F32, &res);
    if (res.bad) {
      snprintf(what, sizeof what,
               "%" PRId64 " elements of C out of bound, first C(%" PRId64 ",%" PRId64
               ") = %.9g, reference %.9g",
               res.bad, res.bad_i, res.bad_j, res.got, res.want);
      fail(what, &g, layout, transa, transb);
    }
    computed++;
  } else if (touch_c) {
    unjudged++;
  }
  free(ref);
  free(mag);
  for (int i = 0; i < 3; i++) free(zero[i]);
  operand_free(&a);
  operand_free(&b);
  operand_free(&c);
  return 0;
}
