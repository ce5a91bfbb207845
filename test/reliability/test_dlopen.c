/* dlopen, dlsym, call, dlclose of libgemm590, CYCLES times (default 100).
 *
 * usage: test_dlopen LIBGEMM590_SO [--cycles N]
 *
 * This program does not link libgemm590.  Run with GEMM590_DEVICE=cpu
 * GEMM590_KERNEL=regblock GEMM590_FAULT=clBuildProgram@1
 * GEMM590_LINK_CHUNK=1048576 (the registration).  Each cycle opens the library (RTLD_NOW | RTLD_LOCAL),
 * looks up cblas_sgemm, sgemm_ and gemm590_get_counters, and makes two
 * checked calls:
 *   - cblas_sgemm NN with beta != 0, the program whose build the fault
 *     fails in cycle 1: on the host BLAS, every cycle;
 *   - sgemm_ NT with beta = 0 and a 600 x 600 A (1.4 MB): on the device,
 *     through the pinned staging chunks, copied by the copy pool's worker
 *     thread, which then waits inside libgemm590 for the next copy;
 * then closes it.  dlclose must unload the library and give everything
 * back (lib/core/unload.c):
 *   - after every dlclose the library is no longer mapped, and the next
 *     dlopen starts afresh (the counters read zero before the cycle's calls);
 *   - every OpenCL buffer it created is released (cl_count.h: as many live
 *     after dlclose as before dlopen; created during the cycle: some);
 *   - its threads are gone: from cycle 2 on (cycle 1 starts PoCL's own
 *     threads, which stay with PoCL), as many threads after dlclose as
 *     before dlopen;
 *   - heap memory in use (mallinfo2) grows from cycle 2 on by at most
 *     HEAP_TOL_KIB over all cycles, 20 KiB a cycle: a leaked staging
 *     buffer, pinned chunk, operand or PoCL program costs far more.  What
 *     stays by design: one 32-byte block per load (lib/core/unload.c), and what
 *     PoCL keeps of each context and program build (5.6 KiB a cycle with
 *     GEMM590_CACHE_DIR=off, as registered; 1.8 KiB with the disk cache).  Resident memory is printed, not
 *     checked: PoCL maps a kernel library per program build and keeps it
 *     (valgrind on 4 cycles: every block lost was PoCL's or LLVM's, or one
 *     of those 32-byte blocks).
 * Results are checked on 64 sampled elements of C against float64 dot
 * products (bound 8 (K + 2) 2^-24 sum |a| |b|), and beta = 0 must leave no
 * element of the NaN-poisoned C unwritten. */
#include <dlfcn.h>
#include <inttypes.h>
#include <link.h>
#include <malloc.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_count.h"
#include "cpu_device.h"
#include "rel_proc.h"

enum { COL_MAJOR = 102, NO_TRANS = 111 }; /* CBLAS values */
enum { BIG = 600, NARROW = 8, SAMPLES = 64, HEAP_TOL_KIB = 2048 };

typedef void (*cblas_fn)(int, int, int, int, int, int, float, const float *, int, const float *,
                         int, float, float *, int);
typedef void (*fortran_fn)(const char *, const char *, const int *, const int *, const int *,
                           const float *, const float *, const int *, const float *, const int *,
                           const float *, float *, const int *, size_t, size_t);
/* struct gemm590_counters, as the public header defines it. */
typedef struct counters {
  uint64_t calls[2];
  double flops[2];
} counters;
typedef void (*counters_fn)(counters *);

static int failures;

static void fail(int cycle, const char *what) {
  printf("FAIL cycle %d: %s\n", cycle, what);
  failures++;
}

/* Uniform in (-1, 1), never zero (an LCG's top 24 bits). */
static float unit(uint64_t *state) {
  *state = *state * 6364136223846793005u + 1442695040888963407u;
  return (float)((double)(*state >> 40) / 8388608.0 - 1.0) + 0x1p-24f;
}

/* Column-major C (m x n, ld m) = alpha op(A) op(B) + beta C0, sampled: op(A)
 * element (i, l) is a[ai * i + al * l], op(B) (l, j) is b[bl * l + bj * j]. */
static bool sampled_ok(const float *c, const float *c0, int m, int n, int k, float alpha,
                       float beta, const float *a, int ai, int al, const float *b, int bl,
                       int bj, uint64_t *state) {
  for (int s = 0; s < SAMPLES; s++) {
    int i = (int)((unit(state) + 1.0f) * 0.5f * (float)(m - 1));
    int j = (int)((unit(state) + 1.0f) * 0.5f * (float)(n - 1));
    double sum = 0.0, mag = 0.0;
    for (int l = 0; l < k; l++) {
      double p = (double)a[ai * i + al * l] * b[bl * l + bj * j];
      sum += p;
      mag += fabs(p);
    }
    double want = alpha * sum + (beta != 0.0f ? beta * (double)c0[i + j * m] : 0.0);
    mag = fabs((double)alpha) * mag + (beta != 0.0f ? fabs(beta * (double)c0[i + j * m]) : 0.0);
    if (!(fabs(c[i + j * m] - want) <= 8.0 * (k + 2) * 0x1p-24 * mag + 1e-30)) return false;
  }
  return true;
}

/* Whether a loaded object's path contains `name`. */
static int find_object(struct dl_phdr_info *info, size_t size, void *name) {
  (void)size;
  return info->dlpi_name && strstr(info->dlpi_name, name) != NULL;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  int cycles = 100;
  if (argc == 4 && strcmp(argv[2], "--cycles") == 0) cycles = atoi(argv[3]);
  else if (argc != 2) cycles = 0;
  if (cycles < 3) {
    fprintf(stderr, "usage: test_dlopen LIBGEMM590_SO [--cycles N >= 3]\n");
    return 2;
  }
  const char *path = argv[1], *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
  dev_require_cpu_device();

  uint64_t state = 1;
  float *a = malloc(sizeof(float) * BIG * BIG), *b = malloc(sizeof(float) * BIG * NARROW);
  float *c = malloc(sizeof(float) * BIG * NARROW), *c0 = malloc(sizeof(float) * BIG * NARROW);
  if (!a || !b || !c || !c0) return 1;
  for (int i = 0; i < BIG * BIG; i++) a[i] = unit(&state);
  for (int i = 0; i < BIG * NARROW; i++) b[i] = unit(&state), c0[i] = unit(&state);

  long heap2 = 0, heap_max = 0;
  for (int cycle = 1; cycle <= cycles; cycle++) {
    long threads_before = rel_threads();
    cl_count buffers_before = cl_count_get();
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      printf("FAIL: dlopen %s: %s\n", path, dlerror());
      return 1;
    }
    cblas_fn cblas = (cblas_fn)dlsym(h, "cblas_sgemm");
    fortran_fn fortran = (fortran_fn)dlsym(h, "sgemm_");
    counters_fn get_counters = (counters_fn)dlsym(h, "gemm590_get_counters");
    if (!cblas || !fortran || !get_counters) {
      printf("FAIL: a symbol is missing from %s\n", path);
      return 1;
    }

    /* Host: C (BIG x NARROW) = 1.5 A(:, 1:NARROW) B + 0.5 C0, B NARROW x
     * NARROW; NN with beta != 0 is the program whose build fails (the
     * fault counts from each load). */
    counters before, after;
    get_counters(&before);
    memcpy(c, c0, sizeof(float) * BIG * NARROW);
    cblas(COL_MAJOR, NO_TRANS, NO_TRANS, BIG, NARROW, NARROW, 1.5f, a, BIG, b, NARROW, 0.5f, c,
          BIG);
    if (!sampled_ok(c, c0, BIG, NARROW, NARROW, 1.5f, 0.5f, a, 1, BIG, b, 1, NARROW, &state))
      fail(cycle, "host call: wrong result");

    /* Device: C (BIG x NARROW) = -0.5 A B^T with A BIG x BIG and B stored
     * NARROW x BIG; beta = 0 over a NaN-poisoned C. */
    const char nt[2] = {'N', 'T'};
    const int m = BIG, n = NARROW, k = BIG, lda = BIG, ldb = NARROW, ldc = BIG;
    const float alpha = -0.5f, beta = 0.0f;
    for (int i = 0; i < BIG * NARROW; i++) c[i] = NAN;
    fortran(&nt[0], &nt[1], &m, &n, &k, &alpha, a, &lda, b, &ldb, &beta, c, &ldc, 1, 1);
    bool written = true;
    for (int i = 0; i < BIG * NARROW; i++) written = written && !isnan(c[i]);
    if (!written || !sampled_ok(c, c0, m, n, k, alpha, beta, a, 1, BIG, b, NARROW, 1, &state))
      fail(cycle, "device call: wrong result");
    get_counters(&after);
    if (before.calls[0] != 0 || before.calls[1] != 0 || after.calls[0] != 1 ||
        after.calls[1] != 1)
      fail(cycle, "counters: not a fresh library making one host and one device call");
    cl_count during = cl_count_get();
    if (during.live <= buffers_before.live) fail(cycle, "no OpenCL buffer: did the device run?");

    if (dlclose(h) != 0) fail(cycle, "dlclose failed");
    if (dl_iterate_phdr(find_object, (void *)base)) fail(cycle, "still mapped after dlclose");
    long rss = rel_rss_kib(), threads = rel_threads();
    long heap = (long)(mallinfo2().uordblks >> 10);
    cl_count buffers = cl_count_get();
    if (buffers.live != buffers_before.live || buffers.live_bytes != buffers_before.live_bytes)
      fail(cycle, "OpenCL buffers left after dlclose");
    if (cycle > 1 && threads != threads_before) fail(cycle, "threads left after dlclose");
    if (cycle == 2) heap2 = heap_max = heap;
    else if (cycle > 2 && heap > heap_max) heap_max = heap;
    if (cycle == 1 || cycle == 2 || cycle == cycles)
      printf("cycle %3d: %ld threads before dlopen, %ld after dlclose; cl_mem live %ld during "
             "(%zu B), %ld after; heap in use %ld KiB, rss %ld KiB\n", cycle, threads_before,
             threads, during.live, during.live_bytes, buffers.live, heap, rss);
  }
  printf("%d cycles of dlopen, 2 calls, dlclose: heap in use grew %ld KiB after cycle 2 "
         "(limit %d)\n", cycles, heap_max - heap2, HEAP_TOL_KIB);
  if (heap_max - heap2 > HEAP_TOL_KIB) fail(cycles, "heap memory grew");
  free(a);
  free(b);
  free(c);
  free(c0);
  printf("%s\n", failures ? "FAIL" : "PASS");
  return failures ? 1 : 0;
}
