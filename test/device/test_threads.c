/* Threads: 8 threads x 200 checked calls at once, each thread with its own
 * operands and random stream, on the device with a forced family
 * (GEMM590_DEVICE=cpu, GEMM590_KERNEL set by the test registration).
 *
 * Calls mix cblas_sgemm (both layouts) and sgemm_, every transpose,
 * sizes from 1 to 160 with paddings, beta = 0 (NaN-poisoned C) and not.
 * The registration sets GEMM590_LINK_CHUNK small, so that larger calls
 * take the chunked transfers through the engine's shared pinned buffers.
 * One call in eight has alpha = 0 or K = 0: the library computes those on
 * the host (C = beta * C, no kernel), so host-path calls run while other
 * threads hold the device.  (With a family forced no size goes to the
 * host: the size threshold belongs to the selector that the force skips.)
 * The device calls serialise on the engine lock while their host-side
 * work (staging, reference checks) overlaps; a race shows as a wrong
 * result or a wrong count.  At the end the counters must hold exactly
 * the counted calls, all on the device. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>

#include "device.h"
#include "gemm590.h"

enum { THREADS = 8, CALLS = 200, MAX_SIZE = 160 };

typedef struct worker {
  int index;
  uint64_t counted, failures, host_only;
} worker;

static void *work(void *arg) {
  worker *w = arg;
  char tag[32];
  snprintf(tag, sizeof tag, "thread %d", w->index);
  check_rng rng;
  check_rng_seed(&rng, 0x7468726561647300u + (uint64_t)w->index);
  for (int i = 0; i < CALLS; i++) {
    check_gemm g = dev_random_call(&rng, MAX_SIZE, false);
    if (check_rng_range(&rng, 0, 7) == 0) {
      if (check_rng_range(&rng, 0, 1))
        g.alpha = 0.0f;
      else
        g.k = 0;
      w->host_only++;
    }
    int64_t pa = check_rng_range(&rng, 0, 5), pb = check_rng_range(&rng, 0, 5),
            pc = check_rng_range(&rng, 0, 5);
    if (!dev_run(g, pa, pb, pc, DEV_F32, &rng, tag).ok) w->failures++;
    if (check_counted(&g)) w->counted++;
  }
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  dev_require_cpu_device();
  gemm590_reset_counters();
  worker workers[THREADS];
  pthread_t tids[THREADS];
  for (int t = 0; t < THREADS; t++) {
    workers[t] = (worker){.index = t};
    if (pthread_create(&tids[t], NULL, work, &workers[t]) != 0) {
      printf("FAIL: cannot start thread %d\n", t);
      return 1;
    }
  }
  uint64_t counted = 0, failures = 0, host_only = 0;
  for (int t = 0; t < THREADS; t++) {
    pthread_join(tids[t], NULL);
    counted += workers[t].counted;
    failures += workers[t].failures;
    host_only += workers[t].host_only;
  }
  uint64_t host, device;
  check_counters(&host, &device);
  printf("%d threads x %d calls: %" PRIu64 " failed; %" PRIu64
         " alpha = 0 / K = 0 calls on the host; counters %" PRIu64 " device, %" PRIu64
         " host, %" PRIu64 " expected on the device\n",
         THREADS, CALLS, failures, host_only, device, host, counted);
  bool ok = failures == 0 && device == counted && host == 0;
  printf("%s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}
