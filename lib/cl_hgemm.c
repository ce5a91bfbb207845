/* The device path of gemm590_hgemm.
 *
 * A, B and C are binary16 on both sides, so they cross the host link as
 * they are (half the bytes of float32) into dense device copies (leading
 * dimension = rows).  Then either the fp16_mixed kernel, built with
 * -DC_HALF=1, reads them and reads and writes C as binary16; or, when the
 * selector picks a float32 family (the fast ones), kernels/convert.cl
 * widens them on the device into that family's float32 layout, the family
 * runs, and C is narrowed back with one rounding.  The float32 families
 * run in column panels like the float32 path (lib/cl_sgemm.c): A goes up
 * once, then op(B) and C are cut into panels that alternate between two
 * slots, so that the kernel of one panel (on e->kernel_queue) runs while
 * the next panel's op(B) goes up and the previous panel's C comes down (on
 * e->queue).  Like the float32 link (lib/cl_link.c, whose functions move
 * float columns only), large transfers go through two pinned chunks: host
 * threads pack whole columns into one while the DMA of the other is in
 * flight, since pageable copies crawl (about 8 GB/s against 55 GB/s pinned
 * on the H100 host).  C reaches the caller's memory only after its panel's
 * kernel finished, whole columns at a time: after a failure every column
 * is either final or untouched. */
#include <limits.h>
#include <math.h>
#include <stdio.h>

#include "cl_engine.h"
#include "hgemm.h"

/* The pinned chunks are the float32 link's (g590_pinned_ensure), shared
 * under the engine lock. */
#define CHUNK_BYTES (g590_config_get()->link_chunk_bytes)

/* A transfer sequence of one call: which chunk is next, and the copy still
 * reading each chunk. */
typedef struct transfers {
  g590_engine *e;
  cl_event pending[2];
  int next;
} transfers;

static size_t half_bytes(int64_t rows, int64_t cols) { return (size_t)rows * (size_t)cols * 2; }

static size_t round_up(int64_t x, size_t unit) { return ((size_t)x + unit - 1) / unit * unit; }

/* Columns per pinned chunk for `cols` columns of `row_bytes`: a quarter of
 * the block, so that packing or copying out one chunk overlaps the DMA of
 * another (a whole 32 MiB chunk of A at n = 4096 would be packed, then
 * sent), but no less than MIN_CHUNK bytes (each chunk costs a thread
 * wake-up and a DMA round trip) and no more than a chunk; 0 when a column
 * is longer than a chunk. */
static int64_t chunk_columns(size_t row_bytes, int64_t cols) {
  enum { MIN_CHUNK = 4 << 20 };
  size_t chunk = row_bytes * (size_t)cols / 4;
  if (chunk < MIN_CHUNK) chunk = MIN_CHUNK;
  if (chunk > CHUNK_BYTES) chunk = CHUNK_BYTES;
  return (int64_t)(chunk / row_bytes);
}

static bool wait_release(cl_event *ev, char *why, size_t why_len) {
  if (!*ev) return true;
  cl_int err = G590_CL("clWaitForEvents", clWaitForEvents(1, ev));
  clReleaseEvent(*ev);
  *ev = NULL;
  return !g590_cl_failed(err, "clWaitForEvents", why, why_len);
}

/* Waits for every copy of the sequence; true when all of them succeeded. */
static bool transfers_wait(transfers *t, char *why, size_t why_len) {
  bool ok = true;
  for (int i = 0; i < 2; i++) ok = wait_release(&t->pending[i], why, why_len) && ok;
  return ok;
}

/* Queues the copy of the rows x cols matrix at `src` (leading dimension
 * ld) into the dense `dst`.  `src` may be read until transfers_wait. */
static bool upload(transfers *t, cl_mem dst, const uint16_t *src, int64_t rows, int64_t cols,
                   int64_t ld, char *why, size_t why_len) {
  g590_engine *e = t->e;
  size_t row_bytes = (size_t)rows * 2, ld_bytes = (size_t)ld * 2;
  int64_t per_chunk = chunk_columns(row_bytes, cols);
  if (per_chunk == 0 || !g590_pinned_ensure(e, why, why_len)) {
    /* A column longer than a chunk, or no pinned memory: all columns
     * through pageable staging, blocking since the next operand reuses it. */
    if (!g590_staging(e, half_bytes(rows, cols), why, why_len)) return false;
    g590_copy_columns(e->staging, row_bytes, src, ld_bytes, row_bytes, cols);
    cl_int err = G590_CL("clEnqueueWriteBuffer",
                         clEnqueueWriteBuffer(e->queue, dst, CL_TRUE, 0, half_bytes(rows, cols),
                                              e->staging, 0, NULL, NULL));
    return !g590_cl_failed(err, "clEnqueueWriteBuffer", why, why_len);
  }
  for (int64_t c0 = 0; c0 < cols; c0 += per_chunk) {
    int slot = t->next++ & 1;
    int64_t n = cols - c0 < per_chunk ? cols - c0 : per_chunk;
    if (!wait_release(&t->pending[slot], why, why_len)) return false;
    g590_copy_columns(e->pinned[slot].host, row_bytes, src + c0 * ld, ld_bytes, row_bytes, n);
    cl_int err = G590_CL("clEnqueueWriteBuffer",
                         clEnqueueWriteBuffer(e->queue, dst, CL_FALSE, (size_t)c0 * row_bytes,
                                              half_bytes(rows, n), e->pinned[slot].host, 0, NULL,
                                              &t->pending[slot]));
    if (g590_cl_failed(err, "clEnqueueWriteBuffer", why, why_len)) return false;
  }
  return true;
}

/* Queues the read of chunk i (columns [i * per_chunk, ...)) of the dense
 * rows x cols matrix `src` into the pinned chunk i % 2. */
static bool read_chunk(transfers *t, cl_mem src, int64_t rows, int64_t cols, int64_t per_chunk,
                       int64_t i, char *why, size_t why_len) {
  int64_t c0 = i * per_chunk, n = cols - c0 < per_chunk ? cols - c0 : per_chunk;
  cl_int err = G590_CL("clEnqueueReadBuffer",
                       clEnqueueReadBuffer(t->e->queue, src, CL_FALSE, half_bytes(rows, c0),
                                           half_bytes(rows, n), t->e->pinned[i & 1].host, 0, NULL,
                                           &t->pending[i & 1]));
  return !g590_cl_failed(err, "clEnqueueReadBuffer", why, why_len);
}

/* Copies the dense rows x cols matrix `src` into `dst` (leading dimension
 * ld), after every queued command finished.  *cols_done counts the leading
 * columns already final in dst; on failure the others are untouched. */
static bool download(transfers *t, cl_mem src, uint16_t *dst, int64_t rows, int64_t cols,
                     int64_t ld, int64_t *cols_done, char *why, size_t why_len) {
  g590_engine *e = t->e;
  size_t row_bytes = (size_t)rows * 2, ld_bytes = (size_t)ld * 2;
  int64_t per_chunk = chunk_columns(row_bytes, cols);
  *cols_done = 0;
  if (per_chunk == 0 || !g590_pinned_ensure(e, why, why_len)) {
    /* Read everything before touching the caller's C. */
    if (!g590_staging(e, half_bytes(rows, cols), why, why_len)) return false;
    cl_int err = G590_CL("clEnqueueReadBuffer",
                         clEnqueueReadBuffer(e->queue, src, CL_TRUE, 0, half_bytes(rows, cols),
                                             e->staging, 0, NULL, NULL));
    if (g590_cl_failed(err, "clEnqueueReadBuffer", why, why_len)) return false;
    g590_copy_columns(dst, ld_bytes, e->staging, row_bytes, row_bytes, cols);
    *cols_done = cols;
    return true;
  }
  /* Chunk i + 1 is read into one pinned chunk while chunk i is copied out
   * of the other. */
  int64_t chunks = (cols + per_chunk - 1) / per_chunk;
  bool ok = read_chunk(t, src, rows, cols, per_chunk, 0, why, why_len);
  for (int64_t i = 0; ok && i < chunks; i++) {
    if (i + 1 < chunks) ok = read_chunk(t, src, rows, cols, per_chunk, i + 1, why, why_len);
    ok = wait_release(&t->pending[i & 1], why, why_len) && ok;
    if (!ok) break;
    int64_t c0 = i * per_chunk, n = cols - c0 < per_chunk ? cols - c0 : per_chunk;
    g590_copy_columns(dst + c0 * ld, ld_bytes, e->pinned[i & 1].host, row_bytes, row_bytes, n);
    *cols_done = c0 + n;
  }
  transfers_wait(t, why, why_len);
  return ok;
}

/* Queues a marker on e->queue after `wait` (n events; none: after every
 * command queued before it). */
static bool marker(g590_engine *e, cl_uint n, const cl_event *wait, cl_event *ev, char *why,
                   size_t why_len) {
  cl_int err = G590_CL("clEnqueueMarkerWithWaitList",
                       clEnqueueMarkerWithWaitList(e->queue, n, wait, ev));
  return !g590_cl_failed(err, "clEnqueueMarkerWithWaitList", why, why_len);
}

/* The float32 layout of a widened call: padding units (whole tiles for
 * padded families), A as stored and padded, C's padded rows, and the
 * column panels (`width` columns each, a multiple of un, the last one
 * narrower). */
typedef struct wide_layout {
  size_t um, un, uk;
  int64_t a_rows, a_cols;
  size_t ar, ac, cr;
  int64_t width, panels;
} wide_layout;

/* Columns [n0, n0 + cols) of C and of op(B): op(B)'s panel as stored
 * (b_rows x b_cols at b, leading dimension ldb) and its padded float32
 * copy (br x bc), C's padded columns cc. */
typedef struct panel {
  int64_t n0, cols;
  const uint16_t *b;
  int64_t b_rows, b_cols;
  size_t br, bc, cc;
} panel;

static panel panel_at(const g590_hcall *call, const wide_layout *w, int64_t p) {
  const g590_call *s = &call->shape;
  panel q = {.n0 = p * w->width};
  q.cols = s->n - q.n0 < w->width ? s->n - q.n0 : w->width;
  q.cc = round_up(q.cols, w->un);
  size_t kp = round_up(s->k, w->uk);
  if (s->trans_b) {
    q.b = call->b + q.n0;
    q.b_rows = q.cols, q.b_cols = s->k, q.br = q.cc, q.bc = kp;
  } else {
    q.b = call->b + q.n0 * s->ldb;
    q.b_rows = s->k, q.b_cols = q.cols, q.br = kp, q.bc = q.cc;
  }
  return q;
}

/* The panel width in columns.  Panels hide all transfers but A's, the
 * first op(B) panel's and the last C panel's behind kernels, but each
 * panel's kernel ends on a partly filled wave of work-groups, and smaller
 * panels mean smaller transfers: so at most two panels on a GPU, and only
 * as many as cost no more waves than the whole C, counting two resident
 * work-groups per compute unit.  On the H100 two panels beat eight (five
 * alternating rounds, gemm590_hgemm end to end): 63.9-65.5 against
 * 54.7-56.4 TFLOPS at n = 8192, 25.0-28.2 against 16.5-26.2 at 4096.  A
 * CPU device (run only when GEMM590_KERNEL forces a family: tests) hands
 * work-groups to its threads one at a time, so it counts one slot and
 * gets up to eight panels: that exercises the reuse of the two slots,
 * which GPUs reach when the device's memory bounds the panels
 * (memory_width).  C below MIN_PANELLED_BYTES of float32 (or four link
 * chunks, so that a small GEMM590_LINK_CHUNK lets tests reach panels) is
 * one panel: too little to hide. */
static int64_t panel_width(const g590_engine *e, const g590_plan *plan, size_t cr, size_t cc) {
  enum { MIN_PANELLED_BYTES = 16 << 20 };
  size_t max_panels = e->info.is_gpu ? 2 : 8;
  size_t min_bytes = 4 * g590_config_get()->link_chunk_bytes;
  if (min_bytes > MIN_PANELLED_BYTES) min_bytes = MIN_PANELLED_BYTES;
  if (cr * cc * sizeof(float) < min_bytes) return (int64_t)cc;
  size_t cu = e->info.compute_units ? e->info.compute_units : 1;
  size_t slots = e->info.is_gpu ? 2 * cu : 1;
  size_t rows = (cr + plan->tile[0] - 1) / plan->tile[0];
  size_t cols = (cc + plan->tile[1] - 1) / plan->tile[1];
  size_t waves = (rows * cols + slots - 1) / slots;
  for (size_t p = max_panels; p > 1; p--) {
    /* `full` panels of w tile columns, and one of `rest` if any. */
    size_t w = (cols + p - 1) / p, full = cols / w, rest = cols % w;
    size_t cost = full * ((rows * w + slots - 1) / slots) + (rows * rest + slots - 1) / slots;
    if (w < cols && cost <= waves) return (int64_t)(w * plan->tile[1]);
  }
  return (int64_t)cc;
}

/* The widest panel (in columns, a multiple of w->un) the device's memory
 * allows: A whole, binary16 and widened; per column of C, two slots of
 * float32 op(B) and C and one binary16 copy of each, every buffer within
 * the largest one; a tenth of the memory left to the driver.  Below
 * w->un when A does not fit. */
static int64_t memory_width(const g590_engine *e, const g590_call *s, const wide_layout *w) {
  double limit = (double)e->info.max_alloc;
  double a_bytes = (double)(w->ar * w->ac) * 4 + (double)half_bytes(w->a_rows, w->a_cols);
  double kp = (double)round_up(s->k, w->uk);
  double b_col = kp * 4, c_col = (double)w->cr * 4;
  double per_col = 2 * (b_col + c_col) + (double)(s->k + s->m) * 2;
  double room = 0.9 * (double)e->info.global_mem - a_bytes;
  if ((double)(w->ar * w->ac) * 4 > limit || room <= 0) return 0;
  double cols = fmin(fmin(limit / b_col, limit / c_col), room / per_col);
  return (int64_t)(cols / (double)w->un) * (int64_t)w->un;
}

/* Queues panel q's operands on e->queue into slot s: op(B)'s panel (and
 * C's, when beta != 0: otherwise C is never read, so it is not sent)
 * uploaded as binary16 into e->h[1] (e->h[2]) and widened.  The in-order
 * queue keeps the binary16 buffers from being refilled before the
 * widening read them. */
static bool upload_panel(transfers *t, const g590_hcall *call, const wide_layout *w, const panel *q,
                         int s, char *why, size_t why_len) {
  g590_engine *e = t->e;
  const g590_call *sh = &call->shape;
  bool ok = upload(t, e->h[1].mem, q->b, q->b_rows, q->b_cols, sh->ldb, why, why_len) &&
            g590_convert_on_device(e, false, e->h[1].mem, q->b_rows, e->b[s].mem,
                                   (int64_t)q->br, q->b_rows, q->b_cols, q->br, q->bc, why,
                                   why_len);
  if (ok && sh->beta != 0.0f)
    ok = upload(t, e->h[2].mem, call->c + q->n0 * sh->ldc, sh->m, q->cols, sh->ldc, why,
                why_len) &&
         g590_convert_on_device(e, false, e->h[2].mem, sh->m, e->c[s].mem, (int64_t)w->cr,
                                sh->m, q->cols, w->cr, q->cc, why, why_len);
  return ok;
}

/* The float32-family path, panel by panel (see panel_width): A up and
 * widened once; then for each panel p, on e->queue, op(B)'s panel (and
 * C's) up and widened into slot p % 2, then the narrowing of panel p - 1's
 * C into e->h[2] behind that panel's kernel, then a marker; panel p's
 * kernel waits for the marker on e->kernel_queue while the host waits for
 * the same marker and copies panel p - 1's C out.  Narrowing before the
 * next kernel starts keeps it from waiting for compute units that kernel
 * holds.  A slot is refilled only behind the narrowing of the panel that
 * used it (same queue).  Engine lock held; *cols_done as in download. */
static bool run_widened(g590_engine *e, const g590_hcall *call, const g590_plan *plan,
                        int64_t *cols_done, g590_phases *ph, int64_t *panels, const char **origin,
                        char *why, size_t why_len) {
  const g590_call *s = &call->shape;
  char options[256];
  snprintf(options, sizeof options, "%s -DTRANS_A=%d -DTRANS_B=%d -DBETA_ZERO=%d", plan->defines,
           s->trans_a, s->trans_b, s->beta == 0.0f);
  cl_kernel gemm = g590_program_kernel(e, plan->family->name, options, origin, why, why_len);
  if (!gemm) return false;

  bool pad = plan->family->padded;
  wide_layout w = {.um = pad ? plan->tile[0] : 1, .un = pad ? plan->tile[1] : 1,
                   .uk = pad ? plan->tile[2] : 1, .a_rows = s->trans_a ? s->k : s->m,
                   .a_cols = s->trans_a ? s->m : s->k};
  w.ar = round_up(w.a_rows, s->trans_a ? w.uk : w.um);
  w.ac = round_up(w.a_cols, s->trans_a ? w.um : w.uk);
  w.cr = round_up(s->m, w.um);
  size_t cc = round_up(s->n, w.un);
  w.width = panel_width(e, plan, w.cr, cc);
  int64_t fits = memory_width(e, s, &w);
  if (fits < (int64_t)w.un) {
    snprintf(why, why_len, "A larger than the device's memory or largest buffer");
    return false;
  }
  if (w.width > fits) w.width = fits;
  w.panels = (s->n + w.width - 1) / w.width;
  *panels = w.panels;
  /* The widest panel sizes the slots. */
  panel p0 = panel_at(call, &w, 0);
  if (w.ar > INT_MAX || w.ac > INT_MAX || w.cr > INT_MAX || cc > INT_MAX || p0.br > INT_MAX ||
      w.ar * w.ac * 4 > e->info.max_alloc || p0.br * p0.bc * 4 > e->info.max_alloc ||
      w.cr * p0.cc * 4 > e->info.max_alloc) {
    snprintf(why, why_len, "operand larger than the device's largest buffer");
    return false;
  }
  if (!g590_buffer_ensure(e, &e->h[0], half_bytes(w.a_rows, w.a_cols), why, why_len) ||
      !g590_buffer_ensure(e, &e->h[1], half_bytes(p0.b_rows, p0.b_cols), why, why_len) ||
      !g590_buffer_ensure(e, &e->h[2], half_bytes(s->m, p0.cols), why, why_len) ||
      !g590_buffer_ensure(e, &e->a, w.ar * w.ac * 4, why, why_len))
    return false;
  for (int slot = 0; slot < (w.panels > 1 ? 2 : 1); slot++)
    if (!g590_buffer_ensure(e, &e->b[slot], p0.br * p0.bc * 4, why, why_len) ||
        !g590_buffer_ensure(e, &e->c[slot], w.cr * p0.cc * 4, why, why_len))
      return false;

  transfers t = {e, {NULL, NULL}, 0};
  double t0 = g590_now_ms();
  bool ok = upload(&t, e->h[0].mem, call->a, w.a_rows, w.a_cols, s->lda, why, why_len) &&
            g590_convert_on_device(e, false, e->h[0].mem, w.a_rows, e->a.mem, (int64_t)w.ar,
                                   w.a_rows, w.a_cols, w.ar, w.ac, why, why_len);
  ph->upload_ms += g590_now_ms() - t0;
  int kk = (int)(s->trans_a ? w.ar : w.ac);
  cl_event done[2] = {NULL, NULL};
  for (int64_t p = 0; ok && p <= w.panels; p++) {
    int slot = (int)(p & 1), prev = !slot;
    /* Panel p goes up (p < panels), panel p - 1 comes down (p > 0). */
    panel cur = panel_at(call, &w, p < w.panels ? p : 0);
    panel last = panel_at(call, &w, p > 0 ? p - 1 : 0);
    cl_event ready = NULL;
    t0 = g590_now_ms();
    if (p < w.panels) ok = upload_panel(&t, call, &w, &cur, slot, why, why_len);
    if (ok && p > 0)
      ok = marker(e, 1, &done[prev], NULL, why, why_len) &&
           g590_convert_on_device(e, true, e->c[prev].mem, (int64_t)w.cr, e->h[2].mem, s->m,
                                  s->m, last.cols, 0, 0, why, why_len);
    if (done[prev]) clReleaseEvent(done[prev]);
    done[prev] = NULL;
    ok = ok && marker(e, 0, NULL, &ready, why, why_len);
    if (ok) clFlush(e->queue);
    ph->upload_ms += g590_now_ms() - t0;
    if (ok && p < w.panels) {
      g590_gemm_args g = {(int)w.cr, (int)cur.cc, kk, s->alpha, s->beta, e->a.mem,
                          e->b[slot].mem, e->c[slot].mem, (int)w.ar, (int)cur.br, (int)w.cr};
      ok = g590_gemm_enqueue(e, e->kernel_queue, gemm, plan, &g, ready, &done[slot], why,
                             why_len);
      if (ok) clFlush(e->kernel_queue);
    }
    if (ok && p > 0) {
      /* Panel p - 1's C is narrowed once `ready` is: copy it out. */
      int64_t cols = 0;
      t0 = g590_now_ms();
      ok = wait_release(&ready, why, why_len) && transfers_wait(&t, why, why_len);
      ph->kernel_ms += g590_now_ms() - t0;
      t0 = g590_now_ms();
      ok = ok && download(&t, e->h[2].mem, call->c + last.n0 * s->ldc, s->m, last.cols, s->ldc,
                          &cols, why, why_len);
      ph->download_ms += g590_now_ms() - t0;
      *cols_done = last.n0 + cols;
    }
    if (ready) clReleaseEvent(ready);
  }
  ok = transfers_wait(&t, why, why_len) && ok;
  for (int slot = 0; slot < 2; slot++)
    if (done[slot]) clReleaseEvent(done[slot]);
  if (!ok) {
    /* Nothing queued may still touch host memory. */
    clFinish(e->kernel_queue);
    clFinish(e->queue);
  }
  return ok;
}

/* Uploads, runs and reads back with the engine lock held; see download
 * for *cols_done. */
static bool run_locked(g590_engine *e, const g590_hcall *call, const g590_plan *plan,
                       int64_t *cols_done, const char **origin, char *why, size_t why_len) {
  const g590_call *s = &call->shape;
  char options[256];
  snprintf(options, sizeof options, "%s -DTRANS_A=%d -DTRANS_B=%d -DBETA_ZERO=%d -DC_HALF=1",
           plan->defines, s->trans_a, s->trans_b, s->beta == 0.0f);
  cl_kernel kernel = g590_program_kernel(e, plan->family->name, options, origin, why, why_len);
  if (!kernel) return false;

  /* A and B as stored: a transposed operand is k x m (n x k). */
  int64_t a_rows = s->trans_a ? s->k : s->m, a_cols = s->trans_a ? s->m : s->k;
  int64_t b_rows = s->trans_b ? s->n : s->k, b_cols = s->trans_b ? s->k : s->n;
  if (!g590_buffer_ensure(e, &e->a, half_bytes(a_rows, a_cols), why, why_len) ||
      !g590_buffer_ensure(e, &e->b[0], half_bytes(b_rows, b_cols), why, why_len) ||
      !g590_buffer_ensure(e, &e->c[0], half_bytes(s->m, s->n), why, why_len))
    return false;
  cl_mem a = e->a.mem, b = e->b[0].mem, c = e->c[0].mem;

  transfers t = {e, {NULL, NULL}, 0};
  bool ok = upload(&t, a, call->a, a_rows, a_cols, s->lda, why, why_len) &&
            upload(&t, b, call->b, b_rows, b_cols, s->ldb, why, why_len);
  /* beta = 0: C is never read, so it is not sent either. */
  if (ok && s->beta != 0.0f) ok = upload(&t, c, call->c, s->m, s->n, s->ldc, why, why_len);
  g590_gemm_args g = {(int)s->m, (int)s->n, (int)s->k, s->alpha, s->beta, a, b, c,
                      (int)a_rows, (int)b_rows, (int)s->m};
  cl_event done = NULL;
  ok = ok && g590_gemm_enqueue(e, e->queue, kernel, plan, &g, NULL, &done, why, why_len);
  /* The queue is in order: the kernel's end means the uploads' end too. */
  ok = wait_release(&done, why, why_len) && ok;
  ok = transfers_wait(&t, why, why_len) && ok;
  ok = ok && download(&t, c, call->c, s->m, s->n, s->ldc, cols_done, why, why_len);
  if (!ok) clFinish(e->queue); /* nothing queued may still touch host memory */
  return ok;
}

g590_status g590_device_hgemm(const g590_hcall *call, int64_t *cols_done, char *what,
                              size_t what_len, char *why, size_t why_len) {
  const g590_call *s = &call->shape;
  *cols_done = 0;
  g590_engine *e = g590_engine_get(why, why_len);
  if (!e) return G590_NOT_HANDLED;
  g590_plan plan;
  /* The plan: what the selector would run for a float32 SGEMM of this
   * shape (a float32 family runs on widened copies: exact, since every
   * binary16 value is a float32 value; tensor_f16 where tensor cores
   * exist), the host where it says host; fp16_mixed when GEMM590_KERNEL
   * forces it. */
  g590_call binary16 = *s;
  binary16.fp16_ok = true; /* the operands are binary16: tensor_f16 may run */
  if (!g590_select(&binary16, &e->info, &plan, why, why_len)) return G590_NOT_HANDLED;
  /* Kernel indices and leading dimensions are 32-bit. */
  if (s->m > INT_MAX || s->n > INT_MAX || s->k > INT_MAX) {
    snprintf(why, why_len, "dimension beyond 32-bit kernel indices");
    return G590_NOT_HANDLED;
  }
  /* fp16_mixed holds every operand whole; the widened path cuts op(B)
   * and C into panels that fit (memory_width). */
  int64_t a_elems = s->m * s->k, b_elems = s->k * s->n, c_elems = s->m * s->n;
  uint64_t max_alloc = e->info.max_alloc;
  bool widened = plan.family->operand_bytes == 4;
  if ((uint64_t)a_elems * 2 > max_alloc ||
      (!widened && ((uint64_t)b_elems * 2 > max_alloc || (uint64_t)c_elems * 2 > max_alloc))) {
    snprintf(why, why_len, "operand larger than the device's largest buffer");
    return G590_NOT_HANDLED;
  }
  const char *origin = "";
  g590_phases ph = {0, 0, 0};
  int64_t panels = 1;
  double start = g590_now_ms();
  pthread_mutex_lock(&e->lock);
  bool ok = widened ? run_widened(e, call, &plan, cols_done, &ph, &panels, &origin, why, why_len)
                    : run_locked(e, call, &plan, cols_done, &origin, why, why_len);
  pthread_mutex_unlock(&e->lock);
  if (!ok) return G590_NOT_HANDLED;
  int len = snprintf(what, what_len,
                     "kernel=%s params=\"%s\" rule=\"%s\" program=%s device=\"%s\" c=binary16",
                     plan.family->name, plan.defines, plan.rule, origin, e->info.name);
  if (widened && len >= 0 && (size_t)len < what_len)
    snprintf(what + len, what_len - (size_t)len,
             " widened=device panels=%lld ms=%.3f+%.3f+%.3f/%.3f", (long long)panels,
             ph.upload_ms, ph.kernel_ms, ph.download_ms, g590_now_ms() - start);
  return G590_HANDLED;
}
