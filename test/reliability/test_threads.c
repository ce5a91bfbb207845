/* Threads: T threads x N random checked calls at once (default 8 x 2000),
 * host and device paths interleaved, the binary16 opt-in on some threads.
 *
 * usage: test_threads --mode build-fault|fp16 [--threads T] [--calls N]
 *                     [--fp16-threads F] [--max-size S]
 *
 * Every call is checked (rel_call.h: float64 reference, guards, padding,
 * NaN-poisoned C when beta = 0).  Calls mix cblas_sgemm (both layouts)
 * and sgemm_, every transpose, alpha = 0 and K = 0, sizes up to S (default
 * 144) and one call in LARGE_EVERY of 370 to 420.  The last F threads
 * (default 2) opt in with gemm590_set_math_mode(GEMM590_MATH_FP16) and are
 * held to the opt-in's looser bound; the mode must stay per thread.
 *
 * On an OpenCL CPU device (PoCL) the library sends a call to the device
 * only when a family is forced (GEMM590_KERNEL), and then sends every
 * call the device can take: the size threshold (GEMM590_MIN_DEVICE_FLOPS,
 * the decision table) belongs to the selector that the force skips.  So
 * host calls are made to happen, for a reason known per call, in one of
 * two ways:
 *
 *   build-fault (GEMM590_KERNEL=regblock GEMM590_FAULT=clBuildProgram@1):
 *     before the threads start, one column-major NN call with beta != 0
 *     makes the first program build fail; the library remembers a failed
 *     build, so every call of that program (normalised transposes N, N and
 *     beta != 0) runs on the host BLAS, about 1 in 14, while the other
 *     programs' calls run on the device.  The opted-in threads' device
 *     calls send A and B to regblock as binary16.
 *   fp16 (GEMM590_KERNEL=fp16_mixed): opted-in threads run on the binary16
 *     kernel, except 1 call in 8 whose A holds 1e5 (outside binary16):
 *     that one must run in float32, on the host, and meet the float32
 *     bound.  The other threads never opt in, and every one of their calls
 *     holds 1e5: all on the host, float32.  (In-range float32 calls of a
 *     thread without the opt-in would run on the forced binary16 family,
 *     which the opt-in exists to prevent on a real selector.)
 *
 * At the end the library's counters must equal the expected host and
 * device calls exactly: a call on the wrong path, lost or counted twice
 * fails.  Exits 77 (skip) without an OpenCL CPU device. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemm590.h"
#include "rel_call.h"
#include "cpu_device.h"
#include "rel_proc.h"

/* One call in LARGE_EVERY is large (sizes LARGE_MIN..LARGE_MAX): its
 * operands exceed 512 KiB, so with GEMM590_LINK_CHUNK=524288 (the
 * build-fault registration) they go through the engine's shared pinned
 * chunks, copied by the copy pool's worker threads. */
enum { MAX_THREADS = 64, SKIP = 77, LARGE_EVERY = 64, LARGE_MIN = 370, LARGE_MAX = 420 };

typedef enum mode { BUILD_FAULT, FP16 } mode;

static mode run_mode;
static int calls_per_thread = 2000, max_size = 144;

typedef struct worker {
  int index;
  bool fp16;
  uint64_t host, device, failures, checked;
} worker;

static void *work(void *arg) {
  worker *w = arg;
  char tag[48];
  snprintf(tag, sizeof tag, "thread %d%s", w->index, w->fp16 ? " fp16" : "");
  gemm590_set_math_mode(w->fp16 ? GEMM590_MATH_FP16 : GEMM590_MATH_FP32);
  check_rng rng;
  check_rng_seed(&rng, 0x72656c7468726400u + (uint64_t)w->index);
  for (int i = 0; i < calls_per_thread; i++) {
    check_gemm g = rel_random_call(&rng, max_size);
    if (i % LARGE_EVERY == LARGE_EVERY - 1) {
      g.m = check_rng_range(&rng, LARGE_MIN, LARGE_MAX);
      g.n = check_rng_range(&rng, LARGE_MIN, LARGE_MAX);
      if (g.k > 0) g.k = check_rng_range(&rng, LARGE_MIN, LARGE_MAX);
    }
    bool host;
    float outlier = 0.0f;
    if (run_mode == BUILD_FAULT) {
      bool ta, tb;
      rel_normalized_trans(&g, &ta, &tb);
      host = !ta && !tb && g.beta != 0.0f;
    } else {
      host = !w->fp16 || check_rng_range(&rng, 0, 7) == 0;
      if (host) outlier = 1e5f;
    }
    check_bound bound = w->fp16 && !host ? CHECK_FP16_OPTIN : CHECK_F32;
    int64_t pa = check_rng_range(&rng, 0, 3), pb = check_rng_range(&rng, 0, 3),
            pc = check_rng_range(&rng, 0, 3);
    if (!rel_run(g, pa, pb, pc, bound, outlier, &rng, tag)) w->failures++;
    w->checked++;
    if (check_counted(&g) && host) w->host++;
    else if (check_counted(&g)) w->device++;
    /* The mode is per thread: other threads' opt-ins must not leak in. */
    if (gemm590_get_math_mode() != (w->fp16 ? GEMM590_MATH_FP16 : GEMM590_MATH_FP32)) {
      printf("FAIL [%s] math mode changed under the thread\n", tag);
      w->failures++;
    }
  }
  return NULL;
}

static void usage(void) {
  fprintf(stderr, "usage: test_threads --mode build-fault|fp16 [--threads T] [--calls N] "
                  "[--fp16-threads F] [--max-size S]\n");
  exit(2);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  int threads = 8, fp16_threads = 2;
  bool have_mode = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--mode") == 0) {
      have_mode = true;
      if (strcmp(argv[i + 1], "build-fault") == 0) run_mode = BUILD_FAULT;
      else if (strcmp(argv[i + 1], "fp16") == 0) run_mode = FP16;
      else usage();
    } else if (strcmp(argv[i], "--threads") == 0) threads = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--calls") == 0) calls_per_thread = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--fp16-threads") == 0) fp16_threads = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--max-size") == 0) max_size = atoi(argv[i + 1]);
    else usage();
  }
  if (!have_mode || argc % 2 == 0 || threads < 1 || threads > MAX_THREADS ||
      calls_per_thread < 1 || fp16_threads < 0 || fp16_threads > threads || max_size < 2)
    usage();
  dev_require_cpu_device();

  gemm590_reset_counters();
  uint64_t want_host = 0, want_device = 0, failures = 0, checked = 0;
  if (run_mode == BUILD_FAULT) {
    /* Fails the first program build: the NN, beta != 0 one. */
    check_rng rng;
    check_rng_seed(&rng, 1);
    check_gemm g = {.entry = CHECK_CBLAS, .layout = 'C', .transa = 'N', .transb = 'N',
                    .m = 20, .n = 30, .k = 40, .alpha = 1.5f, .beta = 0.5f};
    failures += !rel_run(g, 1, 2, 3, CHECK_F32, 0.0f, &rng, "main");
    want_host++;
    checked++;
  }

  worker workers[MAX_THREADS];
  pthread_t tids[MAX_THREADS];
  for (int t = 0; t < threads; t++) {
    workers[t] = (worker){.index = t, .fp16 = t >= threads - fp16_threads};
    if (pthread_create(&tids[t], NULL, work, &workers[t]) != 0) {
      printf("FAIL: cannot start thread %d\n", t);
      return 1;
    }
  }
  for (int t = 0; t < threads; t++) {
    pthread_join(tids[t], NULL);
    want_host += workers[t].host;
    want_device += workers[t].device;
    failures += workers[t].failures;
    checked += workers[t].checked;
  }
  struct gemm590_counters got;
  gemm590_get_counters(&got);
  printf("mode %s: %d threads (%d with the fp16 opt-in) x %d calls, max size %d: %" PRIu64
         " checked, %" PRIu64 " failed\n",
         run_mode == BUILD_FAULT ? "build-fault" : "fp16", threads, fp16_threads,
         calls_per_thread, max_size, checked, failures);
  printf("counters: %" PRIu64 " host, %" PRIu64 " device; expected %" PRIu64 " host, %" PRIu64
         " device (the rest: alpha = 0 or K = 0, not counted)\n",
         got.calls[GEMM590_PATH_HOST], got.calls[GEMM590_PATH_DEVICE], want_host, want_device);
  bool ok = failures == 0 && got.calls[GEMM590_PATH_HOST] == want_host &&
            got.calls[GEMM590_PATH_DEVICE] == want_device && want_host > 0 && want_device > 0;
  printf("%s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}
