/* The host link: moving operands of any element type between the caller's
 * pageable memory and the device, copied or converted to binary16 on the
 * way; and the device-side conversions (widen, narrow).
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

/* Operands of up to MIN_PINNED_ELEMENTS elements (2 MiB of float32) go
 * the pageable way; larger ones are cut into up to 4 chunks (so packing
 * overlaps DMA) of MIN_CHUNK to CHUNK_BYTES: each chunk costs a thread
 * wake-up and a DMA round trip, which smaller chunks do not repay.
 * Measured on the H100 host (bench/NOTES.md): at n = 1024 (4 MiB
 * operands) a call took 0.93 ms through 2 MiB chunks and 1.37 ms
 * pageable; at n = 2048 (16 MiB) 4 MiB chunks beat 2 MiB ones.  The bound
 * counts elements, not bytes: gemm590_hgemm at n = 1024 (2 MiB binary16
 * operands) lost a quarter of its rate on the H200 when they went
 * pageable (4.25 -> 3.25 TFLOPS, bench/NOTES.md). */
enum { MIN_PINNED_ELEMENTS = 512 << 10, MIN_CHUNK = 2 << 20 };

/* Staging chunk size (GEMM590_LINK_CHUNK; small values let tests reach
 * the chunked path with small matrices). */
#define CHUNK_BYTES (g590_config_get()->link_chunk_bytes)

/* NVIDIA's OpenCL silently truncates rect-copy pitches of 4 GiB and more
 * (measured on the H100: ld = 2^30 + 7 floats gave wrong results), so
 * wider host pitches are packed on the host instead. */
#define MAX_HOST_PITCH ((size_t)1 << 31)

bool g590_cl_pinned_ensure(g590_engine *e, char *why, size_t why_len) {
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

double g590_cl_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

/* Element bytes of x as it crosses the link and sits on the device. */
static size_t link_bytes(const g590_operand *x) { return x->to_half ? 2 : x->host_bytes; }

/* Stages columns [c0, c0 + n) of x into host memory at dst (dense, one
 * column per `pitch` bytes): copied, or converted to binary16 with
 * x->to_half (false when a value does not fit).  Timed into
 * e->link_copy_ms (the verbose line shows it). */
static bool stage_columns(g590_engine *e, void *dst, size_t pitch, const g590_operand *x,
                          int64_t c0, int64_t n) {
  double t = g590_cl_now_ms();
  size_t ld_bytes = (size_t)x->ld * x->host_bytes;
  const char *src = (const char *)x->data + (size_t)c0 * ld_bytes;
  bool fits = true;
  if (x->to_half)
    fits = g590_cl_pack_half_columns(dst, pitch, (const float *)src, ld_bytes, x->rows, n);
  else
    g590_cl_copy_columns(dst, pitch, src, ld_bytes, (size_t)x->rows * x->host_bytes, n);
  double t1 = g590_cl_now_ms();
  e->link_copy_ms += t1 - t;
  g590_cl_trace(e, "up.copy", t, t1);
  return fits;
}

bool g590_cl_wait(g590_engine *e, cl_event ev, const char *what, char *why, size_t why_len) {
  double t = g590_cl_now_ms();
  cl_int err = G590_CL("clWaitForEvents", clWaitForEvents(1, &ev));
  g590_cl_trace(e, what, t, g590_cl_now_ms());
  return !g590_cl_failed(err, "clWaitForEvents", why, why_len);
}

/* Waits for a transfer (`what` names it in the trace) and releases it. */
static bool wait_release(g590_engine *e, cl_event *ev, const char *what, char *why,
                         size_t why_len) {
  if (!*ev) return true;
  bool ok = g590_cl_wait(e, *ev, what, why, why_len);
  clReleaseEvent(*ev);
  *ev = NULL;
  return ok;
}

/* Queues the copy of columns [c0, c0 + n) of `x` from host memory laid
 * out with `host_pitch` bytes per column. */
static cl_int enqueue_write(g590_engine *e, cl_mem dst, const g590_operand *x, int64_t c0,
                            int64_t n, const void *host, size_t host_pitch, cl_bool blocking,
                            cl_event *ev, const char **call) {
  size_t row_bytes = (size_t)x->rows * link_bytes(x), dev_pitch = x->dev_rows * link_bytes(x);
  bool plain = x->dev_rows == (size_t)x->rows && (host_pitch == row_bytes || n == 1);
  size_t col = x->dev_col0 + (size_t)c0;
  *call = plain ? "clEnqueueWriteBuffer" : "clEnqueueWriteBufferRect";
  if (plain)
    return G590_CL("clEnqueueWriteBuffer",
                   clEnqueueWriteBuffer(e->queue, dst, blocking, col * dev_pitch,
                                        row_bytes * (size_t)n, host, 0, NULL, ev));
  size_t dev_origin[3] = {0, col, 0}, host_origin[3] = {0, 0, 0};
  size_t region[3] = {row_bytes, (size_t)n, 1};
  return G590_CL("clEnqueueWriteBufferRect",
                 clEnqueueWriteBufferRect(e->queue, dst, blocking, dev_origin, host_origin, region,
                                          dev_pitch, 0, host_pitch, 0, host, 0, NULL, ev));
}

/* enqueue_write, traced as up.enqueue (the driver's time to queue the
 * copy, or with `blocking` to finish it). */
static cl_int write_columns(g590_engine *e, cl_mem dst, const g590_operand *x, int64_t c0,
                            int64_t n, const void *host, size_t host_pitch, cl_bool blocking,
                            cl_event *ev, const char **call) {
  double t = g590_cl_now_ms();
  cl_int err = enqueue_write(e, dst, x, c0, n, host, host_pitch, blocking, ev, call);
  g590_cl_trace(e, "up.enqueue", t, g590_cl_now_ms());
  return err;
}

/* Columns per pinned chunk for a block of `cols` columns of `row_bytes`
 * (as they cross the link); 0 when the block should not go through the
 * pinned chunks: a column longer than a chunk, or a small block that
 * needs no conversion.  A small block that must be converted into host
 * memory anyway goes through one pinned chunk, whose DMA runs 5x faster
 * than a pageable one (53 against 10 GB/s on the H100 host). */
static int64_t chunk_columns(size_t row_bytes, int64_t cols, size_t elem_bytes, bool converted) {
  /* A small GEMM590_LINK_CHUNK lowers all limits (tests). */
  size_t min_pinned = MIN_PINNED_ELEMENTS * elem_bytes;
  size_t floor = CHUNK_BYTES < min_pinned ? CHUNK_BYTES : min_pinned;
  size_t min_chunk = CHUNK_BYTES < MIN_CHUNK ? CHUNK_BYTES : MIN_CHUNK;
  size_t total = row_bytes * (size_t)cols, chunk = total / 4;
  if (row_bytes > CHUNK_BYTES) return 0;
  if (total <= floor) return converted ? cols : 0;
  if (chunk < min_chunk) chunk = min_chunk;
  if (chunk > CHUNK_BYTES) chunk = CHUNK_BYTES;
  return (int64_t)(chunk / row_bytes);
}

bool g590_cl_link_upload(g590_engine *e, cl_mem dst, const g590_operand *x, bool *fits, char *why,
                      size_t why_len) {
  size_t row_bytes = (size_t)x->rows * link_bytes(x);
  size_t ld_bytes = (size_t)x->ld * x->host_bytes;
  bool ok = true, all_fit = true;
  const char *call;
  int64_t per_chunk = chunk_columns(row_bytes, x->cols, link_bytes(x), x->to_half);
  if (per_chunk == 0 || !g590_cl_pinned_ensure(e, why, why_len)) {
    if (!x->to_half && ld_bytes < MAX_HOST_PITCH) {
      cl_int err = write_columns(e, dst, x, 0, x->cols, x->data, ld_bytes, CL_FALSE, NULL, &call);
      return !g590_cl_failed(err, call, why, why_len);
    }
    /* Stage every column first (converted, or a pitch too wide for the
     * driver).  Blocking, since the next operand reuses the staging. */
    if (!g590_cl_staging(e, row_bytes * (size_t)x->cols, why, why_len)) return false;
    all_fit = stage_columns(e, e->staging, row_bytes, x, 0, x->cols);
    if (all_fit) {
      cl_int err = write_columns(e, dst, x, 0, x->cols, e->staging, row_bytes, CL_TRUE, NULL,
                                 &call);
      ok = !g590_cl_failed(err, call, why, why_len);
    }
  } else {
    /* Chunks alternate between the two pinned buffers, across operands
     * too: a chunk waits only for the upload that last read its buffer,
     * and the last chunks of an operand cross while the next one packs
     * (an operand that drained its chunks cost a chunk's DMA each: 2.4 ms
     * of a float64 syrk's 8192^2 A in four slices on the H200). */
    for (int64_t c0 = 0; ok && all_fit && c0 < x->cols; c0 += per_chunk) {
      g590_pinned *p = &e->pinned[e->pinned_next];
      e->pinned_next ^= 1;
      int64_t n = x->cols - c0 < per_chunk ? x->cols - c0 : per_chunk;
      ok = wait_release(e, &p->pending, "up.wait", why, why_len);
      if (!ok || !(all_fit = stage_columns(e, p->host, row_bytes, x, c0, n))) break;
      cl_int err = write_columns(e, dst, x, c0, n, p->host, row_bytes, CL_FALSE, &p->pending,
                                 &call);
      ok = !g590_cl_failed(err, call, why, why_len);
    }
  }
  if (fits) *fits = all_fit;
  if (!all_fit) snprintf(why, why_len, "values outside binary16 range");
  return ok && all_fit;
}

/* Queues the copy of columns [c0, c0 + n) of c's device copy into host
 * memory (dense), after `after` (may be NULL). */
static cl_int enqueue_read(g590_engine *e, cl_mem src, const g590_operand *c, int64_t c0,
                           int64_t n, void *host, cl_bool blocking, cl_event after,
                           cl_event *ev, const char **call) {
  size_t row_bytes = (size_t)c->rows * link_bytes(c), dev_pitch = c->dev_rows * link_bytes(c);
  cl_uint waits = after ? 1 : 0;
  const cl_event *wait_list = after ? &after : NULL;
  *call = c->dev_rows == (size_t)c->rows ? "clEnqueueReadBuffer" : "clEnqueueReadBufferRect";
  if (c->dev_rows == (size_t)c->rows)
    return G590_CL("clEnqueueReadBuffer",
                   clEnqueueReadBuffer(e->queue, src, blocking, (size_t)c0 * dev_pitch,
                                       row_bytes * (size_t)n, host, waits, wait_list, ev));
  size_t dev_origin[3] = {0, (size_t)c0, 0}, host_origin[3] = {0, 0, 0};
  size_t region[3] = {row_bytes, (size_t)n, 1};
  return G590_CL("clEnqueueReadBufferRect",
                 clEnqueueReadBufferRect(e->queue, src, blocking, dev_origin, host_origin, region,
                                         dev_pitch, 0, row_bytes, 0, host, waits, wait_list, ev));
}

/* enqueue_read, traced as down.enqueue. */
static cl_int read_columns(g590_engine *e, cl_mem src, const g590_operand *c, int64_t c0,
                           int64_t n, void *host, cl_bool blocking, cl_event after, cl_event *ev,
                           const char **call) {
  double t = g590_cl_now_ms();
  cl_int err = enqueue_read(e, src, c, c0, n, host, blocking, after, ev, call);
  g590_cl_trace(e, "down.enqueue", t, g590_cl_now_ms());
  return err;
}

/* Copies n staged columns (dense, row_bytes each) out to column c0 of dst. */
static void unstage_columns(g590_engine *e, void *dst, const g590_operand *c, int64_t c0,
                            int64_t n, const void *staged) {
  double t = g590_cl_now_ms();
  size_t row_bytes = (size_t)c->rows * c->host_bytes, ld_bytes = (size_t)c->ld * c->host_bytes;
  if (c->triangle) {
    /* A syrk's C: the other triangle of the caller's C is never written.
     * In blocks of TRI_BLOCK columns: the rows every column of the block
     * has in the triangle go through the copy pool, the band along the
     * diagonal column by column. */
    enum { TRI_BLOCK = 512 };
    size_t eb = c->host_bytes;
    bool upper = c->triangle == 'U';
    for (int64_t b0 = c0; b0 < c0 + n; b0 += TRI_BLOCK) {
      int64_t b1 = b0 + TRI_BLOCK < c0 + n ? b0 + TRI_BLOCK : c0 + n;
      /* Global columns [g0, g1): upper rows [0, g0) are in every column's
       * triangle, lower rows [g1, rows). */
      int64_t g0 = c->col0 + b0, g1 = c->col0 + b1;
      int64_t r0 = upper ? 0 : g1, r1 = upper ? g0 : c->rows;
      if (r1 > c->rows) r1 = c->rows;
      if (r1 > r0)
        g590_cl_copy_columns((char *)dst + (size_t)b0 * ld_bytes + (size_t)r0 * eb, ld_bytes,
                             (const char *)staged + (size_t)(b0 - c0) * row_bytes + (size_t)r0 * eb,
                             row_bytes, (size_t)(r1 - r0) * eb, b1 - b0);
      for (int64_t j = b0; j < b1; j++) {
        int64_t g = c->col0 + j;
        int64_t i0 = upper ? g0 : g, i1 = upper ? g + 1 : g1;
        if (i1 > c->rows) i1 = c->rows;
        if (i1 > i0)
          memcpy((char *)dst + (size_t)j * ld_bytes + (size_t)i0 * eb,
                 (const char *)staged + (size_t)(j - c0) * row_bytes + (size_t)i0 * eb,
                 (size_t)(i1 - i0) * eb);
      }
    }
  } else {
    g590_cl_copy_columns((char *)dst + (size_t)c0 * ld_bytes, ld_bytes, staged, row_bytes,
                         row_bytes, n);
  }
  double t1 = g590_cl_now_ms();
  e->link_copy_ms += t1 - t;
  g590_cl_trace(e, "down.copy", t, t1);
}

/* Lets go of the events of the uploads reading the pinned chunks, after
 * waiting for them with `wait`. */
static void drop_pending(g590_engine *e, bool wait) {
  for (int i = 0; i < 2; i++)
    if (e->pinned[i].pending) {
      if (wait) clWaitForEvents(1, &e->pinned[i].pending);
      clReleaseEvent(e->pinned[i].pending);
      e->pinned[i].pending = NULL;
    }
}

void g590_cl_link_settle(g590_engine *e) { drop_pending(e, true); }

/* One panel the small way.  With beta = 0 (nothing of C is read, so a
 * half-written C is simply recomputed after a failure) and C contiguous,
 * straight into the caller's memory; otherwise through host staging
 * first, so that a failure leaves the caller's C untouched. */
static bool download_direct(g590_engine *e, cl_mem src, const g590_operand *c, bool overwritable,
                            char *why, size_t why_len) {
  size_t row_bytes = (size_t)c->rows * c->host_bytes;
  const char *call;
  if (overwritable && c->ld == c->rows && !c->triangle) {
    cl_int err = read_columns(e, src, c, 0, c->cols, (void *)c->data, CL_TRUE, NULL, NULL, &call);
    return !g590_cl_failed(err, call, why, why_len);
  }
  if (!g590_cl_staging(e, row_bytes * (size_t)c->cols, why, why_len)) return false;
  cl_int err = read_columns(e, src, c, 0, c->cols, e->staging, CL_TRUE, NULL, NULL, &call);
  if (g590_cl_failed(err, call, why, why_len)) return false;
  unstage_columns(e, (void *)c->data, c, 0, c->cols, e->staging);
  return true;
}

bool g590_cl_link_download(g590_engine *e, int count, const cl_mem *src, const g590_operand *c,
                           const cl_event *ready, bool overwritable, int64_t *cols_done,
                           char *why, size_t why_len) {
  int64_t per[G590_CL_C_SLOTS], base[G590_CL_C_SLOTS];
  bool chunked = count <= G590_CL_C_SLOTS;
  *cols_done = 0;
  for (int p = 0; p < count && chunked; p++) {
    per[p] = chunk_columns((size_t)c[p].rows * c[p].host_bytes, c[p].cols, c[p].host_bytes, false);
    base[p] = p ? base[p - 1] + c[p - 1].cols : 0;
    chunked = per[p] > 0;
  }
  if (!chunked || !g590_cl_pinned_ensure(e, why, why_len)) {
    for (int p = 0; p < count; p++) {
      if (ready && ready[p] && !g590_cl_wait(e, ready[p], "kernel.wait", why, why_len))
        return false;
      if (!download_direct(e, src[p], &c[p], overwritable, why, why_len)) return false;
      *cols_done += c[p].cols;
    }
    return true;
  }
  /* Chunk i is read into pinned[i % 2] while chunk i - 1 is copied out,
   * panel after panel: the first chunk of panel p is queued (after its
   * kernel, ready[p]) while the last one of panel p - 1 is copied out, so
   * the host never waits for a whole chunk's DMA between panels.  Columns
   * reach the caller's C only once read in full: after a failure,
   * *cols_done leading columns are final and the rest are untouched.  The
   * queue is in order, so no read lands in a chunk before the uploads
   * reading it are done: their events go now. */
  drop_pending(e, false);
  const char *call;
  cl_event ev[2] = {NULL, NULL};
  int p = 0;
  int64_t c0 = 0, n = c[0].cols < per[0] ? c[0].cols : per[0];
  cl_int err = read_columns(e, src[0], &c[0], 0, n, e->pinned[0].host, CL_FALSE,
                            ready ? ready[0] : NULL, &ev[0], &call);
  bool ok = !g590_cl_failed(err, call, why, why_len);
  for (int64_t i = 0; ok; i++) {
    /* The next chunk: on in this panel, or the next panel's first. */
    int q = p;
    int64_t d0 = c0 + n;
    if (d0 >= c[p].cols) q = p + 1, d0 = 0;
    int64_t m = 0;
    if (q < count) {
      m = c[q].cols - d0 < per[q] ? c[q].cols - d0 : per[q];
      err = read_columns(e, src[q], &c[q], d0, m, e->pinned[(i + 1) & 1].host, CL_FALSE,
                         ready && d0 == 0 ? ready[q] : NULL, &ev[(i + 1) & 1], &call);
      ok = !g590_cl_failed(err, call, why, why_len);
    }
    ok = wait_release(e, &ev[i & 1], "down.wait", why, why_len) && ok;
    if (!ok) break;
    unstage_columns(e, (void *)c[p].data, &c[p], c0, n, e->pinned[i & 1].host);
    *cols_done = base[p] + c0 + n;
    if (q == count) break;
    p = q, c0 = d0, n = m;
  }
  for (int i = 0; i < 2; i++) wait_release(e, &ev[i], "down.wait", why, why_len);
  return ok;
}

bool g590_cl_convert_on_device(g590_engine *e, bool narrow, cl_mem src, int64_t src_ld, cl_mem dst,
                            int64_t dst_ld, int64_t rows, int64_t cols, size_t dst_rows,
                            size_t dst_cols, char *why, size_t why_len) {
  const char *origin;
  cl_kernel k = g590_cl_program_kernel(e, "convert", narrow ? "-DNARROW=1" : "-DNARROW=0", &origin,
                                    why, why_len);
  if (!k) return false;
  int sld = (int)src_ld, dld = (int)dst_ld, r = (int)rows, c = (int)cols;
  int dr = (int)dst_rows, dc = (int)dst_cols;
  const void *values[] = {&src, &sld, &dst, &dld, &r, &c, &dr, &dc};
  const size_t sizes[] = {sizeof src, sizeof sld, sizeof dst, sizeof dld,
                          sizeof r,   sizeof c,   sizeof dr,  sizeof dc};
  if (!g590_cl_set_args(k, values, sizes, 8, why, why_len)) return false;
  size_t global[2] = {narrow ? (size_t)rows : dst_rows, narrow ? (size_t)cols : dst_cols};
  cl_int err = G590_CL("clEnqueueNDRangeKernel",
                       clEnqueueNDRangeKernel(e->queue, k, 2, NULL, global, NULL, 0, NULL, NULL));
  return !g590_cl_failed(err, "clEnqueueNDRangeKernel", why, why_len);
}
