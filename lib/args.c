/* Argument checks with the reference BLAS parameter numbers. */
#include "g590.h"

static int64_t max1(int64_t x) { return x > 1 ? x : 1; }

int g590_parse_trans_char(char t) {
  switch (t) {
  case 'N': case 'n': return 0;
  case 'T': case 't': case 'C': case 'c': return 1;
  default: return -1;
  }
}

/* Same order as the reference SGEMM: the first failing parameter wins. */
int g590_check_fortran(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, int64_t lda,
                       int64_t ldb, int64_t ldc) {
  int64_t nrowa = trans_a ? k : m;
  int64_t nrowb = trans_b ? n : k;
  if (m < 0) return 3;
  if (n < 0) return 4;
  if (k < 0) return 5;
  if (lda < max1(nrowa)) return 8;
  if (ldb < max1(nrowb)) return 10;
  if (ldc < max1(m)) return 13;
  return 0;
}
