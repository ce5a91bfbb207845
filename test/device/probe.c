/* A few checked SGEMM calls, for the drivers that run libgemm590 in a
 * fresh process under some environment (faults.py, cache.py,
 * sanitize.sh) and then read its verbose log and counters.
 *
 *   probe one   one call: M=37 N=29 K=45, no transposes, beta = 0.5,
 *               padded leading dimensions.  One kernel program, so one
 *               file in the disk cache.
 *   probe big   one call large enough for the chunked (pinned, double-
 *               buffered) transfers when run with GEMM590_LINK_CHUNK=65536:
 *               M=300 N=200 K=150, B transposed, beta = 0.5, padded leading
 *               dimensions; A, B and C each span 2 to 4 chunks both ways.
 *   probe mix   four calls that between them reach every OpenCL call site
 *               of every family, padded ones included: 128x128x16 with tight
 *               leading dimensions and beta = 0 (whole-buffer copies of at
 *               most one chunk, C not uploaded), the call of `one` (rect
 *               copies, zero-padding of partial tiles, C uploaded),
 *               128x128x16 with beta = 1 (another program, buffers reused),
 *               then the call of `big`.
 *
 * Operands are binary16 values, exactly representable in float32: the
 * float32 bound then holds for every family, binary16 ones included, so
 * one probe serves all of them.
 *
 * Prints "probe: <calls> calls, <host> host, <device> device" from the
 * counters; exits 1 when any result is wrong, 77 when there is no OpenCL
 * CPU device. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "device.h"

typedef struct probe_call {
  int64_t m, n, k, pad;
  char transb;
  float beta;
} probe_call;

#define ONE {37, 29, 45, 3, 'N', 0.5f}
#define BIG {300, 200, 150, 3, 'T', 0.5f}

int main(int argc, char **argv) {
  static const probe_call one[] = {ONE}, big[] = {BIG};
  static const probe_call mix[] = {
      {128, 128, 16, 0, 'N', 0.0f}, ONE, {128, 128, 16, 0, 'N', 1.0f}, BIG};
  const char *mode = argc == 2 ? argv[1] : "";
  const probe_call *calls = strcmp(mode, "one") == 0   ? one
                            : strcmp(mode, "big") == 0 ? big
                            : strcmp(mode, "mix") == 0 ? mix
                                                       : NULL;
  int count = calls == mix ? 4 : 1;
  if (!calls) {
    fprintf(stderr, "usage: %s one|big|mix\n", argv[0]);
    return 2;
  }
  dev_require_cpu_device();

  check_rng rng;
  check_rng_seed(&rng, 590);
  bool ok = true;
  for (int i = 0; i < count; i++) {
    check_gemm g = {.entry = CHECK_CBLAS, .layout = 'C', .transa = 'N', .transb = calls[i].transb,
                    .m = calls[i].m, .n = calls[i].n, .k = calls[i].k, .alpha = 1.25f,
                    .beta = calls[i].beta};
    ok &= dev_run(g, calls[i].pad, calls[i].pad, calls[i].pad, DEV_HALF_EXACT, &rng, "probe").ok;
  }
  uint64_t host, device;
  check_counters(&host, &device);
  printf("probe: %d calls, %" PRIu64 " host, %" PRIu64 " device\n", count, host, device);
  return ok ? 0 : 1;
}
