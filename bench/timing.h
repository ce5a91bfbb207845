/* Timing helpers shared by the benchmark programs (bench/ and tuning/). */
#ifndef GEMM590_BENCH_TIMING_H
#define GEMM590_BENCH_TIMING_H

/* Seconds on the monotonic clock. */
double bench_now(void);
/* Sorts v[0..n) ascending, in place. */
void bench_sort(double *v, int n);
/* The median of v[0..n) (n >= 1); sorts v. */
double bench_median(double *v, int n);

#endif
