/* The host BLAS's cblas_sgemm and libgemm590's, side by side (host_cblas.h). */
#include "host_cblas.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "gemm590.h"

#ifndef HOST_BLAS_SONAME
#error "HOST_BLAS_SONAME must name the host BLAS (set by bench/meson.build)"
#endif

void *bench_host_symbol(const char *program, const char *symbol, const char **soname) {
  const char *name = getenv("GEMM590_FALLBACK_LIB");
  if (!name || !*name) name = HOST_BLAS_SONAME;
  *soname = name;
  void *handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
  void *fn = handle ? dlsym(handle, symbol) : NULL;
  if (!fn) fprintf(stderr, "%s: cannot load %s from %s: %s\n", program, symbol, name, dlerror());
  return fn;
}

bench_cblas_fn bench_host_cblas(const char *program, const char **soname) {
  return (bench_cblas_fn)bench_host_symbol(program, "cblas_sgemm", soname);
}

void bench_via_gemm590(int layout, int transa, int transb, int m, int n, int k, float alpha,
                       const float *a, int lda, const float *b, int ldb, float beta, float *c,
                       int ldc) {
  cblas_sgemm((enum CBLAS_ORDER)layout, (enum CBLAS_TRANSPOSE)transa,
              (enum CBLAS_TRANSPOSE)transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
