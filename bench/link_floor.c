/* The end-to-end floor of gemm590-bench --floor (see link_floor.h).
 *
 * The model is a lower bound on the time of the library's staged path:
 * the DMA engines move at most up_gbs and down_gbs, the copy pool copies
 * at most copy_gbs (all measured here on 64 MiB blocks, larger than any
 * chunk), and the kernel takes its resident time; a call needs all four
 * to finish their share, so it takes at least the longest share, however
 * well they overlap.  It is not a bound on designs the library does not
 * use (a driver copying pageable memory faster than copy + DMA would beat
 * it); bench/NOTES.md says so beside the figures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "link_floor.h"
#include "timing.h"

enum { BLOCK = 64 << 20, REPEATS = 5, COLUMN = 64 << 10 };

static double median_gbs(double *secs) { return BLOCK / bench_median(secs, REPEATS) / 1e9; }

bool floor_measure(g590_engine *e, floor_rates *r, char *why, size_t why_len) {
  cl_int err;
  bool ok = false;
  cl_mem dev = clCreateBuffer(e->context, CL_MEM_READ_WRITE, BLOCK, NULL, &err);
  cl_mem pin = clCreateBuffer(e->context, CL_MEM_READ_WRITE | CL_MEM_ALLOC_HOST_PTR, BLOCK, NULL,
                              &err);
  void *host = pin ? clEnqueueMapBuffer(e->queue, pin, CL_TRUE, CL_MAP_READ | CL_MAP_WRITE, 0,
                                        BLOCK, 0, NULL, NULL, &err)
                   : NULL;
  char *pageable = malloc(BLOCK);
  double t[REPEATS];
  if (!dev || !pin || !host || !pageable) {
    snprintf(why, why_len, "cannot make 64 MiB device, pinned and host buffers");
    goto out;
  }
  memset(pageable, 1, BLOCK);
  memset(host, 1, BLOCK);
  clEnqueueWriteBuffer(e->queue, dev, CL_TRUE, 0, BLOCK, host, 0, NULL, NULL); /* warm-up */
  for (int i = 0; i < REPEATS; i++) {
    double t0 = bench_now();
    clEnqueueWriteBuffer(e->queue, dev, CL_TRUE, 0, BLOCK, host, 0, NULL, NULL);
    t[i] = bench_now() - t0;
  }
  r->up_gbs = median_gbs(t);
  for (int i = 0; i < REPEATS; i++) {
    double t0 = bench_now();
    clEnqueueReadBuffer(e->queue, dev, CL_TRUE, 0, BLOCK, host, 0, NULL, NULL);
    t[i] = bench_now() - t0;
  }
  r->down_gbs = median_gbs(t);
  /* Whole columns of 64 KiB, as the link stages them. */
  for (int i = 0; i < REPEATS; i++) {
    double t0 = bench_now();
    g590_cl_copy_columns(host, COLUMN, pageable, COLUMN, COLUMN, BLOCK / COLUMN);
    t[i] = bench_now() - t0;
  }
  r->copy_gbs = median_gbs(t);
  ok = true;
out:
  if (host) clEnqueueUnmapMemObject(e->queue, pin, host, 0, NULL, NULL);
  clFinish(e->queue);
  if (pin) clReleaseMemObject(pin);
  if (dev) clReleaseMemObject(dev);
  free(pageable);
  return ok;
}

double floor_seconds(const floor_rates *r, double m, double n, double k, double kernel_s,
                     double terms[4]) {
  double up = 4.0 * (m * k + k * n), down = 4.0 * m * n;
  double t[4] = {up / (r->up_gbs * 1e9), down / (r->down_gbs * 1e9),
                 (up + down) / (r->copy_gbs * 1e9), kernel_s};
  double worst = 0;
  for (int i = 0; i < 4; i++) {
    if (terms) terms[i] = t[i];
    if (t[i] > worst) worst = t[i];
  }
  return worst;
}
