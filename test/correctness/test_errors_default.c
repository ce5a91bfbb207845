/* Invalid arguments without application handlers: the library's default.
 *
 * This program defines no xerbla_ or cblas_xerbla, so the library must
 * print exactly one line to stderr naming the routine and the caller's
 * parameter number (for row-major CBLAS calls too, as netlib's
 * cblas_xerbla does), leave C untouched and return: a bad argument must
 * never end the process (netlib's handlers call exit/STOP).  Valid calls
 * print nothing.  With GEMM590_VERBOSE=1 every call also prints its
 * verbose line, and for an invalid call that line must name the same
 * parameter number as the message. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "gemm590.h"

typedef struct expectation {
  const char *what;
  check_gemm g;        /* buffers filled in by main */
  const char *routine; /* must appear in the line; NULL: no output at all */
  int number;          /* the caller's parameter number the line must name */
} expectation;

/* Whether `line` has `number` as a token of its own ("parameter 4,", not
 * the 590 of "gemm590"). */
static bool has_number(const char *line, int number) {
  for (const char *p = line; *p; p++) {
    if (!isdigit((unsigned char)*p) || (p > line && isalnum((unsigned char)p[-1]))) continue;
    char *end;
    long v = strtol(p, &end, 10);
    if (v == number && !isalnum((unsigned char)*end)) return true;
    p = end - 1;
  }
  return false;
}

int main(void) {
  /* Every call gets operands large enough for its valid reading. */
  check_matrix a, b, c;
  if (!check_matrix_alloc(&a, 64, 1, 64) || !check_matrix_alloc(&b, 64, 1, 64) ||
      !check_matrix_alloc(&c, 64, 1, 64)) {
    fprintf(stderr, "FATAL: out of memory\n");
    return 1;
  }
  expectation cases[] = {
      {"sgemm_ M < 0", {.entry = CHECK_FORTRAN, .layout = 'C', .transa = 'N', .transb = 'N',
                        .m = -1, .n = 2, .k = 2, .lda = 2, .ldb = 2, .ldc = 2}, "SGEMM", 3},
      {"sgemm_ ldb < K", {.entry = CHECK_FORTRAN, .layout = 'C', .transa = 'N', .transb = 'N',
                          .m = 2, .n = 2, .k = 3, .lda = 2, .ldb = 2, .ldc = 2}, "SGEMM", 10},
      {"cblas_sgemm col-major lda < M",
       {.entry = CHECK_CBLAS, .layout = 'C', .transa = 'N', .transb = 'N',
        .m = 3, .n = 2, .k = 2, .lda = 2, .ldb = 2, .ldc = 3}, "cblas_sgemm", 9},
      /* Row-major: the caller's numbering (M 4, ldb 11), not the raw
       * numbers of the swapped problem that a handler would receive. */
      {"cblas_sgemm row-major M < 0",
       {.entry = CHECK_CBLAS, .layout = 'R', .transa = 'N', .transb = 'N',
        .m = -1, .n = 2, .k = 2, .lda = 2, .ldb = 2, .ldc = 2}, "cblas_sgemm", 4},
      {"cblas_sgemm row-major lda < K",
       {.entry = CHECK_CBLAS, .layout = 'R', .transa = 'N', .transb = 'N',
        .m = 2, .n = 2, .k = 3, .lda = 2, .ldb = 2, .ldc = 2}, "cblas_sgemm", 9},
      {"cblas_sgemm row-major ldb < N",
       {.entry = CHECK_CBLAS, .layout = 'R', .transa = 'N', .transb = 'N',
        .m = 2, .n = 3, .k = 2, .lda = 2, .ldb = 2, .ldc = 3}, "cblas_sgemm", 11},
      {"valid sgemm_ afterwards", {.entry = CHECK_FORTRAN, .layout = 'C', .transa = 'T',
                                   .transb = 'N', .m = 2, .n = 2, .k = 3, .lda = 3, .ldb = 3,
                                   .ldc = 2, .alpha = 1.0f}, NULL, 0},
      {"valid cblas_sgemm afterwards",
       {.entry = CHECK_CBLAS, .layout = 'R', .transa = 'N', .transb = 'T',
        .m = 2, .n = 3, .k = 2, .lda = 2, .ldb = 2, .ldc = 3, .alpha = 1.0f}, NULL, 0},
  };

  /* stderr goes to a file for the calls; our own report goes to stdout. */
  FILE *log = tmpfile();
  int saved_stderr = dup(STDERR_FILENO);
  if (!log || saved_stderr < 0) {
    perror("tmpfile/dup");
    return 1;
  }
  check_rng rng;
  check_rng_seed(&rng, 590);
  const char *verbose_env = getenv("GEMM590_VERBOSE");
  bool verbose = verbose_env && strcmp(verbose_env, "1") == 0;
  int failures = 0;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    expectation *x = &cases[i];
    x->g.a = a.data, x->g.b = b.data, x->g.c = c.data;
    check_matrix_fill_random(&a, &rng);
    check_matrix_fill_random(&b, &rng);
    check_matrix_fill_random(&c, &rng);
    check_matrix_snapshot(&c);

    fflush(stderr);
    rewind(log);
    if (ftruncate(fileno(log), 0) != 0 || dup2(fileno(log), STDERR_FILENO) < 0) {
      perror("ftruncate/dup2");
      return 1;
    }
    check_gemm_run(&x->g);
    fflush(stderr);
    dup2(saved_stderr, STDERR_FILENO);
    rewind(log); /* the library's writes moved the shared file offset */

    char out[1024] = "";
    size_t len = fread(out, 1, sizeof out - 1, log);
    out[len] = '\0';
    bool c_untouched = check_matrix_changed(&c, false, NULL) == 0;
    /* Invalid: the message (and the verbose line), each naming the
     * number.  Valid: nothing (or the verbose line alone). */
    char shown[sizeof out];
    memcpy(shown, out, sizeof out);
    int lines = 0, naming = 0, messages = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
      lines++;
      naming += x->routine && has_number(line, x->number);
      messages += x->routine && strstr(line, x->routine) && strstr(line, "illegal");
    }
    int want = (x->routine ? 1 : 0) + (verbose ? 1 : 0);
    bool ok = lines == want && (!x->routine || (naming == want && messages == 1 && c_untouched));
    printf("%s: %s\n  stderr: %s%s", ok ? "ok" : "FAIL", x->what, len ? shown : "(nothing)\n",
           len && shown[len - 1] != '\n' ? "\n" : "");
    if (!ok && x->routine)
      printf("  expected %d line%s naming %s and parameter %d%s\n", want, want == 1 ? "" : "s",
             x->routine, x->number, c_untouched ? "" : "; C was modified");
    failures += !ok;
  }
  check_matrix_free(&a);
  check_matrix_free(&b);
  check_matrix_free(&c);
  printf("%s\n", failures ? "FAIL" : "PASS");
  return failures ? 1 : 0;
}
