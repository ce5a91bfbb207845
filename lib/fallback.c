/* The host path: the host BLAS through an explicit dlopen handle.
 *
 * Never a symbol lookup that could land back in libgemm590: under
 * LD_PRELOAD, RTLD_DEFAULT finds our own sgemm_, and inside Python
 * dlsym(RTLD_NEXT, ...) returns NULL.  dlsym on the handle of the library
 * we opened searches that library (and its dependencies) only. */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>

#include "g590.h"

#ifndef G590_FALLBACK_SONAME
#error "G590_FALLBACK_SONAME must name the host BLAS (set by meson.build)"
#endif

typedef void (*fortran_sgemm_fn)(const char *, const char *, const int *, const int *,
                                 const int *, const float *, const float *, const int *,
                                 const float *, const int *, const float *, float *,
                                 const int *, size_t, size_t);

static fortran_sgemm_fn host_sgemm;
static const char *host_name;
static void *host_handle;
static pthread_once_t host_once = PTHREAD_ONCE_INIT;

/* Depth of host-BLAS calls on this thread: a host BLAS that calls sgemm_
 * or cblas_sgemm back (through our interposed symbol) must not loop. */
static _Thread_local int host_depth;

static void host_load(void) {
  const char *name = g590_config_get()->fallback_lib;
  if (!name) name = G590_FALLBACK_SONAME;
  void *handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    fprintf(stderr, "gemm590: error: cannot load the host BLAS '%s' (%s); "
            "computing on the host with the slow built-in loop\n", name, dlerror());
    return;
  }
  void *sym = dlsym(handle, "sgemm_");
  Dl_info found, self;
  if (!sym) {
    fprintf(stderr, "gemm590: error: host BLAS '%s' has no sgemm_; "
            "computing on the host with the slow built-in loop\n", name);
    dlclose(handle);
    return;
  }
  if (dladdr(sym, &found) && dladdr((void *)host_load, &self) &&
      found.dli_fbase == self.dli_fbase) {
    fprintf(stderr, "gemm590: error: host BLAS '%s' is libgemm590 itself; "
            "computing on the host with the slow built-in loop\n", name);
    dlclose(handle);
    return;
  }
  host_sgemm = (fortran_sgemm_fn)sym;
  host_name = name;
  host_handle = handle;
}

void g590_host_release(void) {
  if (host_handle) dlclose(host_handle);
  host_handle = NULL;
  host_sgemm = NULL;
}

static bool fits_int(const g590_call *c) {
  return c->m <= INT_MAX && c->n <= INT_MAX && c->k <= INT_MAX && c->lda <= INT_MAX &&
         c->ldb <= INT_MAX && c->ldc <= INT_MAX;
}

void g590_host_sgemm(const g590_call *call, const char **how) {
  pthread_once(&host_once, host_load);
  if (!host_sgemm || host_depth > 0 || !fits_int(call)) {
    *how = !host_sgemm ? "builtin" : host_depth > 0 ? "builtin(re-entered)" : "builtin(64-bit)";
    g590_builtin_sgemm(call);
    return;
  }
  int m = (int)call->m, n = (int)call->n, k = (int)call->k;
  int lda = (int)call->lda, ldb = (int)call->ldb, ldc = (int)call->ldc;
  const char *ta = call->trans_a ? "T" : "N", *tb = call->trans_b ? "T" : "N";
  host_depth++;
  host_sgemm(ta, tb, &m, &n, &k, &call->alpha, call->a, &lda, call->b, &ldb, &call->beta,
             call->c, &ldc, 1, 1);
  host_depth--;
  *how = host_name;
}

void g590_scale_c(const g590_call *call) {
  for (int64_t j = 0; j < call->n; j++) {
    float *cj = call->c + j * call->ldc;
    if (call->beta == 0.0f)
      for (int64_t i = 0; i < call->m; i++) cj[i] = 0.0f;
    else
      for (int64_t i = 0; i < call->m; i++) cj[i] *= call->beta;
  }
}

/* Dot-product form, one C element at a time: slow but exact in its
 * contract (beta = 0 never reads C) and safe for any 64-bit size. */
void g590_builtin_sgemm(const g590_call *call) {
  const float *a = call->a, *b = call->b;
  int64_t sa_i = call->trans_a ? call->lda : 1, sa_l = call->trans_a ? 1 : call->lda;
  int64_t sb_l = call->trans_b ? call->ldb : 1, sb_j = call->trans_b ? 1 : call->ldb;
  for (int64_t j = 0; j < call->n; j++) {
    float *cj = call->c + j * call->ldc;
    for (int64_t i = 0; i < call->m; i++) {
      float sum = 0.0f;
      for (int64_t l = 0; l < call->k; l++) sum += a[i * sa_i + l * sa_l] * b[l * sb_l + j * sb_j];
      cj[i] = call->beta == 0.0f ? call->alpha * sum : call->alpha * sum + call->beta * cj[i];
    }
  }
}
