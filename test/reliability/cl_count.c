/* Live OpenCL buffers counted at the API boundary (see cl_count.h). */
#define CL_TARGET_OPENCL_VERSION 120
#include "cl_count.h"

#include <CL/cl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_TRACKED = 1024 };

typedef cl_mem (*create_fn)(cl_context, cl_mem_flags, size_t, void *, cl_int *);
typedef cl_int (*release_fn)(cl_mem);

/* Buffers made through clCreateBuffer and not yet released; a release of
 * anything else (sub-buffers, images: libgemm590 makes none) is passed on
 * uncounted.  The reference count is not followed: libgemm590 never
 * retains a buffer, so its one release frees it. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct { cl_mem mem; size_t bytes; } tracked[MAX_TRACKED];
static cl_count counts;
static bool overflow;

static void *next_symbol(const char *name) {
  void *sym = dlsym(RTLD_NEXT, name);
  if (!sym) {
    fprintf(stderr, "FATAL: %s not found after the test program (is libOpenCL linked?)\n", name);
    abort();
  }
  return sym;
}

CL_API_ENTRY cl_mem CL_API_CALL clCreateBuffer(cl_context context, cl_mem_flags flags,
                                               size_t size, void *host_ptr, cl_int *errcode) {
  static create_fn next;
  if (!next) next = (create_fn)next_symbol("clCreateBuffer");
  cl_mem mem = next(context, flags, size, host_ptr, errcode);
  if (!mem) return mem;
  pthread_mutex_lock(&lock);
  int i = 0;
  while (i < MAX_TRACKED && tracked[i].mem) i++;
  if (i < MAX_TRACKED) tracked[i].mem = mem, tracked[i].bytes = size;
  else overflow = true;
  counts.live++;
  counts.live_bytes += size;
  counts.created++;
  pthread_mutex_unlock(&lock);
  return mem;
}

CL_API_ENTRY cl_int CL_API_CALL clReleaseMemObject(cl_mem mem) {
  static release_fn next;
  if (!next) next = (release_fn)next_symbol("clReleaseMemObject");
  cl_int err = next(mem);
  if (err != CL_SUCCESS || !mem) return err;
  pthread_mutex_lock(&lock);
  for (int i = 0; i < MAX_TRACKED; i++)
    if (tracked[i].mem == mem) {
      counts.live--;
      counts.live_bytes -= tracked[i].bytes;
      tracked[i].mem = NULL;
      break;
    }
  pthread_mutex_unlock(&lock);
  return err;
}

cl_count cl_count_get(void) {
  pthread_mutex_lock(&lock);
  cl_count c = counts;
  bool full = overflow;
  pthread_mutex_unlock(&lock);
  if (full) {
    fprintf(stderr, "FATAL: more than %d live OpenCL buffers\n", MAX_TRACKED);
    exit(1);
  }
  return c;
}
