/* gemm590-bench --floor: the fastest an end-to-end call could be on this
 * machine, from rates measured in the same run (bench/link_floor.c). */
#ifndef GEMM590_BENCH_LINK_FLOOR_H
#define GEMM590_BENCH_LINK_FLOOR_H

#include <stdbool.h>
#include <stddef.h>

#include "cl_engine.h"

typedef struct floor_rates {
  double up_gbs, down_gbs; /* DMA from and to pinned host memory, GB/s */
  double copy_gbs;         /* host copies pageable <-> pinned by the library's copy pool */
} floor_rates;

/* Measures the three rates on engine e with 64 MiB blocks (median of 5);
 * false with `why` when a buffer cannot be made. */
bool floor_measure(g590_engine *e, floor_rates *r, char *why, size_t why_len);

/* The floor, in seconds, of a float32 M x N x K product with beta = 0 whose
 * kernel alone takes kernel_s: every byte of A and B goes up and every
 * byte of C comes down through pinned staging, each filled or emptied by
 * the host copy pool, and a perfect pipeline overlaps all four.  So no
 * call can beat the busiest of them: max(up, down, copies, kernel).  Each
 * term is *term (may be NULL) in the same order, seconds. */
double floor_seconds(const floor_rates *r, double m, double n, double k, double kernel_s,
                     double terms[4]);

#endif
