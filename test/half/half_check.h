/* Helpers of the gemm590_hgemm tests: binary16 operands with guards and
 * padding, a float64 reference, the accuracy bound, stderr capture.
 *
 * Values are built and read here from their bit fields (half_value,
 * half_from_parts), never through libgemm590's own conversion, so a
 * conversion bug cannot hide in the reference.
 *
 * The bound.  gemm590_hgemm computes x = alpha * op(A) * op(B) + beta * C
 * in float32 and rounds x once to binary16.  With ref the float64 value of
 * the same expression on the same binary16 inputs and
 * mag = |alpha| * sum_l |op(A)(i,l)| |op(B)(l,j)| + |beta * C(i,j)|:
 *   |x - ref| <= 8 * (K + 2) * 2^-23 * mag          (check.h's float32 bound)
 *   |round16(x) - x| <= 2^-11 * |x| + 2^-25         (half an ulp; 2^-25 is
 *                                                    half the subnormal step)
 * so every element must satisfy
 *   |C - ref| <= 2^-11 * |ref| + 8 * (K + 2) * 2^-23 * mag * (1 + 2^-11) + 2^-25.
 * Accumulating in binary16 instead (2^-11 per addition) or rounding the
 * products to binary16 breaks it by orders of magnitude for K > 2; the
 * rounding rule itself (ties to even, one rounding) is checked exactly by
 * the special-value cases of test_hgemm. */
#ifndef HALF_CHECK_H
#define HALF_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check.h"

/* ---- binary16 values from bits ---- */

/* The exact value of a binary16 pattern (NaN for NaN, +-Inf for Inf). */
double half_value(uint16_t h);
/* sign 0/1, biased exponent 0..31, mantissa 0..1023. */
uint16_t half_from_parts(int sign, int exponent, int mantissa);
/* A random binary16 in +-[2^-4, 2): nonzero, with every mantissa bit live. */
uint16_t half_random(check_rng *r);

/* ---- matrices ---- */

/* A signalling NaN with a payload (quiet bit clear): used as padding and
 * guards, and as poison in C when beta = 0.  Any arithmetic on it makes a
 * different (quiet) pattern, or a NaN result. */
#define HALF_CANARY ((uint16_t)0x7d5a)

enum { HALF_GUARD = 16 };

/* rows x cols, column-major with leading dimension ld, HALF_GUARD elements
 * of canary before and after, canary in the padding. */
typedef struct half_matrix {
  int64_t rows, cols, ld;
  uint16_t *data;  /* element (0, 0) */
  uint16_t *base;  /* the allocation */
  size_t len;      /* elements in base */
  uint16_t *saved; /* copy of base, from half_matrix_snapshot */
} half_matrix;

void half_matrix_alloc(half_matrix *m, int64_t rows, int64_t cols, int64_t ld);
void half_matrix_free(half_matrix *m);
void half_matrix_fill_random(half_matrix *m, check_rng *r);
void half_matrix_fill(half_matrix *m, uint16_t value);
void half_matrix_snapshot(half_matrix *m);
/* Elements whose bits differ from the snapshot: all of them, or only the
 * padding and guards. */
int64_t half_matrix_changed(const half_matrix *m, bool outside_only);

/* ---- one call ---- */

typedef struct half_gemm {
  char layout;         /* 'C' or 'R' */
  char transa, transb; /* 'N', 'T' or 'C' */
  int64_t m, n, k;
  float alpha, beta;
  const uint16_t *a;
  int64_t lda;
  const uint16_t *b;
  int64_t ldb;
  uint16_t *c;
  int64_t ldc;
} half_gemm;

/* Calls gemm590_hgemm. */
void half_gemm_run(const half_gemm *g);
/* Storage of 'A', 'B' or 'C' as a column-major view (see check_gemm_storage). */
void half_gemm_storage(const half_gemm *g, char operand, int64_t *rows, int64_t *cols);
void half_gemm_describe(const half_gemm *g, char *buf, size_t len);
/* float64 reference and magnitudes (M x N, leading dimension M) from the
 * operands as they are now: call before running g.  C is not read when
 * beta = 0, A and B are not read when alpha = 0 or K = 0. */
void half_gemm_reference(const half_gemm *g, double *ref, double *mag);
/* C after the call against the bound above; out->bad counts misses. */
void half_gemm_compare(const half_gemm *g, const double *ref, const double *mag,
                       check_result *out);

/* A whole checked call: operands of the given storage with `pad` extra
 * rows of leading dimension, random A and B, random C (or poison when
 * beta = 0), reference, run(g), compare, C's padding and guards and all of
 * A and B unchanged.  Prints one line per failed check prefixed by `tag`;
 * returns whether all passed and raises *max_ratio to the worst
 * |error| / bound seen. */
bool half_gemm_check(half_gemm g, int64_t pad, check_rng *rng, void (*run)(const half_gemm *),
                     const char *tag, double *max_ratio);

/* ---- counters and stderr ---- */

/* Calls on each path since the last gemm590_reset_counters. */
void half_counters(uint64_t *host, uint64_t *device);

/* Redirects stderr into a temporary file until half_capture_end, which
 * returns what was written (static buffer, at most 64 KiB). */
void half_capture_begin(void);
const char *half_capture_end(void);

#endif
