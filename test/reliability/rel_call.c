/* The random calls of the reliability tests (see rel_call.h). */
#include "rel_call.h"

static int64_t random_dim(check_rng *rng, int64_t max_size) {
  static const int64_t steps[] = {16, 24, 128};
  return check_random_dim(rng, max_size, 16, steps, 3);
}

check_gemm rel_random_call(check_rng *rng, int64_t max_size) {
  check_gemm g = check_random_call(rng, max_size, false, false, random_dim);
  if (check_rng_range(rng, 0, 15) == 0) {
    if (check_rng_range(rng, 0, 1))
      g.alpha = 0.0f;
    else
      g.k = 0;
  }
  return g;
}

void rel_normalized_trans(const check_gemm *g, bool *trans_a, bool *trans_b) {
  bool ta = g->transa != 'N' && g->transa != 'n', tb = g->transb != 'N' && g->transb != 'n';
  *trans_a = g->layout == 'R' ? tb : ta;
  *trans_b = g->layout == 'R' ? ta : tb;
}

bool rel_run(check_gemm g, int64_t pad_a, int64_t pad_b, int64_t pad_c, check_bound bound,
             float outlier, check_rng *rng, const char *tag) {
  check_case t;
  check_case_begin(&t, g, pad_a, pad_b, pad_c, rng);
  if (outlier != 0.0f && t.a.rows > 0 && t.a.cols > 0) t.a.data[0] = outlier;
  check_case_arm(&t, rng);
  check_gemm_run(&t.g);
  bool ok = check_case_verify(&t, bound);
  if (!ok) check_fail(tag, &t.g, t.what);
  check_case_end(&t);
  return ok;
}
