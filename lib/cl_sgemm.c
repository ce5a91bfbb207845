/* The device path of one SGEMM: plan, stage operands, launch, read back.
 *
 * Operands are copied into dense device buffers (leading dimension = rows,
 * or padded to whole tiles) by the host link (lib/cl_link.c), which reads
 * exactly the caller's rows x cols block and never past it.  C reaches the
 * caller's memory only after the kernel finished, column by column: a
 * failure leaves every column either final or untouched. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_engine.h"
#include "fp16.h"

typedef g590_operand operand;

static size_t round_up(int64_t x, size_t unit) { return ((size_t)x + unit - 1) / unit * unit; }

static operand make_operand(const float *data, int64_t rows, int64_t cols, int64_t ld,
                            size_t row_unit, size_t col_unit) {
  operand x = {data, rows, cols, ld, round_up(rows, row_unit), round_up(cols, col_unit)};
  return x;
}

static size_t dev_elems(const operand *x) { return x->dev_rows * x->dev_cols; }

/* Clears the padding around a padded operand's device copy: padded A and
 * B must contribute zeros to every sum. */
static bool zero_padding(g590_engine *e, cl_mem dst, const operand *x, char *why,
                         size_t why_len) {
  if (x->dev_rows == (size_t)x->rows && x->dev_cols == (size_t)x->cols) return true;
  const float zero = 0.0f;
  cl_int err = G590_CL("clEnqueueFillBuffer",
                       clEnqueueFillBuffer(e->queue, dst, &zero, sizeof zero, 0,
                                           dev_elems(x) * sizeof(float), 0, NULL, NULL));
  return !g590_cl_failed(err, "clEnqueueFillBuffer", why, why_len);
}

/* Converts a float operand to dense binary16 in `dst` (host staging);
 * false when a value does not fit binary16. */
static bool pack_half(uint16_t *dst, const operand *x) {
  bool fits = true;
  for (int64_t c = 0; c < x->cols; c++)
    fits = g590_pack_half(dst + c * x->rows, x->data + c * x->ld, (size_t)x->rows) && fits;
  return fits;
}

/* How many column panels C (and op(B)) is cut into.  One panel's kernel
 * runs while the next panel's B goes up and the previous panel's C comes
 * down; each panel must still give every compute unit two tiles. */
static int64_t panel_count(const g590_engine *e, const g590_plan *plan, const operand *c) {
  enum { MAX_PANELS = 4, MIN_PANELLED_BYTES = 8 << 20 };
  /* Worth it once C spans several link chunks (a small GEMM590_LINK_CHUNK
   * lets tests reach this with small matrices). */
  size_t min_bytes = 4 * g590_config_get()->link_chunk_bytes;
  if (min_bytes > MIN_PANELLED_BYTES) min_bytes = MIN_PANELLED_BYTES;
  if (!plan->family->padded || dev_elems(c) * sizeof(float) < min_bytes) return 1;
  double row_tiles = (double)(c->dev_rows / plan->tile[0]);
  double col_tiles = (double)(c->dev_cols / plan->tile[1]);
  double cu = e->info.compute_units ? e->info.compute_units : 1;
  int64_t p = MAX_PANELS;
  while (p > 1 && row_tiles * (col_tiles / (double)p) < 2 * cu) p--;
  return p;
}

/* The fewest column panels the device's memory allows: A whole, and two
 * slots of an op(B) panel and a C panel, each panel within the largest
 * buffer; a tenth of the memory is left to the driver and split K's
 * workspace.  So op(B) and C may exceed the device's memory (float32
 * families); A may not.
 * -1 when A does not fit or a panel of one tile column would not. */
static int64_t memory_panels(const g590_engine *e, const g590_plan *plan, const operand *a,
                             const operand *b, const operand *c) {
  double eb = plan->family->operand_bytes, limit = (double)e->info.max_alloc;
  double a_bytes = (double)dev_elems(a) * eb;
  double room = 0.9 * (double)e->info.global_mem - a_bytes;
  /* Bytes per column of C: op(B)'s column and C's own. */
  double b_col = (double)dev_elems(b) * eb / (double)c->dev_cols;
  double c_col = (double)c->dev_rows * sizeof(float);
  double cols = fmin(fmin(limit / b_col, limit / c_col), room / 2 / (b_col + c_col));
  size_t un = plan->family->padded ? plan->tile[1] : 1;
  if (a_bytes > limit || room <= 0 || cols < (double)un) return -1;
  int64_t per_panel = (int64_t)(cols / (double)un) * (int64_t)un;
  return ((int64_t)c->dev_cols + per_panel - 1) / per_panel;
}

/* Uploads binary16 copies of A and B (fp16 families; one panel). */
static bool upload_half(g590_engine *e, const operand *a, const operand *b, bool *unfit,
                        char *why, size_t why_len) {
  uint16_t *ha = e->staging, *hb = ha + dev_elems(a);
  bool fit_a = pack_half(ha, a), fit_b = pack_half(hb, b);
  if (!fit_a || !fit_b) {
    *unfit = true;
    snprintf(why, why_len, "values outside binary16 range");
    return false;
  }
  cl_int err = G590_CL("clEnqueueWriteBuffer",
                       clEnqueueWriteBuffer(e->queue, e->a.mem, CL_FALSE, 0, dev_elems(a) * 2,
                                            ha, 0, NULL, NULL));
  if (err == CL_SUCCESS)
    err = clEnqueueWriteBuffer(e->queue, e->b[0].mem, CL_FALSE, 0, dev_elems(b) * 2, hb, 0, NULL,
                               NULL);
  return !g590_cl_failed(err, "clEnqueueWriteBuffer", why, why_len);
}

/* fp16 opt-in with a float32 family: x crosses the link as binary16 into
 * `half` and is widened on the device into its (padded) float32 copy in
 * `dst`.  The in-order queue keeps `half` from being refilled before the
 * widening read it. */
static bool upload_widened(g590_engine *e, cl_mem half, cl_mem dst, const operand *x,
                           bool *unfit, char *why, size_t why_len) {
  bool fits;
  bool ok = g590_link_upload_half(e, half, x, &fits, why, why_len);
  if (!fits) {
    *unfit = true;
    snprintf(why, why_len, "values outside binary16 range");
    return false;
  }
  return ok && g590_convert_on_device(e, false, half, x->rows, dst, (int64_t)x->dev_rows, x->rows,
                                      x->cols, x->dev_rows, x->dev_cols, why, why_len);
}

static bool wait_kernel(cl_event *ev, char *why, size_t why_len) {
  cl_int err = G590_CL("clWaitForEvents", clWaitForEvents(1, ev));
  clReleaseEvent(*ev);
  *ev = NULL;
  return !g590_cl_failed(err, "clWaitForEvents", why, why_len);
}

/* Runs the planned kernel with the engine lock held and copies C back,
 * panel by panel (see panel_count): uploads and downloads go through
 * e->queue, kernels through e->kernel_queue.  Buffers alternate between
 * two slots, and a slot is refilled only after the host has waited for
 * the kernel that read it and copied out the C it wrote.  *panels_io:
 * the fewest panels the device's memory allows in (memory_panels), the
 * number used out.  *cols_done: see g590_link_download.  *unfit is set
 * (and false returned) when a binary16 family meets values binary16
 * cannot hold. */
static bool run_locked(g590_engine *e, const g590_call *call, const g590_plan *plan,
                       const operand *a, const operand *b, const operand *c, int64_t *panels_io,
                       int64_t *cols_done, bool *unfit, g590_phases *ph, const char **origin,
                       char *why, size_t why_len) {
  const g590_family *f = plan->family;
  char options[256];
  snprintf(options, sizeof options, "%s -DTRANS_A=%d -DTRANS_B=%d -DBETA_ZERO=%d", plan->defines,
           call->trans_a, call->trans_b, call->beta == 0.0f);
  cl_kernel kernel = g590_program_kernel(e, f->name, options, origin, why, why_len);
  if (!kernel) return false;

  bool pad = f->padded;
  size_t um = pad ? plan->tile[0] : 1, un = pad ? plan->tile[1] : 1, uk = pad ? plan->tile[2] : 1;
  int64_t panels = panel_count(e, plan, c);
  if (panels < *panels_io) panels = *panels_io;
  int64_t width = (int64_t)round_up((c->cols + panels - 1) / panels, un);
  panels = (c->cols + width - 1) / width;
  *panels_io = panels;
  /* Slot sizes: the widest panel of op(B) and of C. */
  operand b0 = call->trans_b ? make_operand(b->data, width, b->cols, b->ld, un, uk)
                             : make_operand(b->data, b->rows, width, b->ld, uk, un);
  operand c0 = make_operand(c->data, c->rows, width, c->ld, um, un);
  size_t eb = (size_t)f->operand_bytes;
  if ((eb == 2 && !g590_staging(e, (dev_elems(a) + dev_elems(b)) * 2, why, why_len)) ||
      !g590_buffer_ensure(e, &e->a, dev_elems(a) * eb, why, why_len))
    return false;
  for (int s = 0; s < (panels > 1 ? 2 : 1); s++)
    if (!g590_buffer_ensure(e, &e->b[s], dev_elems(&b0) * eb, why, why_len) ||
        !g590_buffer_ensure(e, &e->c[s], dev_elems(&c0) * sizeof(float), why, why_len))
      return false;

  bool half_link = plan->half_operands;
  if (half_link &&
      (!g590_buffer_ensure(e, &e->h[0], (size_t)(a->rows * a->cols) * 2, why, why_len) ||
       !g590_buffer_ensure(e, &e->h[1], (size_t)(b0.rows * b0.cols) * 2, why, why_len)))
    return false;

  double t = g590_now_ms();
  bool ok = eb == 2      ? upload_half(e, a, b, unfit, why, why_len)
            : half_link ? upload_widened(e, e->h[0].mem, e->a.mem, a, unfit, why, why_len)
                         : zero_padding(e, e->a.mem, a, why, why_len) &&
                               g590_link_upload(e, e->a.mem, a, why, why_len);
  ph->upload_ms += g590_now_ms() - t;
  cl_event done[2] = {NULL, NULL};
  int64_t kk = (int64_t)(call->trans_a ? a->dev_rows : a->dev_cols);
  for (int64_t p = 0; ok && p <= panels; p++) {
    int slot = (int)(p & 1);
    if (p < panels) {
      /* Panel p: columns [n0, n0 + cols) of C and of op(B). */
      int64_t n0 = p * width, cols = c->cols - n0 < width ? c->cols - n0 : width;
      operand bp = call->trans_b ? make_operand(b->data + n0, cols, b->cols, b->ld, un, uk)
                                 : make_operand(b->data + n0 * b->ld, b->rows, cols, b->ld, uk, un);
      operand cp = make_operand(c->data + n0 * c->ld, c->rows, cols, c->ld, um, un);
      t = g590_now_ms();
      if (half_link)
        ok = upload_widened(e, e->h[1].mem, e->b[slot].mem, &bp, unfit, why, why_len);
      else if (eb == 4)
        ok = zero_padding(e, e->b[slot].mem, &bp, why, why_len) &&
             g590_link_upload(e, e->b[slot].mem, &bp, why, why_len);
      /* beta = 0: C is never read, so it is not sent either; its padding
       * is never copied back, so it needs no clearing. */
      if (ok && call->beta != 0.0f) ok = g590_link_upload(e, e->c[slot].mem, &cp, why, why_len);
      cl_event uploaded = NULL;
      if (ok) {
        cl_int err = G590_CL("clEnqueueMarkerWithWaitList",
                             clEnqueueMarkerWithWaitList(e->queue, 0, NULL, &uploaded));
        ok = !g590_cl_failed(err, "clEnqueueMarkerWithWaitList", why, why_len);
      }
      ph->upload_ms += g590_now_ms() - t;
      g590_gemm_args g = {(int)c->dev_rows, (int)cp.dev_cols, (int)kk, call->alpha, call->beta,
                          e->a.mem, e->b[slot].mem, e->c[slot].mem, (int)a->dev_rows,
                          (int)bp.dev_rows, (int)c->dev_rows};
      ok = ok && g590_gemm_enqueue(e, e->kernel_queue, kernel, plan, &g, uploaded, &done[slot],
                                   why, why_len);
      if (ok) clFlush(e->kernel_queue);
      if (uploaded) clReleaseEvent(uploaded);
    }
    if (ok && p > 0) {
      /* Panel p - 1 is done once its kernel is: copy its C out. */
      int prev = (int)((p - 1) & 1);
      int64_t n0 = (p - 1) * width, cols = c->cols - n0 < width ? c->cols - n0 : width;
      operand cp = make_operand(c->data + n0 * c->ld, c->rows, cols, c->ld, um, un);
      int64_t done_cols = 0;
      t = g590_now_ms();
      ok = wait_kernel(&done[prev], why, why_len);
      ph->kernel_ms += g590_now_ms() - t;
      t = g590_now_ms();
      ok = ok && g590_link_download(e, e->c[prev].mem, &cp, call->c + n0 * call->ldc,
                                    call->beta == 0.0f, &done_cols, why, why_len);
      ph->download_ms += g590_now_ms() - t;
      *cols_done = n0 + done_cols;
    }
  }
  for (int s = 0; s < 2; s++)
    if (done[s]) {
      clWaitForEvents(1, &done[s]);
      clReleaseEvent(done[s]);
    }
  if (!ok) {
    /* Nothing queued may still touch host memory. */
    clFinish(e->kernel_queue);
    clFinish(e->queue);
  }
  return ok;
}

g590_status g590_device_run(g590_engine *e, const g590_call *call, const g590_plan *plan,
                            int64_t *cols_done, char *what, size_t what_len, char *why,
                            size_t why_len) {
  *cols_done = 0;
  if (call->m > INT_MAX || call->n > INT_MAX || call->k > INT_MAX) {
    snprintf(why, why_len, "dimension beyond 32-bit kernel indices");
    return G590_NOT_HANDLED;
  }
  /* Padding units: whole tiles for padded families, nothing otherwise. */
  const size_t *t = plan->tile;
  bool pad = plan->family->padded;
  size_t um = pad ? t[0] : 1, un = pad ? t[1] : 1, uk = pad ? t[2] : 1;
  operand a = call->trans_a ? make_operand(call->a, call->k, call->m, call->lda, uk, um)
                            : make_operand(call->a, call->m, call->k, call->lda, um, uk);
  operand b = call->trans_b ? make_operand(call->b, call->n, call->k, call->ldb, un, uk)
                            : make_operand(call->b, call->k, call->n, call->ldb, uk, un);
  operand c = make_operand(call->c, call->m, call->n, call->ldc, um, un);
  int64_t min_panels = memory_panels(e, plan, &a, &b, &c);
  /* Binary16 families take op(B) whole into slot 0 (upload_half): they
   * run in one panel or not at all. */
  if (plan->family->operand_bytes == 2 && min_panels > 1) min_panels = -1;
  if (min_panels < 0 || c.dev_rows > INT_MAX || c.dev_cols > INT_MAX || a.dev_rows > INT_MAX ||
      a.dev_cols > INT_MAX) {
    snprintf(why, why_len, "operand larger than the device's memory or largest buffer");
    return G590_NOT_HANDLED;
  }
  const char *origin = "";
  bool unfit = false;
  g590_phases ph = {0, 0, 0};
  double start = g590_now_ms();
  pthread_mutex_lock(&e->lock);
  e->link_copy_ms = 0;
  int64_t panels = min_panels;
  bool ok = run_locked(e, call, plan, &a, &b, &c, &panels, cols_done, &unfit, &ph, &origin, why,
                       why_len);
  double copy_ms = e->link_copy_ms;
  pthread_mutex_unlock(&e->lock);
  double total_ms = g590_now_ms() - start;
  if (unfit && call->fp16_ok) {
    /* The opt-in never costs accuracy on data binary16 cannot hold: the
     * call runs in float32 instead (on the device if the selector says so). */
    g590_call fp32 = *call;
    fp32.fp16_ok = false;
    g590_plan plan32;
    if (!g590_select(&fp32, &e->info, &plan32, why, why_len)) return G590_NOT_HANDLED;
    g590_status st = g590_device_run(e, &fp32, &plan32, cols_done, what, what_len, why, why_len);
    if (st == G590_HANDLED)
      snprintf(what + strlen(what), what_len - strlen(what), " fp16=\"inputs outside binary16: float32\"");
    return st;
  }
  if (!ok) return G590_NOT_HANDLED;
  snprintf(what, what_len,
           "kernel=%s params=\"%s\" rule=\"%s\" program=%s device=\"%s\" "
           "panels=%lld ms=%.3f+%.3f+%.3f/%.3f staging_copy_ms=%.3f%s",
           plan->family->name, plan->defines, plan->rule, origin, e->info.name,
           (long long)panels, ph.upload_ms,
           ph.kernel_ms, ph.download_ms, total_ms, copy_ms,
           plan->half_operands ? " operands=binary16" : "");
  return G590_HANDLED;
}

g590_status g590_device_sgemm(const g590_call *call, int64_t *cols_done, char *what,
                              size_t what_len, char *why, size_t why_len) {
  *cols_done = 0;
  g590_engine *e = g590_engine_get(why, why_len);
  if (!e) return G590_NOT_HANDLED;
  g590_plan plan;
  if (!g590_select(call, &e->info, &plan, why, why_len)) return G590_NOT_HANDLED;
  return g590_device_run(e, call, &plan, cols_done, what, what_len, why, why_len);
}
