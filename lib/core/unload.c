/* Giving everything back when dlclose unloads the library.
 *
 * libgemm590 may be opened with dlopen and closed with dlclose (plugin
 * hosts and Python extensions do).  Closing unmaps its code, so first no
 * thread may be left in it (the copy pool's workers are joined), no
 * thread-exit destructor of ours may stay registered (the hgemm workspace
 * and counter keys are deleted), and what the library holds goes back:
 * OpenCL objects, memory, the host BLAS handle.  The destructor below does
 * that.
 *
 * The same destructor also runs at process exit, from the dynamic loader's
 * fini, after every exit handler, the OpenCL driver's among them: releasing
 * into a driver that has shut down can crash, and nothing needs releasing
 * when the process ends anyway.  So the destructor must tell exit from
 * dlclose.  At the first call (g590_unload_arm) an exit handler is
 * registered that runs at exit only, never at dlclose, and before the
 * loader's fini.  It must outlive our code after a dlclose, so it is
 * libc's sem_post on a semaphore that is never freed: one small block per
 * load. */
#include <semaphore.h>
#include <stdlib.h>

#include "g590.h"

extern int __cxa_atexit(void (*func)(void *), void *arg, void *dso_handle);

static sem_t *exit_marker;

void g590_unload_arm(void) {
  sem_t *s = malloc(sizeof *s);
  if (!s || sem_init(s, 0, 0) != 0) {
    free(s);
    return;
  }
  /* dlclose runs the handlers registered under its library's dso handle,
   * exit runs them all: the semaphore's own address is no library's
   * handle.  (Not NULL, the program's: ThreadSanitizer calls those
   * handlers without their argument.)  sem_post takes one pointer, as an
   * exit handler does; the cast goes through void (*)(void), the generic
   * function pointer type. */
  if (__cxa_atexit((void (*)(void *))(void (*)(void))sem_post, s, s) != 0) {
    sem_destroy(s);
    free(s);
    return;
  }
  exit_marker = s;
}

__attribute__((destructor)) static void unload(void) {
  /* Never armed: no call was made, so nothing was taken.  Marked: the
   * process is exiting. */
  if (!exit_marker || sem_trywait(exit_marker) == 0) return;
  g590_cl_release();
  g590_adapt_release();
  g590_host_workspaces_release();
  g590_api_counters_release();
  g590_host_release();
  g590_config_release();
}
