/* One checked SGEMM call for the reliability tests (threads, memory).
 *
 * Built on test/correctness/check.h: operands with guard zones and padding
 * (NaN canaries), NaN-poisoned C when beta = 0, a float64 reference taken
 * before the call.  What this adds: the random calls these tests make, the
 * looser bound of the binary16 opt-in (gemm590_set_math_mode), an optional
 * value outside binary16 in A, and the path (host or device) that the
 * library must count the call under. */
#ifndef REL_CALL_H
#define REL_CALL_H

#include <stdbool.h>
#include <stdint.h>

#include "check.h"

/* The bound C must meet.
 *   REL_F32: check.h's float32 bound, 8 (K + 2) 2^-24 mag.
 *   REL_FP16: the opt-in's contract (A and B may be rounded to binary16,
 *     products and sums float32), for operands of magnitude below 1:
 *       |C - ref| <= (2^-10 + 2^-20 + 8 (K + 2) 2^-24) mag + K 2^-23 |alpha|
 *     Rounding to binary16 moves x by at most 2^-11 |x| (2^-10 + 2^-22 for
 *     a product), or by 2^-25 absolute below 2^-14 (binary16 subnormals;
 *     the K 2^-23 |alpha| term); mag >= |alpha| sum |a| |b|.  The last mag
 *     term is the float32 bound of the sums.  A float32 result meets it. */
typedef enum rel_bound { REL_F32, REL_FP16 } rel_bound;

/* A random valid call: cblas_sgemm (either layout) or sgemm_, transposes
 * N/T/C, each of M, N, K small (1..16), next to a multiple of 16, 24 or
 * 128 (tile edges of the families), or uniform in 1..max_size; alpha in
 * +-(0, 2], beta 0, 1 or random.  One call in 16 has alpha = 0 or K = 0,
 * which the library answers on the host without a multiplication. */
check_gemm rel_random_call(check_rng *rng, int64_t max_size);

/* op(A) and op(B) transposed in the column-major problem the library
 * runs (a row-major call is C^T = B^T A^T: operands and flags swap). */
void rel_normalized_trans(const check_gemm *g, bool *trans_a, bool *trans_b);

/* Whether the library counts g under a path: alpha != 0, K > 0, M, N > 0
 * (see gemm590_get_counters). */
bool rel_counted(const check_gemm *g);

/* Runs g on fresh operands from rng with leading dimensions padded by
 * pad_a, pad_b, pad_c.  When `outlier` is nonzero, A(0,0) as stored holds
 * it (1e5 is outside binary16, so a binary16 kernel cannot take the call).
 * True when C is within `bound` of the reference, nothing outside C's
 * M x N block changed, and A and B are bit-identical; otherwise prints one
 * FAIL line prefixed by `tag`. */
bool rel_run(check_gemm g, int64_t pad_a, int64_t pad_b, int64_t pad_c, rel_bound bound,
             float outlier, check_rng *rng, const char *tag);

#endif
