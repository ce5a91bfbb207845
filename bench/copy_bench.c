/* copy-bench: how fast the host copies that the device path's staging
 * relies on can run on this machine.
 *
 * The end-to-end path copies the caller's pageable operands into pinned
 * chunks (CL_MEM_ALLOC_HOST_PTR, mapped) with several host threads, and C
 * back out of them (lib/cl/link.c, lib/cl/copy_pool.c).  This prints, for
 * block sizes of 2, 8 and 32 MiB and 1 to 16 threads, the copy rate in
 * GB/s (bytes copied / seconds, median of 9 after a warm-up) of
 *   pageable -> pageable   plain memory, the host's own ceiling
 *   pageable -> pinned     the upload side's staging copy
 *   pinned -> pageable     the download side's copy out
 * and, for one 32 MiB block, the DMA rates of clEnqueueWriteBuffer /
 * clEnqueueReadBuffer from the pinned chunk and from pageable memory.
 * Threads are created once per measurement series and released by a
 * barrier, so thread start-up is not timed.  The device is the first
 * OpenCL GPU, else the first device of any type: the staging path is the
 * same for every device, and this program does not link libgemm590. */
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "timing.h"

enum { MAX_THREADS = 16, REPS = 9 };

static const char help[] =
    "usage: copy-bench [OPTION]...\n"
    "Host copy rates in GB/s (median of 9) for 2, 8 and 32 MiB blocks and 1 to 16 threads:\n"
    "pageable -> pageable, pageable -> pinned and pinned -> pageable (the staging copies of\n"
    "libgemm590's end-to-end path), then the DMA rates of one 32 MiB transfer each way from\n"
    "pinned and from pageable memory.  The device is the first OpenCL GPU, else the first\n"
    "OpenCL device (GEMM590_DEVICE does not apply); without one only the pageable rows run.\n"
    "\n" CLI_STANDARD_HELP;

static const cli copy_cli = {"copy-bench", help, "h", cli_standard_options};

typedef struct job {
  char *dst;
  const char *src;
  size_t bytes;
  int threads, index;
  pthread_barrier_t *start, *done;
} job;

static void *copy_share(void *arg) {
  job *j = arg;
  size_t per = (j->bytes / (size_t)j->threads + 63) & ~(size_t)63;
  size_t off = per * (size_t)j->index;
  for (int r = 0; r < REPS + 1; r++) {
    pthread_barrier_wait(j->start);
    if (off < j->bytes)
      memcpy(j->dst + off, j->src + off, off + per > j->bytes ? j->bytes - off : per);
    pthread_barrier_wait(j->done);
  }
  return NULL;
}

/* Median GB/s of copying `bytes` from src to dst with `threads` threads. */
static double copy_rate(char *dst, const char *src, size_t bytes, int threads) {
  pthread_barrier_t start, done;
  pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
  pthread_barrier_init(&done, NULL, (unsigned)threads + 1);
  pthread_t tid[MAX_THREADS];
  job jobs[MAX_THREADS];
  for (int i = 0; i < threads; i++) {
    jobs[i] = (job){dst, src, bytes, threads, i, &start, &done};
    pthread_create(&tid[i], NULL, copy_share, &jobs[i]);
  }
  double t[REPS];
  for (int r = 0; r < REPS + 1; r++) {
    double t0 = bench_now();
    pthread_barrier_wait(&start);
    pthread_barrier_wait(&done);
    if (r > 0) t[r - 1] = bench_now() - t0; /* the first round warms up */
  }
  for (int i = 0; i < threads; i++) pthread_join(tid[i], NULL);
  pthread_barrier_destroy(&start);
  pthread_barrier_destroy(&done);
  bench_sort(t, REPS);
  return (double)bytes / t[REPS / 2] / 1e9;
}

static cl_device_id pick_device(cl_context_properties *platform) {
  cl_platform_id platforms[8];
  cl_uint np = 0;
  if (clGetPlatformIDs(8, platforms, &np) != CL_SUCCESS) return NULL;
  for (cl_uint p = 0; p < np && p < 8; p++) {
    cl_device_id d;
    if (clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_GPU, 1, &d, NULL) == CL_SUCCESS ||
        clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, 1, &d, NULL) == CL_SUCCESS) {
      *platform = (cl_context_properties)platforms[p];
      return d;
    }
  }
  return NULL;
}

/* Median GB/s of one transfer of `bytes` between `host` and `buf`. */
static double dma_rate(cl_command_queue q, cl_mem buf, void *host, size_t bytes, bool write) {
  double t[REPS];
  for (int r = 0; r < REPS + 1; r++) {
    double t0 = bench_now();
    cl_int err = write ? clEnqueueWriteBuffer(q, buf, CL_TRUE, 0, bytes, host, 0, NULL, NULL)
                       : clEnqueueReadBuffer(q, buf, CL_TRUE, 0, bytes, host, 0, NULL, NULL);
    if (err != CL_SUCCESS) return -1;
    if (r > 0) t[r - 1] = bench_now() - t0;
  }
  bench_sort(t, REPS);
  return (double)bytes / t[REPS / 2] / 1e9;
}

int main(int argc, char **argv) {
  /* --help and --version are its only options, and cli_next exits on any. */
  cli_next(&copy_cli, argc, argv);
  if (optind < argc) cli_fail(&copy_cli, "unexpected argument '%s'", argv[optind]);
  const size_t max_bytes = (size_t)32 << 20;
  char *a = malloc(max_bytes), *b = malloc(max_bytes);
  if (!a || !b) return 1;
  memset(a, 1, max_bytes);
  memset(b, 2, max_bytes);

  cl_context_properties props[3] = {CL_CONTEXT_PLATFORM, 0, 0};
  cl_device_id dev = pick_device(&props[1]);
  cl_int err = CL_SUCCESS;
  cl_context ctx = dev ? clCreateContext(props, 1, &dev, NULL, NULL, &err) : NULL;
  cl_command_queue q = ctx ? clCreateCommandQueue(ctx, dev, 0, &err) : NULL;
  cl_mem pinned = q ? clCreateBuffer(ctx, CL_MEM_READ_WRITE | CL_MEM_ALLOC_HOST_PTR, max_bytes,
                                     NULL, &err)
                    : NULL;
  char *pin = pinned ? clEnqueueMapBuffer(q, pinned, CL_TRUE, CL_MAP_READ | CL_MAP_WRITE, 0,
                                          max_bytes, 0, NULL, NULL, &err)
                     : NULL;
  cl_mem device = q ? clCreateBuffer(ctx, CL_MEM_READ_WRITE, max_bytes, NULL, &err) : NULL;
  if (pin) memset(pin, 3, max_bytes);
  char name[256] = "none";
  if (dev) clGetDeviceInfo(dev, CL_DEVICE_NAME, sizeof name - 1, name, NULL);
  printf("device: %s%s\n", name, pin ? "" : " (no pinned buffer: pinned rows skipped)");

  printf("%-22s %6s", "copy, GB/s", "MiB");
  for (int t = 1; t <= MAX_THREADS; t *= 2) printf("  %2d thr", t);
  printf("\n");
  const char *names[3] = {"pageable -> pageable", "pageable -> pinned", "pinned -> pageable"};
  for (int kind = 0; kind < 3; kind++) {
    if (kind > 0 && !pin) break;
    char *dst = kind == 0 ? b : kind == 1 ? pin : b;
    const char *src = kind == 2 ? pin : a;
    for (size_t mib = 2; mib <= 32; mib *= 4) {
      printf("%-22s %6zu", names[kind], mib);
      for (int t = 1; t <= MAX_THREADS; t *= 2)
        printf("  %6.1f", copy_rate(dst, src, mib << 20, t));
      printf("\n");
    }
  }
  if (pin && device)
    printf("DMA 32 MiB, GB/s: write from pinned %.1f, from pageable %.1f; "
           "read into pinned %.1f, into pageable %.1f\n",
           dma_rate(q, device, pin, max_bytes, true), dma_rate(q, device, a, max_bytes, true),
           dma_rate(q, device, pin, max_bytes, false), dma_rate(q, device, b, max_bytes, false));
  if (pin) clEnqueueUnmapMemObject(q, pinned, pin, 0, NULL, NULL);
  if (q) clFinish(q);
  if (pinned) clReleaseMemObject(pinned);
  if (device) clReleaseMemObject(device);
  if (q) clReleaseCommandQueue(q);
  if (ctx) clReleaseContext(ctx);
  free(a);
  free(b);
  return 0;
}
