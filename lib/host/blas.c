/* The host path: the host BLAS through an explicit handle.
 *
 * Which host BLAS, decided once at the first host call:
 *   1. GEMM590_FALLBACK_LIB, when set: that library, nothing else.
 *   2. Else the BLAS the process already has loaded: the first loaded
 *      object (in load order, libgemm590 and the main program excepted)
 *      that defines one of the SGEMM spellings below.  Under LD_PRELOAD
 *      that is the library the program would have called without us:
 *      Debian's libblas.so.3, or the OpenBLAS bundled in a pip wheel
 *      (numpy's scipy_sgemm_64_, scipy's scipy_sgemm_), so one thread pool
 *      serves both and threadpoolctl's limits reach it.
 *   3. Else the build's default (libopenblas.so.0), opened with dlopen.
 *   4. Else the slow built-in loop, with one error line.
 *
 * Never a symbol lookup that could land back in libgemm590: under
 * LD_PRELOAD, RTLD_DEFAULT finds our own sgemm_, and inside Python
 * dlsym(RTLD_NEXT, ...) returns NULL (Python loads extension modules and
 * their BLAS with RTLD_LOCAL).  So loaded objects are enumerated with
 * dl_iterate_phdr, reached with dlopen(path, RTLD_NOLOAD), and a symbol
 * is taken only when dladdr says that very object defines it. */
#include <dlfcn.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "g590.h"

#ifndef G590_FALLBACK_SONAME
#error "G590_FALLBACK_SONAME must name the host BLAS (set by meson.build)"
#endif

typedef void (*sgemm32_fn)(const char *, const char *, const int *, const int *, const int *,
                           const float *, const float *, const int *, const float *,
                           const int *, const float *, float *, const int *, size_t, size_t);
typedef void (*sgemm64_fn)(const char *, const char *, const int64_t *, const int64_t *,
                           const int64_t *, const float *, const float *, const int64_t *,
                           const float *, const int64_t *, const float *, float *,
                           const int64_t *, size_t, size_t);

/* The Fortran SGEMM spellings a host BLAS may export, in order of
 * preference: the plain name, then the pip wheels' prefixed ones (scipy's
 * scipy-openblas32, numpy's 64-bit-integer scipy-openblas64). */
static const struct {
  const char *name;
  bool int64;
} spellings[] = {
    {"sgemm_", false}, {"scipy_sgemm_", false}, {"sgemm_64_", true}, {"scipy_sgemm_64_", true}};

static sgemm32_fn host32;
static sgemm64_fn host64;
static char host_name[320]; /* "<library>" or "<library>:<symbol>", for the verbose line */
static void *host_handle;
static pthread_once_t host_once = PTHREAD_ONCE_INIT;
static _Atomic bool host_loaded; /* host_once has run (g590_once) */

/* Depth of host-BLAS calls on this thread: a host BLAS that calls sgemm_
 * or cblas_sgemm back (through our interposed symbol) must not loop. */
static G590_THREAD_LOCAL int host_depth;

struct link_map *g590_host_symbol_owner(void *sym) {
  Dl_info info;
  struct link_map *owner = NULL;
  return dladdr1(sym, &info, (void **)&owner, RTLD_DL_LINKMAP) ? owner : NULL;
}

/* Takes `handle` as the host BLAS if the object `self_map` names defines
 * an SGEMM spelling itself (not through a dependency, never libgemm590). */
static bool take(void *handle, struct link_map *self_map, const char *label) {
  struct link_map *ours = g590_host_symbol_owner((void *)take);
  for (size_t i = 0; i < sizeof spellings / sizeof *spellings; i++) {
    void *sym = dlsym(handle, spellings[i].name);
    if (!sym) continue;
    struct link_map *owner = g590_host_symbol_owner(sym);
    if (!owner || owner == ours || (self_map && owner != self_map)) continue;
    if (spellings[i].int64) host64 = (sgemm64_fn)sym;
    else host32 = (sgemm32_fn)sym;
    host_handle = handle;
    snprintf(host_name, sizeof host_name, "%s%s%s", label, i ? ":" : "",
             i ? spellings[i].name : "");
    return true;
  }
  return false;
}

/* Paths of the loaded objects, in load order (collected first: dlopen
 * must not run inside dl_iterate_phdr's callback, under the loader's lock). */
enum { MAX_OBJECTS = 512 };
typedef struct loaded {
  char *paths[MAX_OBJECTS];
  int count;
} loaded;

static int collect(struct dl_phdr_info *info, size_t size, void *data) {
  (void)size;
  loaded *l = data;
  /* The main program has an empty name, the vDSO no file. */
  if (info->dlpi_name && info->dlpi_name[0] == '/' && l->count < MAX_OBJECTS)
    l->paths[l->count] = strdup(info->dlpi_name), l->count += l->paths[l->count] != NULL;
  return 0;
}

static bool take_loaded(void) {
  loaded l = {.count = 0};
  dl_iterate_phdr(collect, &l);
  bool found = false;
  for (int i = 0; i < l.count && !found; i++) {
    void *handle = dlopen(l.paths[i], RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
    if (!handle) continue;
    struct link_map *map = NULL;
    found = dlinfo(handle, RTLD_DI_LINKMAP, &map) == 0 && take(handle, map, l.paths[i]);
    if (!found) dlclose(handle);
  }
  for (int i = 0; i < l.count; i++) free(l.paths[i]);
  return found;
}

static void host_load(void) {
  const char *chosen = g590_config_get()->fallback_lib;
  if (!chosen && take_loaded()) return;
  const char *name = chosen ? chosen : G590_FALLBACK_SONAME;
  void *handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    fprintf(stderr, "gemm590: error: cannot load the host BLAS '%s' (%s); "
            "computing on the host with the slow built-in loop\n", name, dlerror());
    return;
  }
  if (!take(handle, NULL, name)) {
    fprintf(stderr, "gemm590: error: host BLAS '%s' has no SGEMM of its own (or is "
            "libgemm590 itself); computing on the host with the slow built-in loop\n", name);
    dlclose(handle);
  }
}

void g590_host_release(void) {
  if (host_handle) dlclose(host_handle);
  host_handle = NULL;
  host32 = NULL;
  host64 = NULL;
}

static bool fits_int(const g590_job *c) {
  return c->m <= INT_MAX && c->n <= INT_MAX && c->k <= INT_MAX && c->lda <= INT_MAX &&
         c->ldb <= INT_MAX && c->ldc <= INT_MAX;
}

/* The host BLAS itself, no guard. */
static void host_call(const g590_job *call) {
  const char *ta = call->trans_a ? "T" : "N", *tb = call->trans_b ? "T" : "N";
  float alpha = (float)call->alpha, beta = (float)call->beta;
  host_depth++;
  if (host64) {
    host64(ta, tb, &call->m, &call->n, &call->k, &alpha, call->a, &call->lda, call->b,
           &call->ldb, &beta, call->c, &call->ldc, 1, 1);
  } else {
    int m = (int)call->m, n = (int)call->n, k = (int)call->k;
    int lda = (int)call->lda, ldb = (int)call->ldb, ldc = (int)call->ldc;
    host32(ta, tb, &m, &n, &k, &alpha, call->a, &lda, call->b, &ldb, &beta, call->c,
           &ldc, 1, 1);
  }
  host_depth--;
}

void g590_host_sgemm(const g590_job *call, const char **how) {
  g590_once(&host_loaded, &host_once, host_load);
  bool have = host32 || host64;
  if (!have || host_depth > 0 || (!host64 && !fits_int(call))) {
    *how = !have ? "builtin" : host_depth > 0 ? "builtin(re-entered)" : "builtin(64-bit)";
    g590_host_builtin_sgemm(call);
    return;
  }
  /* Calls a known host BLAS defect would get wrong go through compact
   * copies (lib/host/guard.c). */
  if (__builtin_expect(g590_host_guard_needed(call), 0)) {
    g590_host_guarded(call, host_call, how);
    return;
  }
  *how = host_name;
  host_call(call);
}

void g590_host_scale_c(const g590_job *call) {
  float *c = call->c, beta = (float)call->beta;
  for (int64_t j = 0; j < call->n; j++) {
    float *cj = c + j * call->ldc;
    if (beta == 0.0f)
      for (int64_t i = 0; i < call->m; i++) cj[i] = 0.0f;
    else
      for (int64_t i = 0; i < call->m; i++) cj[i] *= beta;
  }
}

/* Dot-product form, one C element at a time: slow but exact in its
 * contract (beta = 0 never reads C) and safe for any 64-bit size. */
void g590_host_builtin_sgemm(const g590_job *call) {
  const float *a = call->a, *b = call->b;
  float *c = call->c, alpha = (float)call->alpha, beta = (float)call->beta;
  int64_t sa_i = call->trans_a ? call->lda : 1, sa_l = call->trans_a ? 1 : call->lda;
  int64_t sb_l = call->trans_b ? call->ldb : 1, sb_j = call->trans_b ? 1 : call->ldb;
  for (int64_t j = 0; j < call->n; j++) {
    float *cj = c + j * call->ldc;
    for (int64_t i = 0; i < call->m; i++) {
      float sum = 0.0f;
      for (int64_t l = 0; l < call->k; l++) sum += a[i * sa_i + l * sa_l] * b[l * sb_l + j * sb_j];
      cj[i] = beta == 0.0f ? alpha * sum : alpha * sum + beta * cj[i];
    }
  }
}
