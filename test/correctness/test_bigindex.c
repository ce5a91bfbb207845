/* 64-bit index arithmetic: calls whose element offsets (j * ldc, l * lda,
 * ...) pass 2^31 and, where the type allows, 2^32.
 *
 * Tiny shapes (M, N, K <= 3) with leading dimensions around 2^30 .. 2^32:
 * each operand is a MAP_NORESERVE anonymous mapping of up to ~16 GiB of
 * address space of which only the few pages holding its elements are ever
 * touched (untouched pages read as the shared zero page and cost
 * nothing).  A 32-bit overflow in the library or the host BLAS makes it
 * read or write the wrong place: a wrong result, a changed canary next to
 * the elements, or a crash.  If the mappings cannot be made (strict
 * overcommit, address-space limit), the test is skipped (exit 77). */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "check.h"

enum { SKIP = 77, NEAR = 4 /* canaries after each stripe and around the operand */ };

/* One operand: a sparse view of a huge mapping. */
typedef struct big_matrix {
  void *map;
  size_t bytes;
  int64_t rows, cols, ld;
  float *data;
  float saved[9]; /* the rows x cols block before the call (at most 3 x 3) */
} big_matrix;

/* End of the canaries after stripe j: NEAR elements, or up to the next
 * stripe when ld is short. */
static int64_t padding_end(const big_matrix *m, int64_t j) {
  int64_t end = m->rows + NEAR;
  return j + 1 < m->cols && end > m->ld ? m->ld : end;
}

static bool big_alloc(big_matrix *m, int64_t rows, int64_t cols, int64_t ld, check_rng *rng) {
  /* Canaries: NEAR before data and NEAR after each stripe (stopping at
   * the next stripe when ld is short). */
  size_t elements = NEAR + (size_t)(ld * (cols - 1) + rows) + NEAR;
  *m = (big_matrix){.bytes = elements * sizeof(float), .rows = rows, .cols = cols, .ld = ld};
  m->map = mmap(NULL, m->bytes, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m->map == MAP_FAILED) {
    m->map = NULL;
    return false;
  }
  m->data = (float *)m->map + NEAR;
  float canary = check_canary();
  for (int i = 1; i <= NEAR; i++) m->data[-i] = canary;
  for (int64_t j = 0; j < cols; j++) {
    for (int64_t i = 0; i < rows; i++)
      m->data[i + j * ld] = m->saved[i + j * rows] = check_rng_unit(rng);
  }
  for (int64_t j = 0; j < cols; j++)
    for (int64_t i = rows; i < padding_end(m, j); i++) m->data[i + j * ld] = canary;
  return true;
}

static void big_free(big_matrix *m) {
  if (m->map) munmap(m->map, m->bytes);
  m->map = NULL;
}

/* Canaries changed (and, for inputs, block elements changed). */
static int big_changed(const big_matrix *m, bool input) {
  float canary = check_canary();
  int changed = 0;
  for (int i = 1; i <= NEAR; i++) changed += memcmp(&m->data[-i], &canary, sizeof canary) != 0;
  for (int64_t j = 0; j < m->cols; j++) {
    for (int64_t i = 0; input && i < m->rows; i++)
      changed += memcmp(&m->data[i + j * m->ld], &m->saved[i + j * m->rows], sizeof(float)) != 0;
    for (int64_t i = m->rows; i < padding_end(m, j); i++)
      changed += memcmp(&m->data[i + j * m->ld], &canary, sizeof canary) != 0;
  }
  return changed;
}

/* Returns 0 pass, 1 fail, SKIP when the mappings cannot be made. */
static int run_case(check_gemm g, check_rng *rng) {
  char desc[256];
  check_gemm_describe(&g, desc, sizeof desc);
  big_matrix a = {0}, b = {0}, c = {0};
  int64_t r, k;
  bool mapped = true;
  check_gemm_storage(&g, 'A', &r, &k);
  mapped = mapped && big_alloc(&a, r, k, g.lda, rng);
  check_gemm_storage(&g, 'B', &r, &k);
  mapped = mapped && big_alloc(&b, r, k, g.ldb, rng);
  check_gemm_storage(&g, 'C', &r, &k);
  mapped = mapped && big_alloc(&c, r, k, g.ldc, rng);
  if (!mapped) {
    printf("SKIP: cannot map the operands of %s: %s\n", desc, strerror(errno));
    big_free(&a), big_free(&b), big_free(&c);
    return SKIP;
  }
  g.a = a.data, g.b = b.data, g.c = c.data;
  if (g.beta == 0.0f) /* C must not be read: NaN poison must not survive */
    for (int64_t j = 0; j < c.cols; j++)
      for (int64_t i = 0; i < c.rows; i++) c.data[i + j * c.ld] = NAN;

  double ref[9], mag[9];
  check_reference(&g, ref, mag);
  check_gemm_run(&g);
  check_result res;
  check_compare(&g, ref, mag, CHECK_F32, &res);
  int changed_a = big_changed(&a, true), changed_b = big_changed(&b, true),
      changed_c = big_changed(&c, false);
  bool ok = !res.bad && !changed_a && !changed_b && !changed_c;
  printf("%s: %s\n", ok ? "ok" : "FAIL", desc);
  if (res.bad)
    printf("  C(%" PRId64 ",%" PRId64 ") = %.9g, reference %.9g, bound %.3g\n", res.bad_i,
           res.bad_j, res.got, res.want, res.bound);
  if (changed_a || changed_b || changed_c)
    printf("  changed outside C's elements: %d in A, %d in B, %d around C\n", changed_a,
           changed_b, changed_c);
  big_free(&a), big_free(&b), big_free(&c);
  return ok ? 0 : 1;
}

int main(void) {
  const int64_t ld31 = ((int64_t)1 << 30) + 7; /* 2 * ld31 > 2^31 */
  const int64_t ld_max = INT_MAX;              /* 2 * INT_MAX overflows int */
  const int64_t ld32 = ((int64_t)1 << 32) + 5; /* 64-bit entries: unsigned 32 wraps */
  /* Each case puts at least two operands' third (or second) stripe past
   * 2^31 elements; the layouts and transposes move the large offsets
   * between rows and columns of op(A), op(B) and C. */
  const check_gemm cases[] = {
      {.entry = CHECK_CBLAS, .layout = 'C', .transa = 'N', .transb = 'N', .m = 3, .n = 3,
       .k = 3, .alpha = 1.5f, .beta = 0.5f, .lda = ld31, .ldb = 5, .ldc = ld31},
      {.entry = CHECK_CBLAS, .layout = 'R', .transa = 'T', .transb = 'N', .m = 3, .n = 3,
       .k = 3, .alpha = -1.0f, .beta = 0.0f, .lda = ld31, .ldb = ld31, .ldc = ld31},
      {.entry = CHECK_FORTRAN, .layout = 'C', .transa = 'T', .transb = 'T', .m = 3, .n = 3,
       .k = 3, .alpha = 1.0f, .beta = 1.0f, .lda = ld31, .ldb = ld31, .ldc = ld31},
      {.entry = CHECK_FORTRAN, .layout = 'C', .transa = 'N', .transb = 'C', .m = 2, .n = 3,
       .k = 3, .alpha = 2.0f, .beta = -0.5f, .lda = ld_max, .ldb = ld_max, .ldc = ld_max},
      {.entry = CHECK_FORTRAN64, .layout = 'C', .transa = 'N', .transb = 'N', .m = 2, .n = 2,
       .k = 2, .alpha = 1.0f, .beta = 0.5f, .lda = ld32, .ldb = ld32, .ldc = ld32},
      {.entry = CHECK_CBLAS64, .layout = 'R', .transa = 'N', .transb = 'T', .m = 2, .n = 2,
       .k = 2, .alpha = 1.0f, .beta = 0.0f, .lda = ld32, .ldb = ld32, .ldc = ld32},
  };
  check_rng rng;
  check_rng_seed(&rng, 590);
  int failures = 0;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int rc = run_case(cases[i], &rng);
    if (rc == SKIP) return failures ? 1 : SKIP;
    failures += rc;
  }
  printf("%s\n", failures ? "FAIL" : "PASS");
  return failures ? 1 : 0;
}
