/* The random calls of the reliability tests (threads, memory).
 *
 * Each call is checked with a check_case of test/common/check.h: operands
 * with guard zones and padding (NaN canaries), NaN-poisoned C when
 * beta = 0, a float64 reference taken before the call, the float32 bound
 * or the looser one of the binary16 opt-in (gemm590_set_math_mode).  What
 * this adds: the random calls these tests make, an optional value outside
 * binary16 in A, and the transposes that decide a call's path. */
#ifndef REL_CALL_H
#define REL_CALL_H

#include <stdbool.h>
#include <stdint.h>

#include "check.h"

/* A random valid call: cblas_sgemm (either layout) or sgemm_, transposes
 * N/T/C, each of M, N, K small (1..16), next to a multiple of 16, 24 or
 * 128 (tile edges of the families), or uniform in 1..max_size; alpha in
 * +-(0, 2], beta 0, 1 or random.  One call in 16 has alpha = 0 or K = 0,
 * which the library answers on the host without a multiplication. */
check_gemm rel_random_call(check_rng *rng, int64_t max_size);

/* op(A) and op(B) transposed in the column-major problem the library
 * runs (a row-major call is C^T = B^T A^T: operands and flags swap). */
void rel_normalized_trans(const check_gemm *g, bool *trans_a, bool *trans_b);

/* Runs g on fresh operands from rng with leading dimensions padded by
 * pad_a, pad_b, pad_c.  When `outlier` is nonzero, A(0,0) as stored holds
 * it (1e5 is outside binary16, so a binary16 kernel cannot take the call).
 * True when C is within `bound` of the reference, nothing outside C's
 * M x N block changed, and A and B are bit-identical; otherwise prints one
 * FAIL line prefixed by `tag`. */
bool rel_run(check_gemm g, int64_t pad_a, int64_t pad_b, int64_t pad_c, check_bound bound,
             float outlier, check_rng *rng, const char *tag);

#endif
