/* What gemm590-bench's parts share: the command line
 * (gemm590_bench_options.c) and the variants it names, read by the
 * benchmark itself (gemm590_bench.c). */
#ifndef GEMM590_BENCH_H
#define GEMM590_BENCH_H

#include <stdbool.h>

#include "bench_providers.h"
#include "families.h"

#define MAX_SHAPES 32
#define MAX_VARIANTS 16

/* One kernel family with its parameters, and its row label. */
typedef struct { const g590_family *family; g590_params params; char label[64]; } variant;

typedef struct {
  shape shapes[MAX_SHAPES];
  int nshapes;
  variant variants[MAX_VARIANTS];
  int nvariants;
  char trans[3];
  bool ta, tb, host, floor;
  bool f64, variants_given; /* --float64; --variants named the variants */
  const char *csv, *build_log, *nvblas, *cublas, *clblast_tuned, *plot, *python;
} options;

/* Fills *o from the command line; exits 2 (cli_fail) on a bad one. */
void parse_options(int argc, char **argv, options *o);

#endif
