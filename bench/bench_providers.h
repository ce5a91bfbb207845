/* The providers gemm590-bench reaches outside its own process image or
 * through extra set-up: NVBLAS's sgemm_ (dlopened), cuBLAS (another
 * program, bench/cublas_ref.py), CLBlast with the parameters its tuner
 * found, and the plot (bench/plot.py).  Each says why it cannot serve
 * instead of failing the run: the rows of the others still count. */
#ifndef GEMM590_BENCH_PROVIDERS_H
#define GEMM590_BENCH_PROVIDERS_H

#include <stdbool.h>
#include <stddef.h>

#include <CL/cl.h>

typedef struct { long m, n, k; } shape;

/* Fortran BLAS sgemm_: column-major, every argument by pointer (NVBLAS's
 * nvblas.h declares it without the hidden string lengths). */
typedef void (*fortran_sgemm_fn)(const char *transa, const char *transb, const int *m,
                                 const int *n, const int *k, const float *alpha, const float *a,
                                 const int *lda, const float *b, const int *ldb,
                                 const float *beta, float *c, const int *ldc);

/* dlopens `lib` (RTLD_LOCAL) and returns its sgemm_, or NULL with `why`.
 * Unless NVBLAS_CONFIG_FILE is set, first writes a config naming
 * `host_blas` as NVBLAS's CPU BLAS and every GPU, and points
 * NVBLAS_CONFIG_FILE at it (NVBLAS reads it when loaded). */
fortran_sgemm_fn bench_nvblas_open(const char *lib, const char *host_blas, char *why,
                                   size_t why_len);
/* Removes the config file bench_nvblas_open wrote, if any. */
void bench_nvblas_close(void);

/* A row of another program's results (bench/cublas_ref.py's CSV). */
typedef struct {
  long m, n, k;
  char mode[16]; /* "resident" or "e2e" */
  double seconds;
} ext_row;

/* Runs `cmd` followed by one "MxNxK:TT" argument a shape and collects the
 * rows it prints ("cublas,m,n,k,trans,mode,seconds,tflops").  Returns the
 * number of rows; `why` is set when the command failed (no torch, no GPU),
 * with its last line of output. */
int bench_cublas_run(const char *cmd, const shape *shapes, int nshapes, const char trans[3],
                     ext_row *rows, int max_rows, char *why, size_t why_len);

/* The Xgemm parameters (names and values as CLBlastOverrideParameters
 * takes them) of the fastest configuration in a tuner's JSON files. */
#define TUNED_MAX_PARAMS 32
typedef struct {
  size_t count;
  char names[TUNED_MAX_PARAMS][16];
  size_t values[TUNED_MAX_PARAMS];
  double gflops;   /* of the tuner's shape, to compare files of other shapes */
  char file[256];  /* the JSON it came from */
} tuned_params;

/* Reads every clblast_xgemm_*.json in `dir` and keeps the single
 * precision (32) entry with the highest GFLOPS.  False with `why` when
 * none is usable. */
bool bench_clblast_tuned_load(const char *dir, tuned_params *p, char *why, size_t why_len);
/* Applies p to CLBlast's Xgemm (single) on `device` through the library
 * handle's CLBlastOverrideParameters.  Process-wide: CLBlast cannot go
 * back to its defaults afterwards. */
bool bench_clblast_override(void *clblast, cl_device_id device, const tuned_params *p,
                            char *why, size_t why_len);

/* Whether `python` can run bench/plot.py: it starts and imports
 * matplotlib (plot.py --check); false with `why` (which Python, what it
 * lacks, how to choose another) otherwise. */
bool bench_plot_ready(const char *python, char *why, size_t why_len);
/* Draws `png` from the bench's `csv` with bench/plot.py run by `python`;
 * false with `why` when it could not. */
bool bench_plot(const char *python, const char *csv, const char *png, char *why,
                size_t why_len);

#endif
