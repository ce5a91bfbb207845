/* gemm590_hgemm's invalid arguments, reported like cblas_sgemm's.
 *
 * This program defines cblas_xerbla (linked with --export-dynamic so that
 * the library, which only calls a handler of the main program, finds it).
 * For both layouts and every transpose pair it makes each parameter invalid
 * alone, then every pair of parameters, and checks that exactly one
 * handler call names "gemm590_hgemm" and the first invalid parameter in
 * netlib CBLAS order and numbering:
 *   column-major: layout 1, transA 2, transB 3, M 4, N 5, K 6, lda 9,
 *     ldb 11, ldc 14, checked in that order;
 *   row-major: checked as the swapped column-major problem C^T = B^T A^T,
 *     reporting its raw numbers: N 4 before M 5, ldb 9 before lda 11.
 * After an invalid call A, B and C (with padding and guards) are
 * bit-identical; a valid call makes no handler call. */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The CBLAS values, spelled out: gemm590.h would pull in the system
 * cblas.h, whose cblas_xerbla prototype differs from the one defined here
 * (see test/correctness/test_errors.c). */
enum { ROW_MAJOR = 101, COL_MAJOR = 102, NO_TRANS = 111, TRANS = 112 };

/* Called directly, so that the linker keeps libgemm590 (gemm590_hgemm
 * itself is looked up by name). */
const char *gemm590_version(void);

typedef void (*hgemm_fn)(int, int, int, int, int, int, float, const uint16_t *, int,
                         const uint16_t *, int, float, uint16_t *, int);

static int handler_calls, handler_info;
static char handler_name[32];

void cblas_xerbla(int info, const char *rout, const char *form, ...);
void cblas_xerbla(int info, const char *rout, const char *form, ...) {
  (void)form;
  handler_calls++;
  handler_info = info;
  snprintf(handler_name, sizeof handler_name, "%s", rout);
}

enum field { F_LAYOUT, F_TRANSA, F_TRANSB, F_M, F_N, F_K, F_LDA, F_LDB, F_LDC, F_COUNT };
static const char *const field_names[F_COUNT] = {"layout", "transA", "transB", "M", "N",
                                                 "K", "lda", "ldb", "ldc"};
/* Reported number, and check order, of each field. */
static const int col_number[F_COUNT] = {1, 2, 3, 4, 5, 6, 9, 11, 14};
static const int row_number[F_COUNT] = {1, 2, 3, 5, 4, 6, 11, 9, 14};

typedef struct args {
  int layout, transa, transb, m, n, k, lda, ldb, ldc;
} args;

/* Smallest valid leading dimension of an operand whose op() is r x c. */
static int min_ld(bool row_major, bool trans, int r, int c) {
  int ld = (row_major != trans) ? c : r;
  return ld > 1 ? ld : 1;
}

static args valid_args(int layout, int transa, int transb) {
  bool row = layout == ROW_MAJOR;
  args a = {layout, transa, transb, 3, 4, 5, 0, 0, 0};
  a.lda = min_ld(row, transa != NO_TRANS, a.m, a.k);
  a.ldb = min_ld(row, transb != NO_TRANS, a.k, a.n);
  a.ldc = row ? a.n : a.m;
  return a;
}

static void make_invalid(args *a, enum field f) {
  switch (f) {
  case F_LAYOUT: a->layout = 103; break;
  case F_TRANSA: a->transa = 'N'; break;
  case F_TRANSB: a->transb = 0; break;
  case F_M: a->m = -1; break;
  case F_N: a->n = -2; break;
  case F_K: a->k = -1; break;
  case F_LDA: a->lda -= 1; break;
  case F_LDB: a->ldb -= 1; break;
  case F_LDC: a->ldc -= 1; break;
  default: break;
  }
}

enum { GUARDED = 64 };
static uint16_t mem_a[GUARDED], mem_b[GUARDED], mem_c[GUARDED];
static uint16_t saved[3][GUARDED];

static int failures;

/* Runs `a`; want = 0 for a valid call, else the reported number. */
static void expect(hgemm_fn hgemm, const args *a, int want, const char *what) {
  for (int i = 0; i < GUARDED; i++)
    mem_a[i] = (uint16_t)(0x3c00 + i), mem_b[i] = (uint16_t)(0x4000 + i), mem_c[i] = 0x7d5a;
  memcpy(saved[0], mem_a, sizeof mem_a);
  memcpy(saved[1], mem_b, sizeof mem_b);
  memcpy(saved[2], mem_c, sizeof mem_c);
  handler_calls = 0, handler_info = 0, handler_name[0] = '\0';
  hgemm(a->layout, a->transa, a->transb, a->m, a->n, a->k, 1.0f, mem_a, a->lda, mem_b, a->ldb,
        0.5f, mem_c, a->ldc);
  bool ok = want ? handler_calls == 1 && handler_info == want &&
                       strcmp(handler_name, "gemm590_hgemm") == 0
                 : handler_calls == 0;
  bool untouched = memcmp(saved[0], mem_a, sizeof mem_a) == 0 &&
                   memcmp(saved[1], mem_b, sizeof mem_b) == 0 &&
                   (!want || memcmp(saved[2], mem_c, sizeof mem_c) == 0);
  if (ok && untouched) return;
  if (failures++ < 20)
    printf("FAIL %s (layout=%d transa=%d transb=%d M=%d N=%d K=%d lda=%d ldb=%d ldc=%d): "
           "%d handler calls, last \"%s\" %d; want %d%s\n",
           what, a->layout, a->transa, a->transb, a->m, a->n, a->k, a->lda, a->ldb, a->ldc,
           handler_calls, handler_name, handler_info, want,
           untouched ? "" : "; operands changed");
}

int main(void) {
  hgemm_fn hgemm = (hgemm_fn)dlsym(RTLD_DEFAULT, "gemm590_hgemm");
  if (!hgemm) {
    printf("FAIL: libgemm590 does not export gemm590_hgemm\n");
    return 1;
  }
  static const int layouts[] = {COL_MAJOR, ROW_MAJOR}, transposes[] = {NO_TRANS, TRANS};
  int calls = 0;
  for (int li = 0; li < 2; li++)
    for (int ta = 0; ta < 2; ta++)
      for (int tb = 0; tb < 2; tb++) {
        int layout = layouts[li];
        const int *number = layout == ROW_MAJOR ? row_number : col_number;
        args base = valid_args(layout, transposes[ta], transposes[tb]);
        expect(hgemm, &base, 0, "valid call");
        calls++;
        for (int f = 0; f < F_COUNT; f++) {
          args a = base;
          make_invalid(&a, (enum field)f);
          char what[64];
          snprintf(what, sizeof what, "invalid %s", field_names[f]);
          expect(hgemm, &a, number[f], what);
          calls++;
          for (int g = 0; g < F_COUNT; g++) {
            if (g == f) continue;
            args two = a;
            make_invalid(&two, (enum field)g);
            /* The parameter checked first wins: the lower number. */
            int want = number[f] < number[g] ? number[f] : number[g];
            snprintf(what, sizeof what, "invalid %s and %s", field_names[f], field_names[g]);
            expect(hgemm, &two, want, what);
            calls++;
          }
        }
      }
  printf("libgemm590 %s: %d calls, %d failures\n", gemm590_version(), calls, failures);
  return failures ? 1 : 0;
}
