/* gemm590_hgemm on a float32 family, cut into column panels.
 *
 * Run with GEMM590_KERNEL set to a float32 family, GEMM590_DEVICE=cpu, a
 * small GEMM590_LINK_CHUNK and GEMM590_VERBOSE=1: C of a few hundred
 * columns then spans several link chunks, so lib/cl/pipeline.c cuts it into
 * column panels alternating between two device slots.  Every layout x
 * transA x transB in {N, T, C} x beta in {0, 0.5} once, with a random
 * shape (M 260..500, N 260..600: three 128-column tiles of C or more either
 * way round; K 1..150) and leading dimensions padded by 0..3.  Each call is
 * checked against the float64 reference of test/common/check.h (C poisoned
 * when beta = 0), must run on the device, and must say panels=P with P >= 2 in
 * its verbose line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemm590.h"
#include "check.h"
#include "cpu_device.h"

int main(void) {
  dev_require_cpu_device();
  static const char trans[] = {'N', 'T', 'C'};
  static const float betas[] = {0.0f, 0.5f};
  check_rng rng;
  check_rng_seed(&rng, 590);
  int calls = 0, failures = 0, panelled = 0;
  double max_ratio = 0;
  for (int layout = 0; layout < 2; layout++)
    for (int ta = 0; ta < 3; ta++)
      for (int tb = 0; tb < 3; tb++)
        for (int bi = 0; bi < 2; bi++) {
          check_gemm g = {.entry = CHECK_HGEMM, .layout = layout ? 'R' : 'C',
                          .transa = trans[ta], .transb = trans[tb],
                          .m = check_rng_range(&rng, 260, 500),
                          .n = check_rng_range(&rng, 260, 600),
                          .k = check_rng_range(&rng, 1, 150),
                          .alpha = 1.25f + check_rng_unit(&rng),
                          .beta = betas[bi]};
          char tag[32];
          snprintf(tag, sizeof tag, "call %d", calls);
          uint64_t host, device;
          gemm590_reset_counters();
          check_capture_begin();
          int64_t pad = check_rng_range(&rng, 0, 3);
          bool ok = check_case_run(g, pad, pad, pad, CHECK_F32, NULL, &rng, tag, &max_ratio);
          const char *log = check_capture_end();
          check_counters(&host, &device);
          const char *at = strstr(log, "panels=");
          long panels = at ? atol(at + strlen("panels=")) : 0;
          if (host != 0 || device != 1) {
            printf("%s: FAIL: counted %llu on the host, %llu on the device\n", tag,
                   (unsigned long long)host, (unsigned long long)device);
            ok = false;
          }
          if (panels < 2) {
            printf("%s: FAIL: panels=%ld in the log (GEMM590_VERBOSE=1, small "
                   "GEMM590_LINK_CHUNK?)\n%s",
                   tag, panels, log);
            ok = false;
          }
          panelled += panels >= 2;
          failures += !ok;
          calls++;
        }
  printf("%d calls, %d in column panels, max |error|/bound %.3g, %d failures\n", calls,
         panelled, max_ratio, failures);
  return failures ? 1 : 0;
}
