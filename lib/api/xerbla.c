/* Reporting invalid arguments.
 *
 * The reference BLAS calls xerbla_ (Fortran) or cblas_xerbla (CBLAS) with
 * the routine name and the parameter number.  An application that defines
 * its own handler (as the reference testers do) gets the call; otherwise
 * we print one line and return.  We deliberately do not export default
 * xerbla_/cblas_xerbla symbols, and we only call a handler that lives in
 * the main program: a BLAS library's own xerbla_ (netlib's STOPs the
 * process) must not turn a bad argument into an exit. */
#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <string.h>

#include "g590.h"

typedef void (*fortran_xerbla_fn)(const char *srname, const int *info, size_t len);
typedef void (*cblas_xerbla_fn)(int info, const char *rout, const char *form, ...);

/* Returns the main program's definition of `name`, or NULL. */
static void *main_program_symbol(const char *name) {
  void *sym = dlsym(RTLD_DEFAULT, name);
  struct link_map *owner = sym ? g590_host_symbol_owner(sym) : NULL;
  if (!owner) return NULL;
  void *self = dlopen(NULL, RTLD_LAZY | RTLD_NOLOAD);
  struct link_map *main_map = NULL;
  if (!self) return NULL;
  int ok = dlinfo(self, RTLD_DI_LINKMAP, &main_map) == 0;
  dlclose(self);
  return (ok && owner == main_map) ? sym : NULL;
}

void g590_api_report_fortran(const char *srname6, int info) {
  fortran_xerbla_fn own = (fortran_xerbla_fn)main_program_symbol("xerbla_");
  if (own) {
    own(srname6, &info, strlen(srname6));
    return;
  }
  fprintf(stderr, "gemm590: ** On entry to %.6s parameter number %d had an illegal value\n",
          srname6, info);
}

int g590_api_cblas_caller_param(int info, bool row_major) {
  /* Row-major calls were checked as the swapped problem (M <-> N,
   * lda <-> ldb); netlib's cblas_xerbla names the caller's parameter. */
  static const int unswap[15] = {0, 1, 2, 3, 5, 4, 6, 7, 8, 11, 10, 9, 12, 13, 14};
  return row_major && info > 0 && info < 15 ? unswap[info] : info;
}

void g590_api_report_cblas(int info, const char *rout, bool row_major) {
  cblas_xerbla_fn own = (cblas_xerbla_fn)main_program_symbol("cblas_xerbla");
  if (own) {
    own(info, rout, "");
    return;
  }
  fprintf(stderr, "gemm590: ** On entry to %s parameter number %d had an illegal value\n", rout,
          g590_api_cblas_caller_param(info, row_major));
}
