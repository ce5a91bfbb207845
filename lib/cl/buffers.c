/* Device buffers and host staging of the engine, shared by the SGEMM and
 * HGEMM device paths (declared in lib/cl/cl_engine.h). */
#include <stdio.h>
#include <stdlib.h>

#include "cl_engine.h"

static void buffer_release(g590_buffer *buf) {
  if (buf->mem) clReleaseMemObject(buf->mem);
  buf->mem = NULL;
  buf->bytes = 0;
}

bool g590_cl_buffer_ensure(g590_engine *e, g590_buffer *buf, size_t bytes, char *why,
                        size_t why_len) {
  if (buf->mem && buf->bytes >= bytes) return true;
  buffer_release(buf);
  cl_int err = CL_SUCCESS;
  cl_mem mem = G590_CL_OBJECT("clCreateBuffer", err, CL_MEM_OBJECT_ALLOCATION_FAILURE,
                              clCreateBuffer(e->context, CL_MEM_READ_WRITE, bytes, NULL, &err));
  if (g590_cl_failed(err, "clCreateBuffer", why, why_len)) return false;
  buf->mem = mem;
  buf->bytes = bytes;
  return true;
}

void g590_cl_buffers_release(g590_engine *e) {
  buffer_release(&e->a);
  buffer_release(&e->split);
  for (int i = 0; i < 2; i++) buffer_release(&e->b[i]);
  for (int i = 0; i < G590_CL_C_SLOTS; i++) buffer_release(&e->c[i]);
  for (int i = 0; i < 3; i++) buffer_release(&e->h[i]);
  /* Pinned chunks: unmapped once no upload reads them, and released once
   * the unmaps are done. */
  g590_cl_link_settle(e);
  for (int i = 0; i < 2; i++)
    if (e->pinned[i].host)
      clEnqueueUnmapMemObject(e->queue, e->pinned[i].mem, e->pinned[i].host, 0, NULL, NULL);
  clFinish(e->queue);
  for (int i = 0; i < 2; i++) {
    if (e->pinned[i].mem) clReleaseMemObject(e->pinned[i].mem);
    e->pinned[i] = (g590_pinned){NULL, NULL, NULL};
  }
  free(e->staging);
  e->staging = NULL;
  free(e->trace);
  e->trace = NULL;
  e->staging_bytes = 0;
}

bool g590_cl_staging(g590_engine *e, size_t bytes, char *why, size_t why_len) {
  if (e->staging_bytes >= bytes) return true;
  void *p = realloc(e->staging, bytes);
  if (!p) {
    snprintf(why, why_len, "error: out of host memory for staging");
    return false;
  }
  e->staging = p;
  e->staging_bytes = bytes;
  return true;
}
