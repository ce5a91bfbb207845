/* The host link: moving operands between the caller's pageable memory and
 * the device.
 *
 * Pageable copies crawl (about 8 GB/s host-to-device on the H100 host),
 * pinned ones run at the link's speed (about 55 GB/s).  So large operands
 * go through two pinned staging chunks: host threads pack the next chunk
 * of whole columns while the DMA of the previous one is in flight.  Small
 * operands take the driver's own pageable path, whose fixed cost is lower. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cl_engine.h"

/* Operands up to MIN_PINNED bytes go the pageable way; larger ones are cut
 * into up to 4 chunks (so packing overlaps DMA) of MIN_CHUNK to CHUNK_BYTES:
 * each chunk costs a thread wake-up and a DMA round trip, which smaller
 * chunks do not repay.  Measured on the H100 host (bench/NOTES.md): at
 * n = 1024 (4 MiB operands) a call took 0.93 ms through 2 MiB chunks and
 * 1.37 ms pageable; at n = 2048 (16 MiB) 4 MiB chunks beat 2 MiB ones. */
enum { MIN_PINNED = 2 << 20, MIN_CHUNK = 2 << 20 };

/* Staging chunk size (GEMM590_LINK_CHUNK; small values let tests reach
 * the chunked path with small matrices). */
#define CHUNK_BYTES (g590_config_get()->link_chunk_bytes)

/* NVIDIA's OpenCL silently truncates rect-copy pitches of 4 GiB and more
 * (measured on the H100: ld = 2^30 + 7 floats gave wrong results), so
 * wider host pitches are packed on the host instead. */
#define MAX_HOST_PITCH ((size_t)1 << 31)

bool g590_pinned_ensure(g590_engine *e, char *why, size_t why_len) {
  for (int i = 0; i < 2; i++) {
    g590_pinned *p = &e->pinned[i];
    if (p->host) continue;
    cl_int err = CL_SUCCESS;
    p->mem = G590_CL_OBJECT("clCreateBuffer", err, CL_MEM_OBJECT_ALLOCATION_FAILURE,
                            clCreateBuffer(e->context, CL_MEM_READ_WRITE | CL_MEM_ALLOC_HOST_PTR,
                                           CHUNK_BYTES, NULL, &err));
    if (g590_cl_failed(err, "clCreateBuffer", why, why_len)) return false;
    p->host = G590_CL_OBJECT("clEnqueueMapBuffer", err, CL_MAP_FAILURE,
                             clEnqueueMapBuffer(e->queue, p->mem, CL_TRUE,
                                                CL_MAP_READ | CL_MAP_WRITE, 0, CHUNK_BYTES, 0,
                                                NULL, NULL, &err));
    if (g590_cl_failed(err, "clEnqueueMapBuffer", why, why_len)) {
      clReleaseMemObject(p->mem);
      p->mem = NULL;
      p->host = NULL;
      return false;
    }
  }
  return true;
}

double g590_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

/* Host copies timed into e->link_copy_ms (the verbose line shows it). */
static void timed_copy(g590_engine *e, void *dst, size_t dst_pitch, const void *src,
                       size_t src_pitch, size_t row_bytes, int64_t cols) {
  double t = g590_now_ms();
  g590_copy_columns(dst, dst_pitch, src, src_pitch, row_bytes, cols);
  e->link_copy_ms += g590_now_ms() - t;
}

static bool wait_release(cl_event *ev, const char *call, char *why, size_t why_len) {
  if (!*ev) return true;
  cl_int err = G590_CL("clWaitForEvents", clWaitForEvents(1, ev));
  clReleaseEvent(*ev);
  *ev = NULL;
  return !g590_cl_failed(err, call, why, why_len);
}

/* Queues the copy of columns [c0, c0 + n) of `x` from host memory laid
 * out with `host_pitch` bytes per column. */
static cl_int write_columns(g590_engine *e, cl_mem dst, const g590_operand *x, int64_t c0,
                            int64_t n, const void *host, size_t host_pitch, cl_bool blocking,
                            cl_event *ev, const char **call) {
  size_t row_bytes = (size_t)x->rows * sizeof(float), dev_pitch = x->dev_rows * sizeof(float);
  bool plain = x->dev_rows == (size_t)x->rows && (host_pitch == row_bytes || n == 1);
  *call = plain ? "clEnqueueWriteBuffer" : "clEnqueueWriteBufferRect";
  if (plain)
    return G590_CL("clEnqueueWriteBuffer",
                   clEnqueueWriteBuffer(e->queue, dst, blocking, (size_t)c0 * dev_pitch,
                                        row_bytes * (size_t)n, host, 0, NULL, ev));
  size_t dev_origin[3] = {0, (size_t)c0, 0}, host_origin[3] = {0, 0, 0};
  size_t region[3] = {row_bytes, (size_t)n, 1};
  return G590_CL("clEnqueueWriteBufferRect",
                 clEnqueueWriteBufferRect(e->queue, dst, blocking, dev_origin, host_origin, region,
                                          dev_pitch, 0, host_pitch, 0, host, 0, NULL, ev));
}

/* Columns per pinned chunk for a block of `cols` columns of `row_bytes`;
 * 0 when the block should not go through the pinned chunks. */
static int64_t chunk_columns(size_t row_bytes, int64_t cols) {
  /* A small GEMM590_LINK_CHUNK lowers all limits (tests). */
  size_t floor = CHUNK_BYTES < MIN_PINNED ? CHUNK_BYTES : MIN_PINNED;
  size_t min_chunk = CHUNK_BYTES < MIN_CHUNK ? CHUNK_BYTES : MIN_CHUNK;
  size_t total = row_bytes * (size_t)cols, chunk = total / 4;
  if (total <= floor || row_bytes > CHUNK_BYTES) return 0;
  if (chunk < min_chunk) chunk = min_chunk;
  if (chunk > CHUNK_BYTES) chunk = CHUNK_BYTES;
  return (int64_t)(chunk / row_bytes);
}

bool g590_link_upload(g590_engine *e, cl_mem dst, const g590_operand *x, char *why,
                      size_t why_len) {
  size_t row_bytes = (size_t)x->rows * sizeof(float), ld_bytes = (size_t)x->ld * sizeof(float);
  int64_t per_chunk = chunk_columns(row_bytes, x->cols);
  if (per_chunk == 0 ||
      !g590_pinned_ensure(e, why, why_len)) {
    if (ld_bytes < MAX_HOST_PITCH) {
      const char *call;
      cl_int err = write_columns(e, dst, x, 0, x->cols, x->data, ld_bytes, CL_FALSE, NULL, &call);
      return !g590_cl_failed(err, call, why, why_len);
    }
    /* Pack columns first: a pitch this wide is not passed to the driver.
     * Blocking, since the next operand reuses the staging memory. */
    if (!g590_staging(e, row_bytes * (size_t)x->cols, why, why_len)) return false;
    g590_copy_columns(e->staging, row_bytes, x->data, ld_bytes, row_bytes, x->cols);
    const char *call;
    cl_int err = write_columns(e, dst, x, 0, x->cols, e->staging, row_bytes, CL_TRUE, NULL, &call);
    return !g590_cl_failed(err, call, why, why_len);
  }
  cl_event pending[2] = {NULL, NULL};
  bool ok = true;
  for (int64_t c0 = 0, i = 0; ok && c0 < x->cols; c0 += per_chunk, i++) {
    g590_pinned *p = &e->pinned[i & 1];
    int64_t n = x->cols - c0 < per_chunk ? x->cols - c0 : per_chunk;
    ok = wait_release(&pending[i & 1], "clWaitForEvents", why, why_len);
    if (!ok) break;
    timed_copy(e, p->host, row_bytes, x->data + c0 * x->ld, ld_bytes, row_bytes, n);
    const char *call;
    cl_int err = write_columns(e, dst, x, c0, n, p->host, row_bytes, CL_FALSE, &pending[i & 1],
                               &call);
    ok = !g590_cl_failed(err, call, why, why_len);
  }
  for (int i = 0; i < 2; i++) ok = wait_release(&pending[i], "clWaitForEvents", why, why_len) && ok;
  return ok;
}

static cl_int read_columns(g590_engine *e, cl_mem src, const g590_operand *c, int64_t c0,
                           int64_t n, void *host, cl_bool blocking, cl_event *ev,
                           const char **call) {
  size_t row_bytes = (size_t)c->rows * sizeof(float), dev_pitch = c->dev_rows * sizeof(float);
  *call = c->dev_rows == (size_t)c->rows ? "clEnqueueReadBuffer" : "clEnqueueReadBufferRect";
  if (c->dev_rows == (size_t)c->rows)
    return G590_CL("clEnqueueReadBuffer",
                   clEnqueueReadBuffer(e->queue, src, blocking, (size_t)c0 * dev_pitch,
                                       row_bytes * (size_t)n, host, 0, NULL, ev));
  size_t dev_origin[3] = {0, (size_t)c0, 0}, host_origin[3] = {0, 0, 0};
  size_t region[3] = {row_bytes, (size_t)n, 1};
  return G590_CL("clEnqueueReadBufferRect",
                 clEnqueueReadBufferRect(e->queue, src, blocking, dev_origin, host_origin, region,
                                         dev_pitch, 0, row_bytes, 0, host, 0, NULL, ev));
}

bool g590_link_download(g590_engine *e, cl_mem src, const g590_operand *c, float *dst,
                        bool overwritable, int64_t *cols_done, char *why, size_t why_len) {
  size_t row_bytes = (size_t)c->rows * sizeof(float), ld_bytes = (size_t)c->ld * sizeof(float);
  int64_t per_chunk = chunk_columns(row_bytes, c->cols);
  const char *call;
  *cols_done = 0;
  if (per_chunk == 0 || !g590_pinned_ensure(e, why, why_len)) {
    /* Small.  With beta = 0 (nothing of C is read, so a half-written C is
     * simply recomputed after a failure) and C contiguous, straight into
     * the caller's memory; otherwise through host staging first, so that a
     * failure leaves the caller's C untouched. */
    if (overwritable && c->ld == c->rows) {
      cl_int err = read_columns(e, src, c, 0, c->cols, dst, CL_TRUE, NULL, &call);
      if (g590_cl_failed(err, call, why, why_len)) return false;
      *cols_done = c->cols;
      return true;
    }
    if (!g590_staging(e, row_bytes * (size_t)c->cols, why, why_len)) return false;
    cl_int err = read_columns(e, src, c, 0, c->cols, e->staging, CL_TRUE, NULL, &call);
    if (g590_cl_failed(err, call, why, why_len)) return false;
    g590_copy_columns(dst, ld_bytes, e->staging, row_bytes, row_bytes, c->cols);
    *cols_done = c->cols;
    return true;
  }
  /* Chunk i is read into pinned[i % 2] while chunk i - 1 is copied out.
   * Columns reach the caller's C only once read in full: after a failure,
   * *cols_done columns are final and the rest are untouched. */
  int64_t chunks = (c->cols + per_chunk - 1) / per_chunk;
  cl_event ev[2] = {NULL, NULL};
  cl_int err = read_columns(e, src, c, 0, c->cols < per_chunk ? c->cols : per_chunk,
                            e->pinned[0].host, CL_FALSE, &ev[0], &call);
  bool ok = !g590_cl_failed(err, call, why, why_len);
  for (int64_t i = 0; ok && i < chunks; i++) {
    int64_t c0 = i * per_chunk, n = c->cols - c0 < per_chunk ? c->cols - c0 : per_chunk;
    if (i + 1 < chunks) {
      int64_t c1 = c0 + per_chunk, n1 = c->cols - c1 < per_chunk ? c->cols - c1 : per_chunk;
      err = read_columns(e, src, c, c1, n1, e->pinned[(i + 1) & 1].host, CL_FALSE,
                         &ev[(i + 1) & 1], &call);
      ok = !g590_cl_failed(err, call, why, why_len);
    }
    ok = wait_release(&ev[i & 1], "clWaitForEvents", why, why_len) && ok;
    if (!ok) break;
    timed_copy(e, dst + c0 * c->ld, ld_bytes, e->pinned[i & 1].host, row_bytes, row_bytes, n);
    *cols_done = c0 + n;
  }
  for (int i = 0; i < 2; i++) wait_release(&ev[i], "clWaitForEvents", why, why_len);
  return ok;
}

bool g590_link_upload_half(g590_engine *e, cl_mem dst, const g590_operand *x, bool *fits,
                           char *why, size_t why_len) {
  size_t half_row = (size_t)x->rows * 2, ld_bytes = (size_t)x->ld * sizeof(float);
  /* Chunks sized by what crosses the link: binary16 columns.  A block
   * small enough for the pageable way still goes through one pinned chunk:
   * it must be converted into host memory anyway, and from pinned memory
   * the DMA runs 5x faster (53 against 10 GB/s on the H100 host). */
  int64_t per_chunk = chunk_columns(half_row, x->cols);
  if (per_chunk == 0 && half_row <= CHUNK_BYTES) per_chunk = x->cols;
  *fits = true;
  if (per_chunk == 0 || !g590_pinned_ensure(e, why, why_len)) {
    /* Convert all, then one blocking write: the staging memory is reused. */
    if (!g590_staging(e, half_row * (size_t)x->cols, why, why_len)) return false;
    *fits = g590_pack_half_columns(e->staging, half_row, x->data, ld_bytes, x->rows, x->cols);
    if (!*fits) return false;
    cl_int err = G590_CL("clEnqueueWriteBuffer",
                         clEnqueueWriteBuffer(e->queue, dst, CL_TRUE, 0,
                                              half_row * (size_t)x->cols, e->staging, 0, NULL,
                                              NULL));
    return !g590_cl_failed(err, "clEnqueueWriteBuffer", why, why_len);
  }
  cl_event pending[2] = {NULL, NULL};
  bool ok = true;
  for (int64_t c0 = 0, i = 0; ok && c0 < x->cols; c0 += per_chunk, i++) {
    g590_pinned *p = &e->pinned[i & 1];
    int64_t n = x->cols - c0 < per_chunk ? x->cols - c0 : per_chunk;
    ok = wait_release(&pending[i & 1], "clWaitForEvents", why, why_len);
    if (!ok) break;
    double t = g590_now_ms();
    *fits = g590_pack_half_columns(p->host, half_row, x->data + c0 * x->ld, ld_bytes, x->rows, n);
    e->link_copy_ms += g590_now_ms() - t;
    if (!*fits) {
      ok = false;
      break;
    }
    cl_int err = G590_CL("clEnqueueWriteBuffer",
                         clEnqueueWriteBuffer(e->queue, dst, CL_FALSE, half_row * (size_t)c0,
                                              half_row * (size_t)n, p->host, 0, NULL,
                                              &pending[i & 1]));
    ok = !g590_cl_failed(err, "clEnqueueWriteBuffer", why, why_len);
  }
  for (int i = 0; i < 2; i++) ok = wait_release(&pending[i], "clWaitForEvents", why, why_len) && ok;
  return ok;
}

bool g590_convert_on_device(g590_engine *e, bool narrow, cl_mem src, int64_t src_ld, cl_mem dst,
                            int64_t dst_ld, int64_t rows, int64_t cols, size_t dst_rows,
                            size_t dst_cols, char *why, size_t why_len) {
  const char *origin;
  cl_kernel k = g590_program_kernel(e, "convert", narrow ? "-DNARROW=1" : "-DNARROW=0", &origin,
                                    why, why_len);
  if (!k) return false;
  int sld = (int)src_ld, dld = (int)dst_ld, r = (int)rows, c = (int)cols;
  int dr = (int)dst_rows, dc = (int)dst_cols;
  struct { size_t size; const void *value; } args[] = {
      {sizeof src, &src}, {sizeof sld, &sld}, {sizeof dst, &dst}, {sizeof dld, &dld},
      {sizeof r, &r},     {sizeof c, &c},     {sizeof dr, &dr},   {sizeof dc, &dc}};
  for (cl_uint i = 0; i < sizeof args / sizeof args[0]; i++) {
    cl_int err = G590_CL("clSetKernelArg", clSetKernelArg(k, i, args[i].size, args[i].value));
    if (g590_cl_failed(err, "clSetKernelArg", why, why_len)) return false;
  }
  size_t global[2] = {narrow ? (size_t)rows : dst_rows, narrow ? (size_t)cols : dst_cols};
  cl_int err = G590_CL("clEnqueueNDRangeKernel",
                       clEnqueueNDRangeKernel(e->queue, k, 2, NULL, global, NULL, 0, NULL, NULL));
  return !g590_cl_failed(err, "clEnqueueNDRangeKernel", why, why_len);
}
