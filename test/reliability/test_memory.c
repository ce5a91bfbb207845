/* Memory: N checked calls of varying sizes (default 10,000, up to 200),
 * host and device paths interleaved; memory must stay flat.
 *
 * usage: test_memory [--calls N] [--max-size S]
 *
 * Run with GEMM590_DEVICE=cpu GEMM590_KERNEL=regblock
 * GEMM590_FAULT=clBuildProgram@1 and a small GEMM590_LINK_CHUNK (the
 * registration): the first call (column-major NN, beta != 0) fails its
 * program build, so every call of that program runs on the host BLAS
 * (about 1 in 14), the others on PoCL, some through the pinned chunks.
 *
 * Warm-up: every program (transposes x beta = 0 or not) at the largest
 * size, and with one row of C (whose C is too small to be cut into column
 * panels, so that op(B) goes up whole: the widest B slot), so that the
 * library's device buffers and staging memory reach their largest, then the first tenth of the random calls (PoCL's and
 * malloc's own caches settle).  After it, at 20 checkpoints:
 *   - live OpenCL buffers (cl_count.h: counted at the OpenCL API, as the
 *     library cannot be asked): count and bytes exactly as after warm-up.
 *     With PoCL a buffer lives in host memory, so this is also the device
 *     memory the library holds;
 *   - heap bytes in use (mallinfo2: every arena, PoCL's included): at most
 *     HEAP_TOL_KIB above warm-up.  Each call allocates and frees its
 *     operands, so a leak of 64 bytes a call would add 560 KiB;
 *   - resident memory (VmRSS): at most RSS_TOL_KIB (4 MiB) above warm-up.
 *     Looser, since glibc returns freed heap pages to the kernel only when
 *     the top of an arena passes its trim threshold, so the RSS of the
 *     same live data moves (up to 0.6 MiB measured here); 4 MiB is still
 *     far below what one leaked operand per call (4 KiB to 160 KiB, 9,000
 *     calls) would add;
 *   - threads: as many as after warm-up (no thread started per call).
 * Every result is checked (rel_call.h); both paths must have run. */
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_count.h"
#include "gemm590.h"
#include "rel_call.h"
#include "cpu_device.h"
#include "rel_proc.h"

enum { CHECKPOINTS = 20, HEAP_TOL_KIB = 256, RSS_TOL_KIB = 4096 };

typedef struct sample {
  long rss_kib, threads;
  size_t heap_bytes;
  cl_count buffers;
} sample;

static sample take_sample(void) {
  struct mallinfo2 mi = mallinfo2();
  return (sample){.rss_kib = rel_rss_kib(), .threads = rel_threads(),
                  .heap_bytes = mi.uordblks + mi.hblkhd, .buffers = cl_count_get()};
}

static void print_sample(const char *when, const sample *s) {
  printf("%-16s rss %6ld KiB  heap %8zu B  cl_mem %ld live (%zu B), %ld created  threads %ld\n",
         when, s->rss_kib, s->heap_bytes, s->buffers.live, s->buffers.live_bytes,
         s->buffers.created, s->threads);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  long calls = 10000, max_size = 200;
  bool bad = argc % 2 == 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--calls") == 0) calls = atol(argv[i + 1]);
    else if (strcmp(argv[i], "--max-size") == 0) max_size = atol(argv[i + 1]);
    else bad = true;
  }
  if (bad || calls < CHECKPOINTS * 10 || max_size < 2) {
    fprintf(stderr, "usage: test_memory [--calls N >= %d] [--max-size S]\n", CHECKPOINTS * 10);
    return 2;
  }
  dev_require_cpu_device();

  check_rng rng;
  check_rng_seed(&rng, 0x6d656d6f7279u);
  long failures = 0;
  /* The first program built is NN with beta != 0: it fails (the fault). */
  static const char trans[] = "NT";
  for (int beta_zero = 0; beta_zero < 2; beta_zero++)
    for (int t = 0; t < 4; t++)
      for (int64_t m = 1; m <= max_size; m += max_size - 1) {
        check_gemm g = {.entry = CHECK_CBLAS, .layout = 'C', .transa = trans[t & 1],
                        .transb = trans[t >> 1], .m = m, .n = max_size, .k = max_size,
                        .alpha = 1.0f, .beta = beta_zero ? 0.0f : 0.5f};
        failures += !rel_run(g, 0, 0, 0, CHECK_F32, 0.0f, &rng, "warm-up");
      }

  gemm590_reset_counters();
  sample first = {0}, worst = {0};
  long warm = calls / 10, every = calls / CHECKPOINTS, problems = 0;
  for (long i = 1; i <= calls; i++) {
    check_gemm g = rel_random_call(&rng, max_size);
    int64_t pad = check_rng_range(&rng, 0, 3);
    failures += !rel_run(g, pad, 3 - pad, pad, CHECK_F32, 0.0f, &rng, "call");
    if (i == warm) {
      first = worst = take_sample();
      print_sample("after warm-up", &first);
    } else if (i > warm && i % every == 0) {
      sample s = take_sample();
      char when[32];
      snprintf(when, sizeof when, "after %ld", i);
      print_sample(when, &s);
      if (s.rss_kib > worst.rss_kib) worst.rss_kib = s.rss_kib;
      if (s.heap_bytes > worst.heap_bytes) worst.heap_bytes = s.heap_bytes;
      if (s.buffers.live != first.buffers.live ||
          s.buffers.live_bytes != first.buffers.live_bytes) {
        printf("FAIL: live OpenCL buffers changed after warm-up\n");
        problems++;
      }
      if (s.threads != first.threads) {
        printf("FAIL: thread count changed after warm-up\n");
        problems++;
      }
    }
  }

  struct gemm590_counters c;
  gemm590_get_counters(&c);
  long rss_growth = worst.rss_kib - first.rss_kib;
  long heap_growth = (long)(worst.heap_bytes - first.heap_bytes) / 1024;
  printf("%ld calls up to %ld: %ld wrong; %" PRIu64 " host, %" PRIu64 " device\n", calls,
         max_size, failures, c.calls[GEMM590_PATH_HOST], c.calls[GEMM590_PATH_DEVICE]);
  printf("after warm-up: RSS grew at most %ld KiB (limit %d), heap in use %ld KiB (limit %d), "
         "%ld live cl_mem throughout\n",
         rss_growth, RSS_TOL_KIB, heap_growth, HEAP_TOL_KIB, first.buffers.live);
  if (rss_growth > RSS_TOL_KIB) printf("FAIL: resident memory grew\n"), problems++;
  if (heap_growth > HEAP_TOL_KIB) printf("FAIL: heap in use grew\n"), problems++;
  if (first.buffers.live == 0) printf("FAIL: no OpenCL buffer seen\n"), problems++;
  if (!c.calls[GEMM590_PATH_HOST] || !c.calls[GEMM590_PATH_DEVICE])
    printf("FAIL: both paths must run\n"), problems++;
  bool ok = failures == 0 && problems == 0;
  printf("%s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}
