/* The two cblas_sgemm that call-cost and sgemm_vs_openblas put side by
 * side: the host BLAS's own, and libgemm590's with the same signature. */
#ifndef GEMM590_BENCH_HOST_CBLAS_H
#define GEMM590_BENCH_HOST_CBLAS_H

typedef void (*bench_cblas_fn)(int layout, int transa, int transb, int m, int n, int k,
                               float alpha, const float *a, int lda, const float *b, int ldb,
                               float beta, float *c, int ldc);

/* cblas_sgemm of the library libgemm590 falls back to (GEMM590_FALLBACK_LIB,
 * else the build's default), dlopen()ed so that both calls reach one and
 * the same host BLAS; its name in *soname.  NULL, with a line on stderr
 * naming `program`, when it cannot be loaded. */
bench_cblas_fn bench_host_cblas(const char *program, const char **soname);
/* Any symbol of that library (the same message when it cannot be found). */
void *bench_host_symbol(const char *program, const char *symbol, const char **soname);

/* libgemm590's cblas_sgemm with the host's signature (int, not enum). */
void bench_via_gemm590(int layout, int transa, int transb, int m, int n, int k, float alpha,
                       const float *a, int lda, const float *b, int ldb, float beta, float *c,
                       int ldc);

#endif
