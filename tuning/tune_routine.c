/* gemm590-tune's routines (--routine): sgemm, dgemm, ssyrk and dsyrk.
 * What differs between them is only the job (element type, operation),
 * which tiles can serve it (g590_plan_serves), and how a result is
 * checked; everything else (screening, timing, the CSV) is the same for
 * all four. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "tune.h"

g590_job tune_routine_job(const g590_routine *r, const shape *s, const void *a, const void *b,
                          void *c) {
  bool syrk = r->op == G590_SYRK;
  g590_job job = {.op = r->op, .type = r->type, .entry = "gemm590-tune", .layout = 'C',
                  .user_ta = s->ta ? 'T' : 'N', .user_tb = s->tb ? 'T' : 'N',
                  .user_m = s->m, .user_n = s->n, .trans_a = s->ta, .trans_b = s->tb,
                  .m = s->m, .n = s->n, .k = s->k, .alpha = 1.0, .beta = 0.0,
                  .a = a, .lda = s->ta ? s->k : s->m, .b = syrk ? a : b,
                  .ldb = s->tb ? s->n : s->k, .c = c, .ldc = s->m};
  /* One triangle for every syrk row: the CSV has no uplo column (the
   * table's features are M, N, K and the transposes), and the other
   * triangle costs the same. */
  if (syrk) job.upper = true, job.user_uplo = 'U';
  return job;
}

static double element(g590_type type, const void *x, size_t i) {
  return type == G590_F64 ? ((const double *)x)[i] : (double)((const float *)x)[i];
}

bool tune_routine_matches(const g590_job *job, const void *c, const void *ref) {
  /* 64 ulp(1) per unit of K, times |C| / sqrt(K) where that is above 1:
   * operands are in [-1, 1], so each product is at most 1, and a random
   * element of C is about sqrt(K) / 3; a syrk's diagonal sums K squares
   * (about K / 3), and its rounding grows with it (100 ulps of 663 at
   * K = 2048 in float64).  A missing or doubled term, or garbage, is far
   * off. */
  double unit = 64.0 * ldexp(1.0, job->type == G590_F64 ? -53 : -24) * (double)job->k;
  double root_k = sqrt((double)job->k);
  size_t bytes = g590_type_bytes(job->type);
  unsigned char nan_bits[8];
  tune_fill_nan(job->type, nan_bits, 1);
  for (int64_t j = 0; j < job->n; j++) {
    int64_t i0, i1;
    g590_job_rows(job, j, &i0, &i1);
    for (int64_t i = 0; i < job->m; i++) {
      size_t at = (size_t)(j * job->ldc + i);
      if (i < i0 || i >= i1) {
        /* Outside the triangle: never written, still the very NaN. */
        if (memcmp((const char *)c + at * bytes, nan_bits, bytes) != 0) return false;
      } else if (!(fabs(element(job->type, c, at) - element(job->type, ref, at)) <=
                   unit * fmax(1.0, fabs(element(job->type, ref, at)) / root_k))) {
        return false;
      }
    }
  }
  return true;
}

/* Uniform in [-1, 1), element i of stream `seed`, from a 64-bit mix of
 * both (splitmix64's finaliser).  Not a linear congruential generator:
 * two of those with different seeds are one cycle at two offsets, so B
 * was A shifted, and in NT products some elements of C summed K squares
 * (453 at K = 2048 where |C| is about 15 elsewhere). */
void tune_fill_random(g590_type type, void *x, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; i++) {
    uint64_t z = ((uint64_t)seed << 40) + i + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    double v = (double)(z >> 40) * (2.0 / 16777216.0) - 1.0;
    if (type == G590_F64) ((double *)x)[i] = v;
    else ((float *)x)[i] = (float)v;
  }
}

void tune_fill_nan(g590_type type, void *x, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (type == G590_F64) ((double *)x)[i] = NAN;
    else ((float *)x)[i] = NAN;
  }
}
