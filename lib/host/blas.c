/* The host path: the host BLAS through an explicit handle.
 *
 * Which host BLAS, decided once at the first host call:
 *   1. GEMM590_FALLBACK_LIB, when set: that library, nothing else.
 *   2. Else the BLAS the process already has loaded: the first loaded
 *      object (in load order, libgemm590 and the main program excepted)
 *      that defines SGEMM in one of the forms below.  Under LD_PRELOAD
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
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "g590.h"

#ifndef G590_FALLBACK_SONAME
#error "G590_FALLBACK_SONAME must name the host BLAS (set by meson.build)"
#endif

/* The routines libgemm590 forwards, as the host BLAS spells them.  Data
 * and scalars are passed as void pointers: float and double pointers are
 * passed alike, and each call names the type it passes. */
typedef enum { R_SGEMM, R_DGEMM, R_SSYRK, R_DSYRK, R_COUNT } routine;
static const char *const routine_names[R_COUNT] = {"sgemm", "dgemm", "ssyrk", "dsyrk"};
typedef void (*gemm32_fn)(const char *, const char *, const int *, const int *, const int *,
                          const void *, const void *, const int *, const void *, const int *,
                          const void *, void *, const int *, size_t, size_t);
typedef void (*gemm64_fn)(const char *, const char *, const int64_t *, const int64_t *,
                          const int64_t *, const void *, const void *, const int64_t *,
                          const void *, const int64_t *, const void *, void *, const int64_t *,
                          size_t, size_t);
typedef void (*syrk32_fn)(const char *, const char *, const int *, const int *, const void *,
                          const void *, const int *, const void *, void *, const int *, size_t,
                          size_t);
typedef void (*syrk64_fn)(const char *, const char *, const int64_t *, const int64_t *,
                          const void *, const void *, const int64_t *, const void *, void *,
                          const int64_t *, size_t, size_t);
/* The same routines' CBLAS spellings (scalars by value) are CBLAS_GEMM_FN
 * and CBLAS_SYRK_FN in lib/core/g590.h. */

/* The forms a host BLAS may export its Fortran routines in, in order of
 * preference: the plain name, then the pip wheels' prefixed ones (scipy's
 * scipy-openblas32, numpy's 64-bit-integer scipy-openblas64).  The form
 * that has SGEMM is the host BLAS's form for every routine. */
static const struct {
  const char *prefix, *suffix;
  bool int64;
} forms[] = {{"", "_", false}, {"scipy_", "_", false}, {"", "_64_", true},
             {"scipy_", "_64_", true}};

static void *routines[R_COUNT]; /* NULL: the built-in loop serves that routine */
/* The host's CBLAS routines in the same form (cblas_sgemm, scipy_cblas_sgemm,
 * cblas_sgemm64_, scipy_cblas_sgemm64_), where it has them: called by
 * value, they skip the Fortran interface's work.  OpenBLAS 0.3.21's sgemm_
 * took 64 ns more than its cblas_sgemm at n = 64 and 6 ns at n = 16 with
 * its Haswell kernels, measured alone in one process (bench/NOTES.md,
 * per-call cost). */
g590_host_cblas g590_host_cblas_routines;
static char host_name[320]; /* "<library>" or "<library>:<symbol>", for the verbose line */
static void *host_handle;
static pthread_once_t host_once = PTHREAD_ONCE_INIT;
_Atomic bool g590_host_loaded; /* host_once has run (g590_once) */

/* Where routine r's CBLAS spelling is kept (g590_host_cblas_routines). */
static void **cblas_slot(routine r) {
  g590_host_cblas *t = &g590_host_cblas_routines;
  return r == R_SGEMM   ? &t->gemm[0]
         : r == R_DGEMM ? &t->gemm[1]
         : r == R_SSYRK ? &t->syrk[0]
                        : &t->syrk[1];
}

/* Depth of host-BLAS calls on this thread: a host BLAS that calls sgemm_
 * or cblas_sgemm back (through our interposed symbol) must not loop. */
G590_THREAD_LOCAL int g590_host_depth;

struct link_map *g590_host_symbol_owner(void *sym) {
  Dl_info info;
  struct link_map *owner = NULL;
  return dladdr1(sym, &info, (void **)&owner, RTLD_DL_LINKMAP) ? owner : NULL;
}

/* `handle`'s definition of routine r in form f (its CBLAS spelling when
 * `cblas`), or NULL when it has none of its own (from a dependency other
 * than `self_map`, or `ours`, libgemm590); *owner: the object defining it. */
static void *own_symbol(void *handle, struct link_map *self_map, struct link_map *ours, int f,
                        routine r, bool cblas, struct link_map **owner_out) {
  char name[64];
  if (cblas)
    snprintf(name, sizeof name, "%scblas_%s%s", forms[f].prefix, routine_names[r],
             forms[f].int64 ? "64_" : "");
  else
    snprintf(name, sizeof name, "%s%s%s", forms[f].prefix, routine_names[r], forms[f].suffix);
  void *sym = dlsym(handle, name);
  struct link_map *owner = sym ? g590_host_symbol_owner(sym) : NULL;
  *owner_out = owner;
  if (!owner || owner == ours || (self_map && owner != self_map)) return NULL;
  return sym;
}

/* The object that defines OpenBLAS's configuration query (as 32- and
 * 64-bit builds and the pip wheels name it) reached through `handle`, or
 * NULL: how OpenBLAS's own routines are told from a netlib CBLAS or BLAS
 * over it. */
static struct link_map *openblas_object(void *handle) {
  static const char *const names[] = {"openblas_get_config", "openblas_get_config64_",
                                      "scipy_openblas_get_config",
                                      "scipy_openblas_get_config64_"};
  struct link_map *openblas = NULL;
  for (size_t i = 0; i < sizeof names / sizeof *names && !openblas; i++) {
    void *sym = dlsym(handle, names[i]);
    openblas = sym ? g590_host_symbol_owner(sym) : NULL;
  }
  return openblas;
}

/* OpenBLAS's CBLAS routines run its own drivers and never call the
 * Fortran symbols back, so the host lane may hand a call to them as its
 * last act (lib/api/lane.h); a netlib CBLAS over OpenBLAS calls back.
 * True when OpenBLAS itself defines each CBLAS routine taken (cblas_owner:
 * the object defining each, as own_symbol found it). */
static bool never_calls_back(struct link_map *openblas, struct link_map *const *cblas_owner) {
  if (!openblas) return false;
  for (int r = 0; r < R_COUNT; r++)
    if (*cblas_slot(r) && cblas_owner[r] != openblas) return false;
  return true;
}

/* Routine r's Fortran spelling for the Fortran entries' quick lane: kept
 * only where OpenBLAS itself defines it (owner, as own_symbol found it;
 * FORTRAN_GEMM_FN in g590.h: its routines take no string lengths, which C
 * callers such as f2py's wrappers do not pass). */
static void *openblas_fortran(routine r, struct link_map *openblas, struct link_map *owner) {
  return routines[r] && openblas && owner == openblas ? routines[r] : NULL;
}

/* Takes `handle` as the host BLAS if the object `self_map` names defines
 * an SGEMM form itself (not through a dependency, never libgemm590); its
 * other routines in the same form, where it has them. */
static bool take(void *handle, struct link_map *self_map, const char *label) {
  struct link_map *ours = g590_host_symbol_owner((void *)take);
  for (int f = 0; f < (int)(sizeof forms / sizeof *forms); f++) {
    struct link_map *owner[R_COUNT] = {NULL}, *cblas_owner[R_COUNT] = {NULL};
    void *sgemm = own_symbol(handle, self_map, ours, f, R_SGEMM, false, &owner[R_SGEMM]);
    if (!sgemm) continue;
    for (int r = 0; r < R_COUNT; r++) {
      routines[r] = r == R_SGEMM ? sgemm
                                 : own_symbol(handle, self_map, ours, f, r, false, &owner[r]);
      *cblas_slot(r) =
          routines[r] ? own_symbol(handle, self_map, ours, f, r, true, &cblas_owner[r]) : NULL;
    }
    struct link_map *openblas = openblas_object(handle);
    g590_host_cblas *t = &g590_host_cblas_routines;
    for (int i = 0; i < 2; i++) {
      routine gemm = i ? R_DGEMM : R_SGEMM, syrk = i ? R_DSYRK : R_SSYRK;
      t->fortran_gemm[i] = openblas_fortran(gemm, openblas, owner[gemm]);
      t->fortran_syrk[i] = openblas_fortran(syrk, openblas, owner[syrk]);
    }
    t->int64 = forms[f].int64;
    t->calls_back = !never_calls_back(openblas, cblas_owner);
    host_handle = handle;
    if (f) snprintf(host_name, sizeof host_name, "%s:%ssgemm%s", label, forms[f].prefix,
                    forms[f].suffix);
    else snprintf(host_name, sizeof host_name, "%s", label);
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
  for (int r = 0; r < R_COUNT; r++) routines[r] = *cblas_slot(r) = NULL;
  g590_host_cblas *t = &g590_host_cblas_routines;
  for (int i = 0; i < 2; i++) t->fortran_gemm[i] = t->fortran_syrk[i] = NULL;
}

static bool fits_int(const g590_job *c) {
  return c->m <= INT_MAX && c->n <= INT_MAX && c->k <= INT_MAX && c->lda <= INT_MAX &&
         c->ldb <= INT_MAX && c->ldc <= INT_MAX;
}

static routine routine_of(const g590_job *job) {
  bool f64 = job->type == G590_F64;
  return job->op == G590_SYRK ? (f64 ? R_DSYRK : R_SSYRK) : (f64 ? R_DGEMM : R_SGEMM);
}

/* The host BLAS's Fortran routine, no guard.  A syrk job goes back to the
 * routine's own arguments: op(A) = A^T when trans_a, the normalised triangle. */
static void fortran_call(const g590_job *call) {
  void *fn = routines[routine_of(call)];
  const char *ta = call->trans_a ? "T" : "N", *tb = call->trans_b ? "T" : "N";
  const char *uplo = call->upper ? "U" : "L";
  union { float f; double d; } alpha, beta;
  if (call->type == G590_F64) alpha.d = call->alpha, beta.d = call->beta;
  else alpha.f = (float)call->alpha, beta.f = (float)call->beta;
  g590_host_depth++;
  if (g590_host_cblas_routines.int64 && call->op == G590_SYRK) {
    ((syrk64_fn)fn)(uplo, ta, &call->n, &call->k, &alpha, call->a, &call->lda, &beta, call->c,
                    &call->ldc, 1, 1);
  } else if (g590_host_cblas_routines.int64) {
    ((gemm64_fn)fn)(ta, tb, &call->m, &call->n, &call->k, &alpha, call->a, &call->lda, call->b,
                    &call->ldb, &beta, call->c, &call->ldc, 1, 1);
  } else {
    int m = (int)call->m, n = (int)call->n, k = (int)call->k;
    int lda = (int)call->lda, ldb = (int)call->ldb, ldc = (int)call->ldc;
    if (call->op == G590_SYRK)
      ((syrk32_fn)fn)(uplo, ta, &n, &k, &alpha, call->a, &lda, &beta, call->c, &ldc, 1, 1);
    else
      ((gemm32_fn)fn)(ta, tb, &m, &n, &k, &alpha, call->a, &lda, call->b, &ldb, &beta, call->c,
                      &ldc, 1, 1);
  }
  g590_host_depth--;
}

/* One CBLAS call of element type T and integer type I (column-major). */
#define CBLAS_CALL(T, I)                                                                      \
  (call->op == G590_SYRK                                                                      \
       ? ((CBLAS_SYRK_FN(T, I))fn)(G590_CBLAS_COL, uplo, ta, (I)call->n, (I)call->k,          \
                                   (T)call->alpha, call->a, (I)call->lda, (T)call->beta,     \
                                   call->c, (I)call->ldc)                                     \
       : ((CBLAS_GEMM_FN(T, I))fn)(G590_CBLAS_COL, ta, tb, (I)call->m, (I)call->n,            \
                                   (I)call->k, (T)call->alpha, call->a, (I)call->lda,        \
                                   call->b, (I)call->ldb, (T)call->beta, call->c,            \
                                   (I)call->ldc))

/* A CBLAS that wraps the Fortran routines (netlib's) calls sgemm_ back
 * through the PLT, and when libgemm590 is linked or preloaded that sgemm_
 * is ours: g590_run hands such a call to g590_host_reentry. */
G590_THREAD_LOCAL bool g590_host_in_cblas;

/* The host BLAS itself, no guard: its CBLAS routine where it has one. */
static void host_call(const g590_job *call) {
  void *fn = *cblas_slot(routine_of(call));
  if (!fn) {
    fortran_call(call);
    return;
  }
  int ta = call->trans_a ? G590_CBLAS_T : G590_CBLAS_N;
  int tb = call->trans_b ? G590_CBLAS_T : G590_CBLAS_N;
  int uplo = call->upper ? G590_CBLAS_UPPER : G590_CBLAS_LOWER;
  g590_host_depth++;
  g590_host_in_cblas = true;
  if (call->type == G590_F64 && g590_host_cblas_routines.int64) CBLAS_CALL(double, int64_t);
  else if (call->type == G590_F64) CBLAS_CALL(double, int);
  else if (g590_host_cblas_routines.int64) CBLAS_CALL(float, int64_t);
  else CBLAS_CALL(float, int);
  g590_host_in_cblas = false;
  g590_host_depth--;
}

void g590_host_reentry(const g590_job *call) {
  g590_host_in_cblas = false; /* its Fortran routine calling back would be a loop */
  fortran_call(call);
  g590_host_in_cblas = true;
}

void g590_host_load(void) { g590_once(&g590_host_loaded, &host_once, host_load); }

void g590_host_blas(const g590_job *call, const char **how) {
  g590_once(&g590_host_loaded, &host_once, host_load);
  bool have = routines[routine_of(call)] != NULL;
  if (!have || g590_host_depth > 0 || (!g590_host_cblas_routines.int64 && !fits_int(call))) {
    *how = !have ? "builtin" : g590_host_depth > 0 ? "builtin(re-entered)" : "builtin(64-bit)";
    g590_host_builtin(call);
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
