/* The host path's blocking (lib/host/hgemm.c) with blocks far smaller than
 * its default 1024, so that small calls cross every block edge: C blocks
 * of mb x nb, depth blocks of kb (beta applied on the first only, sums
 * carried in float32 across them), partial blocks at the ends, both
 * transposes.  Same checks and bound as test_hgemm (test/common/check.h).
 * Links the internal library: g590_host_hgemm_blocked is not exported. */
#include <stdio.h>

#include "check.h"
#include "g590.h"

static int64_t mb, nb, kb;

static void run_blocked(const check_gemm *g) {
  g590_job job = {.type = G590_F16, .entry = "test_host_blocks", .layout = 'C',
                  .user_ta = g->transa, .user_tb = g->transb, .user_m = g->m, .user_n = g->n,
                  .trans_a = g->transa != 'N', .trans_b = g->transb != 'N', .m = g->m,
                  .n = g->n, .k = g->k, .alpha = g->alpha, .beta = g->beta, .a = g->a16,
                  .lda = g->lda, .b = g->b16, .ldb = g->ldb, .c = g->c16, .ldc = g->ldc};
  char how[160];
  g590_host_hgemm_blocked(&job, mb, nb, kb, how, sizeof how);
}

int main(void) {
  static const int64_t blocks[][3] = {{1, 1, 1}, {5, 7, 3}, {16, 8, 32}, {64, 64, 64}};
  static const int64_t shapes[][3] = {{37, 29, 41}, {16, 16, 16}, {1, 50, 7}, {50, 1, 70}};
  static const char trans[] = {'N', 'T'};
  static const float betas[] = {0.0f, 0.5f};
  check_rng rng;
  check_rng_seed(&rng, 590);
  int calls = 0, failures = 0;
  double max_ratio = 0;
  for (size_t bi = 0; bi < sizeof blocks / sizeof blocks[0]; bi++) {
    mb = blocks[bi][0], nb = blocks[bi][1], kb = blocks[bi][2];
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++)
      for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++)
          for (int be = 0; be < 2; be++) {
            check_gemm g = {.entry = CHECK_HGEMM, .layout = 'C', .transa = trans[ta],
                            .transb = trans[tb], .m = shapes[si][0], .n = shapes[si][1],
                            .k = shapes[si][2], .alpha = -1.25f, .beta = betas[be]};
            char tag[64];
            snprintf(tag, sizeof tag, "blocks %lldx%lldx%lld", (long long)mb, (long long)nb,
                     (long long)kb);
            int64_t pad = (int64_t)(si % 3);
            if (!check_case_run(g, pad, pad, pad, CHECK_F32, run_blocked, &rng, tag, &max_ratio))
              failures++;
            calls++;
          }
  }
  printf("%d calls, max |error|/bound %.3g, %d failures\n", calls, max_ratio, failures);
  return failures ? 1 : 0;
}
