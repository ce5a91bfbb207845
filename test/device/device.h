/* Helpers shared by the device-path tests of libgemm590.
 *
 * These tests run on an OpenCL CPU device (PoCL) with a kernel family
 * forced by GEMM590_KERNEL, so the library's own kernels compute every
 * non-trivial call.  One checked call (dev_run) is a check_case of
 * test/common/check.h (guard zones and padding around every operand,
 * NaN-poisoned C when beta = 0, a float64 reference computed before the
 * call, a bound that scales with K and the magnitudes) with the operand
 * values and references of the binary16 families added. */
#ifndef DEVICE_H
#define DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "check.h"
#include "cpu_device.h"

/* What the operands hold and what C is compared with. */
typedef enum dev_values {
  /* Random float32 in (-1, 1); the float32 bound against the float64
   * reference of those values. */
  DEV_F32,
  /* A and B rounded to binary16 values before the call, so that the
   * conversion of a binary16 family is exact and the float32 bound holds:
   * tests indexing, transposes and edges of fp16 kernels at full strictness. */
  DEV_HALF_EXACT,
  /* Random float32 A and B; C is compared (float32 bound) with the
   * reference of A and B rounded to nearest binary16, which is what a
   * binary16 family must compute, and the precision contract is measured
   * against the reference of the unrounded values (dev_outcome.contract). */
  DEV_HALF_ROUNDED
} dev_values;

/* The result of one dev_run. */
typedef struct dev_outcome {
  bool ok;               /* every check passed */
  double max_ratio;      /* worst elementwise |c - ref| / bound (bound = 1) */
  double contract_ratio; /* DEV_HALF_ROUNDED: the contract's left side over its
                          * right side (see dev_half_contract); else 0 */
} dev_outcome;

/* Runs g with fresh operands from rng: leading dimensions are the smallest
 * valid ones plus pad_a, pad_b, pad_c; padding and guards hold NaN.  Checks
 * C against the reference, C's padding and guards bit-identical, A and B
 * bit-identical.  Each failed check prints one line naming the call,
 * prefixed by `tag` (test or thread name). */
dev_outcome dev_run(check_gemm g, int64_t pad_a, int64_t pad_b, int64_t pad_c,
                    dev_values values, check_rng *rng, const char *tag);

/* binary16 round-to-nearest-even of x (|x| < 65504), as a float. */
float dev_round_half(float x);

/* The precision contract of binary16-operand families (fp16_mixed):
 *   ||C - C_ref||_F <= |alpha| * Ahat * Bhat * (2^-10 + (K + 4) * 2^-23)
 *                      + 2^-23 * |beta| * ||C0||_F
 * where C_ref = alpha * op(A) * op(B) + beta * C0 in float64 from the
 * float32 inputs, and Xhat = ||X||_F + 2^-14 * sqrt(number of elements).
 * Why: rounding a float32 to binary16 changes it by at most 2^-11 of its
 * magnitude, or by 2^-25 = 2^-11 * 2^-14 below 2^-14 (binary16
 * subnormals), so ||A16 - A||_F <= 2^-11 * Ahat.  Hence
 *   ||A16 B16 - A B||_F <= (2 * 2^-11 + 2^-22) * Ahat * Bhat.
 * Products of two binary16 values are exact in float32, so the float32
 * roundings are the K additions (at most K * 2^-24 * ||A16||_F ||B16||_F),
 * alpha * acc and the final sum (2^-24 of alpha * acc each), and beta * C0
 * with the final sum again (2 * 2^-24 of |beta * C0|: the second term).
 * (K + 4) * 2^-23 covers the first ones with a factor 2 to spare (a mad
 * that does not fuse, the 2^-22 above).
 * Returns the left side over the right side: at most 1 when kept. */
double dev_half_contract(const check_gemm *g, const double *ref, double norm_c0);

/* Frobenius norm of a rows x cols column-major block with leading dimension ld. */
double dev_norm_f(const float *x, int64_t rows, int64_t cols, int64_t ld);

/* A random valid call (check_random_call, transposes in lower case for
 * half of the Fortran calls): M, N and K a third small (1..64, edge
 * tiles), a third next to a multiple of a common tile or K step (16, 20,
 * 24, 32, 64, 128: one less, equal, one more), a third uniform in
 * 1..max_size. */
check_gemm dev_random_call(check_rng *rng, int64_t max_size, bool all_entries);

#endif
