/* Products whose op(B) and C exceed the device's memory: run with
 * GEMM590_DEVICE=cpu, GEMM590_KERNEL=regblock:<32x32 tiles> and
 * GEMM590_MAX_BUFFER=65536, which makes the device look like one with
 * 64 KiB buffers and 256 KiB of memory.  With GEMM590_KERNEL=fp16_mixed,
 * which holds op(B) whole, the wide calls must go to the host instead:
 * only results are checked then (operands exact in binary16).
 *
 * The "wide" shapes have a small A (at most 64 x 56 padded: 14 KiB) and an
 * op(B) and C of up to 5000 columns (up to 1.3 MB each): the library must
 * cut them into column panels that fit (lib/cl/pipeline.c, memory_panels) and
 * run every call on the device.  The "tall" shapes have an A of 320 x 304
 * (389 KiB) that fits no buffer: those calls must go to the host.  Every
 * call is checked against the float64 reference (NaN-poisoned C when
 * beta = 0, guards, A and B unchanged), in both layouts, all transposes,
 * beta 0 and 0.5; the counters must show exactly the expected split. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "gemm590.h"

typedef struct shape {
  int64_t m, n, k;
  bool device; /* expected path */
} shape;

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char *cap = getenv("GEMM590_MAX_BUFFER");
  if (!cap || strcmp(cap, "65536") != 0) {
    fprintf(stderr, "run with GEMM590_MAX_BUFFER=65536 (and GEMM590_DEVICE=cpu)\n");
    return 2;
  }
  dev_require_cpu_device();
  const char *kernel = getenv("GEMM590_KERNEL");
  bool binary16 = kernel && strncmp(kernel, "fp16_mixed", 10) == 0;
  static const shape shapes[] = {{40, 3000, 50, true}, {33, 1500, 70, true},
                                 {64, 2000, 64, true}, {7, 5000, 3, true},
                                 {1, 4097, 9, true},   {300, 200, 300, false}};
  static const char layouts[] = {'C', 'R'}, trans[] = {'N', 'T'};
  static const float betas[] = {0.0f, 0.5f};
  check_rng rng;
  check_rng_seed(&rng, 0x5eed);
  uint64_t calls = 0, failures = 0, want_device = 0, want_host = 0;
  gemm590_reset_counters();
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
    for (int l = 0; l < 2; l++)
      for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++)
          for (int bi = 0; bi < 2; bi++) {
            const shape *sh = &shapes[s];
            /* Row-major C = A B is column-major C^T = B^T A^T: swap M and
             * N so that the device sees the wide shape either way. */
            int64_t m = layouts[l] == 'R' ? sh->n : sh->m, n = layouts[l] == 'R' ? sh->m : sh->n;
            check_gemm g = {.entry = CHECK_CBLAS, .layout = layouts[l], .transa = trans[ta],
                            .transb = trans[tb], .m = m, .n = n, .k = sh->k, .alpha = 1.25f,
                            .beta = betas[bi]};
            dev_outcome r =
                dev_run(g, 1, 2, 3, binary16 ? DEV_HALF_EXACT : DEV_F32, &rng, "panels");
            calls++;
            failures += !r.ok;
            *(sh->device ? &want_device : &want_host) += 1;
          }
  uint64_t host, device;
  check_counters(&host, &device);
  printf("%" PRIu64 " calls, %" PRIu64 " failed; counters: %" PRIu64 " device (expected %" PRIu64
         "), %" PRIu64 " host (expected %" PRIu64 ")\n",
         calls, failures, device, want_device, host, want_host);
  bool ok = failures == 0 && (binary16 || (device == want_device && host == want_host));
  printf("%s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}
