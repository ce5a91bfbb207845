/* The device pipeline: one job of any element type on the OpenCL device.
 *
 * A goes up once; then C (and op(B)) is cut into column panels that
 * alternate between two slots of device buffers, so that the kernel of
 * one panel (on e->kernel_queue) runs while the next panel's op(B) goes up
 * and the previous panel's C comes down (on e->queue).  A job with
 * large operands sends A (and a gemm's B) in slices of K instead, the
 * kernels of one slice running while the next crosses, with every panel
 * of C kept on the device until the last slice (run_slices).  What the element
 * type changes is only how an operand reaches the kernel's layout (its
 * route): copied as it is (padded to whole tiles where the family wants
 * them), converted to binary16 while staged on the host (the fp16 opt-in,
 * binary16 families), or sent as binary16 into a scratch buffer and
 * widened on the device (binary16 data or the opt-in, float32 families);
 * and C comes back as it is or narrowed on the device first.  The host
 * link (lib/cl/link.c) moves the bytes.
 *
 * C reaches the caller's memory only after its panel's kernel finished,
 * whole columns at a time: after a failure every column of C is either
 * final or untouched. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cl_engine.h"

typedef g590_operand operand;

static size_t round_up(int64_t x, size_t unit) { return ((size_t)x + unit - 1) / unit * unit; }

/* How one job's operands reach the kernel and come back. */
typedef struct route {
  size_t host_bytes; /* element bytes in the caller's memory */
  size_t ab_bytes;   /* element bytes of A and B on the device (the family's) */
  size_t c_bytes;    /* element bytes of C on the device */
  bool ab_to_half;   /* float32 A and B converted to binary16 while staged */
  bool ab_widen;     /* A and B cross as binary16 into h[0], h[1] and are widened */
  bool c_widen;      /* C crosses as binary16 into h[2], widened; narrowed back into h[2] */
  size_t um, un, uk; /* padding units: whole tiles for padded families, else 1 */
} route;

static route route_for(const g590_job *job, const g590_plan *plan) {
  const g590_family *f = plan->family;
  route r = {.host_bytes = g590_type_bytes(job->type), .ab_bytes = (size_t)f->operand_bytes};
  r.um = f->padded ? plan->tile[0] : 1;
  r.un = f->padded ? plan->tile[1] : 1;
  r.uk = f->padded ? plan->tile[2] : 1;
  if (plan->f64) {
    /* float64: copied as it is, computed in double. */
    r.ab_bytes = r.c_bytes = 8;
    return r;
  }
  bool half_link = r.host_bytes == 2 || r.ab_bytes == 2 || plan->half_operands;
  r.ab_to_half = r.host_bytes == 4 && half_link;
  r.ab_widen = r.ab_bytes == 4 && half_link;
  /* A binary16 family keeps binary16 C as binary16 (-DC_HALF=1);
   * otherwise the kernel reads and writes float32 C. */
  r.c_bytes = r.host_bytes == 2 && r.ab_bytes == 2 ? 2 : 4;
  r.c_widen = r.host_bytes == 2 && r.c_bytes == 4;
  return r;
}

/* The block rows x cols at `data` (as stored) and its device copy,
 * padded to row_unit x col_unit. */
static operand make_operand(const route *r, const void *data, int64_t rows, int64_t cols,
                            int64_t ld, size_t row_unit, size_t col_unit, bool ab) {
  operand x = {data, rows, cols, ld, r->host_bytes, ab && r->ab_to_half,
               round_up(rows, row_unit), round_up(cols, col_unit), 0, 0, 0};
  return x;
}

static size_t dev_elems(const operand *x) { return x->dev_rows * x->dev_cols; }
/* Elements of its buffer before x's device copy (a slice's region). */
static size_t dev_start(const operand *x) { return x->dev_col0 * x->dev_rows; }
static const char *at(const void *base, size_t offset) { return (const char *)base + offset; }

/* The layout of one job: A, op(B) and C as stored and on the device, and
 * the column panels (`width` columns each, a multiple of r.un, the last
 * one narrower).  A sliced job (slices > 1) sends A (and a gemm's B) in
 * slices of slice_k columns of op(A), rows of op(B) (a multiple of r.uk,
 * the last one shallower); with turn_a, a transposed A's slices are
 * turned on the device into e->b[1], and the kernels read that untransposed
 * copy (as op(B) too in a syrk). */
typedef struct layout {
  route r;
  operand a, b, c;
  int64_t width, panels;
  int64_t slices, slice_k;
  bool turn_a;
} layout;

/* Panel p's op(B) (as stored and its device copy) and C. */
static void panel_at(const g590_job *job, const layout *L, int64_t p, operand *bp, operand *cp) {
  const route *r = &L->r;
  int64_t n0 = p * L->width, cols = job->n - n0 < L->width ? job->n - n0 : L->width;
  size_t hb = r->host_bytes;
  *bp = job->trans_b ? make_operand(r, at(job->b, (size_t)n0 * hb), cols, job->k, job->ldb, r->un,
                                    r->uk, true)
                     : make_operand(r, at(job->b, (size_t)(n0 * job->ldb) * hb), job->k, cols,
                                    job->ldb, r->uk, r->un, true);
  *cp = make_operand(r, at(job->c, (size_t)(n0 * job->ldc) * hb), job->m, cols, job->ldc, r->um,
                     r->un, false);
  if (job->op == G590_SYRK) cp->triangle = job->upper ? 'U' : 'L', cp->col0 = n0;
}

/* Slice s of a sliced job's operand (A, or a gemm's B), K indices
 * [s * slice_k, ...), as stored and its device copy: dense (so it crosses
 * by plain writes whatever the transpose), every slice laid out alike in
 * a region of its own of the operand's buffer, the shallower last one
 * padded with zeros.  The operand is stored with K along its rows
 * (`k_rows`: a transposed A, an untransposed B) or its columns, its other
 * dimension `other` long, padded to `unit`.  *depth: the K the slice's
 * kernels run over (padded to r.uk). */
static operand k_slice(const g590_job *job, const layout *L, const void *data, bool k_rows,
                       int64_t other, int64_t ld, size_t unit, int64_t s, int64_t *depth) {
  const route *r = &L->r;
  int64_t k0 = s * L->slice_k, cols = job->k - k0 < L->slice_k ? job->k - k0 : L->slice_k;
  size_t hb = r->host_bytes;
  operand x;
  if (k_rows) {
    /* K x other: a block of rows, `other` columns of slice_k rows each. */
    x = make_operand(r, at(data, (size_t)k0 * hb), cols, other, ld, r->uk, unit, true);
    x.dev_rows = (size_t)L->slice_k;
    x.dev_col0 = (size_t)s * x.dev_cols;
  } else {
    /* other x K: a block of columns. */
    x = make_operand(r, at(data, (size_t)(k0 * ld) * hb), other, cols, ld, unit, r->uk, true);
    x.dev_col0 = (size_t)(s * L->slice_k);
  }
  *depth = (int64_t)round_up(cols, r->uk);
  return x;
}

static operand slice_a(const g590_job *job, const layout *L, int64_t s, int64_t *depth) {
  return k_slice(job, L, job->a, job->trans_a, job->m, job->lda, L->r.um, s, depth);
}
static operand slice_b(const g590_job *job, const layout *L, int64_t s) {
  int64_t depth;
  return k_slice(job, L, job->b, !job->trans_b, job->n, job->ldb, L->r.un, s, &depth);
}

/* The panel width in columns.  Panels hide all transfers but A's, the
 * first op(B) panel's and the last C panel's behind kernels, but each
 * panel's kernel ends on a partly filled wave of work-groups, and smaller
 * panels mean smaller transfers: so only as many panels as cost no more
 * waves than the whole C, counting two resident work-groups per compute
 * unit, and at most MAX_PANELS on a GPU.  Binary16 links move half the
 * bytes per column, so fewer panels hide them: on the H100 two panels
 * beat eight for gemm590_hgemm (63.9-65.5 against 54.7-56.4 TFLOPS at
 * n = 8192, 25.0-28.2 against 16.5-26.2 at 4096); float32 took up to four.
 * A CPU device (run only when GEMM590_KERNEL forces a family: tests) hands
 * work-groups to its threads one at a time, so it counts one slot and gets
 * up to eight panels: that exercises the reuse of the two slots, which
 * GPUs reach when the device's memory bounds the panels (memory_width).
 * C below MIN_PANELLED_BYTES of float32 (or four link chunks, so that a
 * small GEMM590_LINK_CHUNK lets tests reach panels) is one panel: too
 * little to hide. */
static int64_t panel_width(const g590_engine *e, const g590_plan *plan, const layout *L) {
  enum { MIN_PANELLED_BYTES = 8 << 20, MAX_PANELS = 4, MAX_PANELS_HALF = 2, MAX_PANELS_CPU = 8 };
  bool half_link = L->r.host_bytes == 2 || L->r.ab_to_half;
  size_t max_panels = !e->info.is_gpu ? MAX_PANELS_CPU : half_link ? MAX_PANELS_HALF : MAX_PANELS;
  size_t min_bytes = 4 * g590_config_get()->link_chunk_bytes;
  if (min_bytes > MIN_PANELLED_BYTES) min_bytes = MIN_PANELLED_BYTES;
  size_t cr = L->c.dev_rows, cc = L->c.dev_cols;
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

/* The widest panel (in columns, a multiple of r.un) the device's memory
 * allows: A whole (and its binary16 scratch); per column of C, two slots
 * of op(B) and C and the binary16 scratch of each that is widened; every
 * buffer within the largest one; a tenth of the memory left to the driver
 * and split K's workspace.  So op(B) and C may exceed the device's memory;
 * A may not.  Below r.un when A does not fit. */
static int64_t memory_width(const g590_engine *e, const layout *L) {
  const route *r = &L->r;
  double limit = (double)e->info.max_alloc;
  double a_dev = (double)dev_elems(&L->a) * (double)r->ab_bytes;
  double a_scratch = r->ab_widen ? (double)(L->a.rows * L->a.cols) * 2 : 0;
  /* Per column of C: op(B)'s padded and stored depth, C's rows. */
  double kp = (double)dev_elems(&L->b) / (double)L->c.dev_cols;
  double k = (double)(L->b.rows * L->b.cols) / (double)L->c.cols;
  double b_col = kp * (double)r->ab_bytes, c_col = (double)L->c.dev_rows * (double)r->c_bytes;
  double scratch_col = (r->ab_widen ? k * 2 : 0) + (r->c_widen ? (double)L->c.rows * 2 : 0);
  double room = 0.9 * (double)e->info.global_mem - a_dev - a_scratch;
  if (a_dev > limit || room <= 0) return 0;
  double cols = fmin(fmin(limit / b_col, limit / c_col), room / (2 * (b_col + c_col) + scratch_col));
  return (int64_t)(cols / (double)r->un) * (int64_t)r->un;
}

/* Clears the padding around a padded operand's device copy: padded A and
 * B must contribute zeros to every sum. */
static bool zero_padding(g590_engine *e, cl_mem dst, const operand *x, size_t bytes, char *why,
                         size_t why_len) {
  if (x->dev_rows == (size_t)x->rows && x->dev_cols == (size_t)x->cols) return true;
  const uint64_t zero = 0; /* a pattern of `bytes` (2, 4 or 8) zero bytes */
  size_t offset = dev_start(x) * bytes;
  cl_int err = G590_CL("clEnqueueFillBuffer",
                       clEnqueueFillBuffer(e->queue, dst, &zero, bytes, offset,
                                           dev_elems(x) * bytes, 0, NULL, NULL));
  return !g590_cl_failed(err, "clEnqueueFillBuffer", why, why_len);
}

/* Queues operand x into its device copy `dst` (elements of `bytes`): by
 * the link straight into the copy's layout, or with `widen` as dense
 * binary16 into `scratch` and widened on the device into the layout (the
 * widening writes the padding's zeros; the in-order queue keeps `scratch`
 * from being refilled before the widening read it; only a copy at the
 * start of its buffer, dev_col0 = 0, is widened).  `pad`: clear the
 * padding first (A and B; C's padding is never copied back). */
static bool send(g590_engine *e, const operand *x, size_t bytes, bool widen, cl_mem dst,
                 cl_mem scratch, bool pad, bool *fits, char *why, size_t why_len) {
  if (!widen)
    return (!pad || zero_padding(e, dst, x, bytes, why, why_len)) &&
           g590_cl_link_upload(e, dst, x, fits, why, why_len);
  operand dense = *x;
  dense.dev_rows = (size_t)x->rows, dense.dev_cols = (size_t)x->cols;
  return g590_cl_link_upload(e, scratch, &dense, fits, why, why_len) &&
         g590_cl_convert_on_device(e, false, scratch, x->rows, dst, (int64_t)x->dev_rows, x->rows,
                                x->cols, x->dev_rows, x->dev_cols, why, why_len);
}

/* Queues panel p's operands into slot s: op(B)'s panel, and C's when
 * beta != 0 (otherwise C is never read, so it is not sent either). */
static bool send_panel(g590_engine *e, const g590_job *job, const layout *L, int64_t p, int s,
                       bool *fits, char *why, size_t why_len) {
  const route *r = &L->r;
  operand bp, cp;
  panel_at(job, L, p, &bp, &cp);
  /* A syrk's op(B) is op(A)^T: the kernel reads it from A's buffer; a
   * sliced job's op(B) crosses in slices (run_slices). */
  bool ok = job->op == G590_SYRK || L->slices > 1 ||
            send(e, &bp, r->ab_bytes, r->ab_widen, e->b[s].mem, e->h[1].mem, true, fits, why,
                 why_len);
  if (ok && job->beta != 0)
    ok = send(e, &cp, r->c_bytes, r->c_widen, e->c[s].mem, e->h[2].mem, false, NULL, why,
              why_len);
  return ok;
}

/* Copies panel p's C from slot s (or, narrowed, from h[2]) to the caller. */
static bool receive_panel(g590_engine *e, const g590_job *job, const layout *L, int64_t p, int s,
                          int64_t *cols_done, char *why, size_t why_len) {
  operand bp, cp;
  panel_at(job, L, p, &bp, &cp);
  cl_mem src = e->c[s].mem;
  if (L->r.c_widen) {
    src = e->h[2].mem;
    cp.dev_rows = (size_t)cp.rows, cp.dev_cols = (size_t)cp.cols;
  }
  return g590_cl_link_download(e, 1, &src, &cp, NULL, job->beta == 0, cols_done, why, why_len);
}

static bool marker(g590_engine *e, cl_uint n, const cl_event *wait, cl_event *ev, char *why,
                   size_t why_len) {
  cl_int err = G590_CL("clEnqueueMarkerWithWaitList",
                       clEnqueueMarkerWithWaitList(e->queue, n, wait, ev));
  return !g590_cl_failed(err, "clEnqueueMarkerWithWaitList", why, why_len);
}

static void release(cl_event *ev) {
  if (*ev) clReleaseEvent(*ev);
  *ev = NULL;
}

/* Elements of a sliced operand's device buffer, its slices side by side
 * (each slice_k x other, or other x slice_k, `other` padded to `unit`). */
static size_t sliced_elems(const layout *L, int64_t other, size_t unit) {
  return (size_t)L->slices * (size_t)L->slice_k * round_up(other, unit);
}

/* Elements of A's device buffer, and of op(B)'s (a panel's, or all of it
 * in slices; none for a syrk, which reads A's). */
static size_t a_elems(const g590_job *job, const layout *L) {
  return L->slices == 1 ? dev_elems(&L->a) : sliced_elems(L, job->m, L->r.um);
}
static size_t b_elems(const g590_job *job, const layout *L) {
  operand b0, c0;
  panel_at(job, L, 0, &b0, &c0); /* the widest panel */
  return job->op == G590_SYRK ? 0
         : L->slices == 1     ? dev_elems(&b0)
                              : sliced_elems(L, job->n, L->r.un);
}

/* Grows the device buffers for the layout: A, two slots of op(B) and C
 * panels (one when there is one panel; for a sliced job, one op(B) whole,
 * A's turned slices and a C slot per panel), and the binary16 scratch of
 * what is widened. */
static bool ensure_buffers(g590_engine *e, const g590_job *job, const layout *L, char *why,
                           size_t why_len) {
  const route *r = &L->r;
  operand b0, c0;
  panel_at(job, L, 0, &b0, &c0); /* the widest panel sizes the slots */
  if (!g590_cl_buffer_ensure(e, &e->a, a_elems(job, L) * r->ab_bytes, why, why_len)) return false;
  size_t b_bytes = b_elems(job, L) * r->ab_bytes;
  int64_t slots = L->slices > 1 ? L->panels : L->panels > 1 ? 2 : 1;
  int64_t b_slots = L->slices > 1 ? 1 : 2;
  for (int s = 0; s < slots; s++)
    if ((b_bytes && s < b_slots && !g590_cl_buffer_ensure(e, &e->b[s], b_bytes, why, why_len)) ||
        !g590_cl_buffer_ensure(e, &e->c[s], dev_elems(&c0) * r->c_bytes, why, why_len))
      return false;
  if (L->turn_a && !g590_cl_buffer_ensure(e, &e->b[1], a_elems(job, L) * r->ab_bytes, why, why_len))
    return false;
  if (r->ab_widen &&
      (!g590_cl_buffer_ensure(e, &e->h[0], (size_t)(L->a.rows * L->a.cols) * 2, why, why_len) ||
       !g590_cl_buffer_ensure(e, &e->h[1], (size_t)(b0.rows * b0.cols) * 2, why, why_len)))
    return false;
  return !r->c_widen ||
         g590_cl_buffer_ensure(e, &e->h[2], (size_t)(c0.rows * c0.cols) * 2, why, why_len);
}

/* Runs the panels with the engine lock held.  For each panel p, on
 * e->queue: op(B)'s panel (and C's) up into slot p % 2, then (narrowing
 * C) the narrowing of panel p - 1's C into h[2] behind that panel's
 * kernel, then a marker `ready`; panel p's kernel waits for `ready` on
 * e->kernel_queue while the host waits for panel p - 1 (its kernel, or
 * `ready` when narrowed) and copies its C out.  Narrowing before the next
 * kernel starts keeps it from waiting for compute units that kernel holds.
 * A slot is refilled only after the host copied out the C of the panel
 * that used it.  *unfit: binary16 cannot hold some value of A or B. */
static bool run_panels(g590_engine *e, const g590_job *job, const g590_plan *plan,
                       const layout *L, cl_kernel kernel, int64_t *cols_done, bool *unfit,
                       g590_phases *ph, char *why, size_t why_len) {
  const route *r = &L->r;
  bool fits = true;
  double t = g590_cl_now_ms();
  bool ok = send(e, &L->a, r->ab_bytes, r->ab_widen, e->a.mem, e->h[0].mem, true, &fits, why,
                 why_len);
  ph->upload_ms += g590_cl_now_ms() - t;
  int kk = (int)(job->trans_a ? L->a.dev_rows : L->a.dev_cols);
  cl_event done[2] = {NULL, NULL};
  for (int64_t p = 0; ok && p <= L->panels; p++) {
    int slot = (int)(p & 1), prev = !slot;
    cl_event ready = NULL;
    t = g590_cl_now_ms();
    if (p < L->panels) ok = send_panel(e, job, L, p, slot, &fits, why, why_len);
    if (ok && p > 0 && r->c_widen) {
      operand bp, cp;
      panel_at(job, L, p - 1, &bp, &cp);
      ok = marker(e, 1, &done[prev], NULL, why, why_len) &&
           g590_cl_convert_on_device(e, true, e->c[prev].mem, (int64_t)cp.dev_rows, e->h[2].mem,
                                  cp.rows, cp.rows, cp.cols, 0, 0, why, why_len);
    }
    ok = ok && marker(e, 0, NULL, &ready, why, why_len);
    if (ok) clFlush(e->queue);
    ph->upload_ms += g590_cl_now_ms() - t;
    if (ok && p < L->panels) {
      operand bp, cp;
      panel_at(job, L, p, &bp, &cp);
      /* A syrk reads op(B) = op(A)^T from A's buffer, from column p * width. */
      bool syrk = job->op == G590_SYRK;
      g590_gemm_args g = {(int)L->c.dev_rows, (int)cp.dev_cols, kk, job->alpha, job->beta,
                          e->a.mem, syrk ? e->a.mem : e->b[slot].mem, e->c[slot].mem,
                          (int)L->a.dev_rows, (int)(syrk ? L->a.dev_rows : bp.dev_rows),
                          (int)L->c.dev_rows, plan->f64, syrk ? (int)(p * L->width) : 0, 0, 0};
      ok = g590_cl_gemm_enqueue(e, e->kernel_queue, kernel, plan, &g, ready, &done[slot], why,
                             why_len);
      if (ok) clFlush(e->kernel_queue);
    }
    if (ok && p > 0) {
      int64_t got = 0;
      t = g590_cl_now_ms();
      ok = g590_cl_wait(e, r->c_widen ? ready : done[prev], "kernel.wait", why, why_len);
      ph->kernel_ms += g590_cl_now_ms() - t;
      t = g590_cl_now_ms();
      ok = ok && receive_panel(e, job, L, p - 1, prev, &got, why, why_len);
      ph->download_ms += g590_cl_now_ms() - t;
      *cols_done = (p - 1) * L->width + got;
    }
    if (p > 0) release(&done[prev]);
    release(&ready);
  }
  for (int s = 0; s < 2; s++) release(&done[s]);
  *unfit = !fits;
  if (!ok) {
    /* Nothing queued may still touch host memory. */
    clFinish(e->kernel_queue);
    clFinish(e->queue);
  }
  return ok;
}

/* Runs a sliced job with the engine lock held.  C's panels go up into
 * slots 0 .. panels - 1 when beta != 0.  Then per slice s, on e->queue,
 * its A (and a gemm's op(B), whole columns, into B's buffer: the panels'
 * kernels read it from column p * width) into their regions and a marker
 * `ready`; on e->kernel_queue, after
 * `ready`, every panel's kernel over that slice: the first slice's with
 * the job's beta (`first`), the others adding to C (`more`, beta 1).  The
 * host sends slice s + 1 while slice s computes.  After the last slice,
 * panel p's C comes back as soon as its kernel ends, while the later
 * panels compute, the panels' chunks in one stream through the pinned
 * chunks: C reaches the caller only when final, leading columns first, as
 * run_panels leaves it. */
static bool run_slices(g590_engine *e, const g590_job *job, const g590_plan *plan,
                       const layout *L, cl_kernel first, cl_kernel more, int64_t *cols_done,
                       g590_phases *ph, char *why, size_t why_len) {
  const route *r = &L->r;
  cl_event done[G590_CL_C_SLOTS] = {NULL};
  bool ok = true;
  double t = g590_cl_now_ms();
  for (int64_t p = 0; ok && job->beta != 0 && p < L->panels; p++)
    ok = send_panel(e, job, L, p, (int)p, NULL, why, why_len);
  for (int64_t s = 0; ok && s < L->slices; s++) {
    int64_t depth;
    operand x = slice_a(job, L, s, &depth), y = x;
    bool syrk = job->op == G590_SYRK;
    if (!syrk) y = slice_b(job, L, s);
    cl_event ready = NULL;
    ok = send(e, &x, r->ab_bytes, false, e->a.mem, NULL, true, NULL, why, why_len) &&
         (syrk || send(e, &y, r->ab_bytes, false, e->b[0].mem, NULL, true, NULL, why, why_len)) &&
         marker(e, 0, NULL, &ready, why, why_len);
    if (ok) clFlush(e->queue);
    ph->upload_ms += g590_cl_now_ms() - t;
    /* What the kernels read: A's slice as it crossed, or turned (slice_k x
     * M into M x slice_k, at the same offset of e->b[1]); a syrk's op(B) is
     * the same. */
    cl_mem a = e->a.mem;
    if (ok && L->turn_a) {
      int64_t off = (int64_t)dev_start(&x);
      ok = g590_cl_transpose_on_device(e, e->kernel_queue, ready, plan->f64, e->a.mem, off,
                                       (int)x.dev_rows, e->b[1].mem, off, (int)x.dev_cols,
                                       (int)x.dev_rows, (int)x.dev_cols, why, why_len);
      a = e->b[1].mem;
      x.dev_rows = x.dev_cols, x.dev_cols = (size_t)L->slice_k, x.dev_col0 = (size_t)(s * L->slice_k);
    }
    if (syrk) y = x;
    cl_mem b = syrk ? a : e->b[0].mem;
    bool last = s + 1 == L->slices;
    for (int64_t p = 0; ok && p < L->panels; p++) {
      operand bp, cp;
      panel_at(job, L, p, &bp, &cp);
      g590_gemm_args g = {.m = (int)L->c.dev_rows, .n = (int)cp.dev_cols, .k = (int)depth,
                          .alpha = job->alpha, .beta = s == 0 ? job->beta : 1.0,
                          .a = a, .b = b, .c = e->c[p].mem,
                          .lda = (int)x.dev_rows, .ldb = (int)y.dev_rows,
                          .ldc = (int)L->c.dev_rows, .f64 = plan->f64, .col0 = (int)(p * L->width),
                          .a_off = (int64_t)dev_start(&x), .b_off = (int64_t)dev_start(&y)};
      ok = g590_cl_gemm_enqueue(e, e->kernel_queue, s == 0 ? first : more, plan, &g,
                                p == 0 ? ready : NULL, last ? &done[p] : NULL, why, why_len);
    }
    if (ok) clFlush(e->kernel_queue);
    release(&ready);
    t = g590_cl_now_ms();
  }
  if (ok) {
    /* Every panel back, each read once its last kernel ended: waiting for
     * kernels counts as downloading here. */
    cl_mem src[G590_CL_C_SLOTS];
    operand cp[G590_CL_C_SLOTS];
    for (int64_t p = 0; p < L->panels; p++) {
      operand bp;
      panel_at(job, L, p, &bp, &cp[p]);
      src[p] = e->c[p].mem;
    }
    t = g590_cl_now_ms();
    ok = g590_cl_link_download(e, (int)L->panels, src, cp, done, job->beta == 0, cols_done, why,
                               why_len);
    ph->download_ms += g590_cl_now_ms() - t;
  }
  for (int64_t p = 0; p < L->panels; p++) release(&done[p]);
  if (!ok) {
    clFinish(e->kernel_queue);
    clFinish(e->queue);
  }
  return ok;
}

/* Whether a job sends A (and a gemm's B) in K slices, and how deep.  The
 * kernels then start after the first slice crossed instead of all of A
 * (and B's first panel): at n = k = 8192 in float64, 512 MiB of A, about
 * 10 ms of link before any kernel ran.  In exchange every C panel stays
 * on the device until the last slice, so C comes back only at the end
 * (streaming as its panels' last kernels end), and C makes one pass
 * through device memory per slice: so only for operands of
 * MIN_SLICED_BYTES or more (or four link chunks, so that a small
 * GEMM590_LINK_CHUNK lets tests reach it), GEMM590_SYRK_SLICES (4) or
 * GEMM590_GEMM_SLICES (2) slices of at least one K step, when the
 * slices and every panel of C fit the device together, on routes that
 * copy A and B as they are, with a family that takes the slices'
 * offsets.  (A split-K plan splits each slice's K again.)  A transposed
 * A's slices are turned on the device where they fit twice
 * (GEMM590_TURN_A, on by default).
 * An operand stored with K along its columns (a transposed A, an
 * untransposed B) is staged in columns of slice_k elements: fewer slices
 * where those would fall below MIN_COLUMN_BYTES.  On the H100 host the
 * same 2 MiB chunks of an sgemm at n = 2048 copied at 45 GB/s in columns
 * of 4 KiB (2 slices) and 27 GB/s in columns of 2 KiB (4 slices), which
 * made 4 slices slower than none, and 8 slices (1 KiB) lost 4 ms at 2048
 * and 4096 (bench/NOTES.md). */
static void plan_slices(const g590_engine *e, const g590_job *job, const g590_plan *plan,
                        layout *L) {
  enum { MIN_SLICED_BYTES = 32 << 20, MIN_COLUMN_BYTES = 4096 };
  const route *r = &L->r;
  bool syrk = job->op == G590_SYRK;
  const g590_config *cfg = g590_config_get();
  size_t slices_wanted = (size_t)(syrk ? cfg->syrk_slices : cfg->gemm_slices);
  L->slices = 1, L->slice_k = 0, L->turn_a = false;
  if (slices_wanted < 2 || !plan->family->syrk || r->ab_widen || r->ab_to_half || r->c_widen ||
      L->panels > G590_CL_C_SLOTS)
    return;
  size_t min_bytes = 4 * cfg->link_chunk_bytes;
  if (min_bytes > MIN_SLICED_BYTES) min_bytes = MIN_SLICED_BYTES;
  size_t ab_bytes = (dev_elems(&L->a) + (syrk ? 0 : dev_elems(&L->b))) * r->ab_bytes;
  if (ab_bytes < min_bytes) return;
  size_t k = job->trans_a ? L->a.dev_rows : L->a.dev_cols;
  /* (A small GEMM590_LINK_CHUNK lowers the column bound too: tests.  The
   * chunk is 4096 bytes or more, so the bound is 16 or more.) */
  size_t min_column = cfg->link_chunk_bytes / 256 < MIN_COLUMN_BYTES ? cfg->link_chunk_bytes / 256
                                                                      : MIN_COLUMN_BYTES;
  if (job->trans_a || (!syrk && !job->trans_b)) {
    size_t most = k * r->host_bytes / min_column;
    if (slices_wanted > most) slices_wanted = most;
    if (slices_wanted < 2) return;
  }
  int64_t slice_k = (int64_t)round_up((k + slices_wanted - 1) / slices_wanted, r->uk);
  int64_t slices = (job->k + slice_k - 1) / slice_k;
  if (slices < 2) return;
  layout sliced = *L;
  sliced.slices = slices, sliced.slice_k = slice_k;
  operand b0, c0;
  panel_at(job, L, 0, &b0, &c0);
  double a_bytes = (double)a_elems(job, &sliced) * (double)r->ab_bytes;
  double b_bytes = (double)b_elems(job, &sliced) * (double)r->ab_bytes;
  double c_bytes = (double)L->panels * (double)dev_elems(&c0) * (double)r->c_bytes;
  double limit = (double)e->info.max_alloc, room = 0.9 * (double)e->info.global_mem;
  if (a_bytes > limit || b_bytes > limit || a_bytes + b_bytes + c_bytes > room) return;
  sliced.turn_a = job->trans_a && cfg->turn_a && 2 * a_bytes + b_bytes + c_bytes <= room;
  *L = sliced;
}

/* The layout of `job` for `plan`, or false with `why` when an operand
 * does not fit the device. */
static bool plan_layout(const g590_engine *e, const g590_job *job, const g590_plan *plan,
                        layout *L, char *why, size_t why_len) {
  route r = route_for(job, plan);
  L->r = r;
  L->a = job->trans_a ? make_operand(&r, job->a, job->k, job->m, job->lda, r.uk, r.um, true)
                      : make_operand(&r, job->a, job->m, job->k, job->lda, r.um, r.uk, true);
  L->b = job->trans_b ? make_operand(&r, job->b, job->n, job->k, job->ldb, r.un, r.uk, true)
                      : make_operand(&r, job->b, job->k, job->n, job->ldb, r.uk, r.un, true);
  L->c = make_operand(&r, job->c, job->m, job->n, job->ldc, r.um, r.un, false);
  /* A syrk reads op(B) from A's buffer (whole, on the device for every
   * panel): square tiles, so that A padded for its rows is also padded
   * for op(B)'s columns. */
  if (job->op == G590_SYRK &&
      (!plan->family->syrk || !plan->family->padded || plan->tile[0] != plan->tile[1])) {
    snprintf(why, why_len, "syrk runs on regblock with square tiles, not %s", plan->family->name);
    return false;
  }
  L->width = panel_width(e, plan, L);
  int64_t fits = memory_width(e, L);
  if (fits < (int64_t)r.un) {
    snprintf(why, why_len, "operand larger than the device's memory or largest buffer");
    return false;
  }
  if (L->width > fits) L->width = fits;
  L->panels = (job->n + L->width - 1) / L->width;
  plan_slices(e, job, plan, L);
  /* Kernel indices and leading dimensions are 32-bit. */
  if (L->c.dev_rows > INT_MAX || L->c.dev_cols > INT_MAX || L->a.dev_rows > INT_MAX ||
      L->a.dev_cols > INT_MAX || L->b.dev_rows > INT_MAX || L->b.dev_cols > INT_MAX) {
    snprintf(why, why_len, "operand larger than the device's memory or largest buffer");
    return false;
  }
  return true;
}

/* The kernel of `plan` for `job` (params: g590_plan_options's), built
 * with -DBETA_ZERO=beta_zero (a sliced syrk's later slices add to C
 * whatever the job's beta). */
static cl_kernel job_kernel(g590_engine *e, const g590_job *job, const g590_plan *plan,
                            const char *params, const layout *L, bool beta_zero,
                            const char **origin, char *why, size_t why_len) {
  char options[320];
  /* Turned slices of A are read untransposed (and so is a syrk's op(B)
   * = op(A)^T transposed). */
  bool trans_a = job->trans_a && !L->turn_a;
  bool trans_b = (L->turn_a && job->op == G590_SYRK) || job->trans_b;
  snprintf(options, sizeof options, "%s -DTRANS_A=%d -DTRANS_B=%d -DBETA_ZERO=%d%s%s%s", params,
           trans_a, trans_b, beta_zero, L->r.c_bytes == 2 ? " -DC_HALF=1" : "",
           plan->f64 ? " -DREAL_DOUBLE=1" : "",
           job->op != G590_SYRK ? "" : job->upper ? " -DSYRK_UPPER=1" : " -DSYRK_LOWER=1");
  return g590_cl_program_kernel(e, plan->family->name, options, origin, why, why_len);
}

g590_status g590_cl_run(g590_engine *e, const g590_job *job, const g590_plan *plan,
                            int64_t *cols_done, char *what, size_t what_len, char *why,
                            size_t why_len) {
  *cols_done = 0;
  if (job->m > INT_MAX || job->n > INT_MAX || job->k > INT_MAX) {
    snprintf(why, why_len, "dimension beyond 32-bit kernel indices");
    return G590_NOT_HANDLED;
  }
  layout L;
  if (!plan_layout(e, job, plan, &L, why, why_len)) return G590_NOT_HANDLED;
  char params[192];
  g590_plan_options(plan, params, sizeof params);
  const char *origin = "", *more_origin = ""; /* the verbose line names the first's */
  bool unfit = false, ok = false;
  g590_phases ph = {0, 0, 0};
  double start = g590_cl_now_ms();
  pthread_mutex_lock(&e->lock);
  e->link_copy_ms = 0;
  g590_cl_trace_begin(e);
  double t = g590_cl_now_ms();
  cl_kernel kernel = job_kernel(e, job, plan, params, &L, job->beta == 0, &origin, why, why_len);
  cl_kernel more = L.slices == 1 || job->beta != 0
                       ? kernel
                       : job_kernel(e, job, plan, params, &L, false, &more_origin, why, why_len);
  g590_cl_trace(e, "program", t, g590_cl_now_ms());
  t = g590_cl_now_ms();
  bool buffers = kernel && more && ensure_buffers(e, job, &L, why, why_len);
  g590_cl_trace(e, "buffers", t, g590_cl_now_ms());
  if (buffers)
    ok = L.slices > 1
             ? run_slices(e, job, plan, &L, kernel, more, cols_done, &ph, why, why_len)
             : run_panels(e, job, plan, &L, kernel, cols_done, &unfit, &ph, why, why_len);
  g590_cl_link_settle(e);
  double copy_ms = e->link_copy_ms;
  if (e->trace_n) {
    char label[96];
    snprintf(label, sizeof label, "%s %lldx%lldx%lld", job->entry, (long long)job->m,
             (long long)job->n, (long long)job->k);
    g590_cl_trace_print(e, label);
  }
  pthread_mutex_unlock(&e->lock);
  double total_ms = g590_cl_now_ms() - start;
  if (unfit && job->type == G590_F32 && job->fp16_ok) {
    /* The opt-in never costs accuracy on data binary16 cannot hold: the
     * call runs in float32 instead (on the device if the selector says so). */
    g590_job fp32 = *job;
    fp32.fp16_ok = false;
    g590_plan plan32;
    if (!g590_select(&fp32, &e->info, &plan32, why, why_len)) return G590_NOT_HANDLED;
    g590_status st = g590_cl_run(e, &fp32, &plan32, cols_done, what, what_len, why, why_len);
    if (st == G590_HANDLED)
      snprintf(what + strlen(what), what_len - strlen(what),
               " fp16=\"inputs outside binary16: float32\"");
    return st;
  }
  if (!ok) return G590_NOT_HANDLED;
  bool f16 = job->type == G590_F16;
  char slices[48] = "";
  if (L.slices > 1)
    snprintf(slices, sizeof slices, " slices=%lldx%lld", (long long)L.slices,
             (long long)L.slice_k);
  snprintf(what, what_len,
           "kernel=%s params=\"%s\" rule=\"%s\" program=%s device=\"%s\" devices=%s%s%s "
           "panels=%lld%s ms=%.3f+%.3f+%.3f/%.3f staging_copy_ms=%.3f%s",
           plan->family->name, params, plan->rule, origin, e->info.name, e->index,
           f16 ? " c=binary16" : "", f16 && L.r.ab_widen ? " widened=device" : "",
           (long long)L.panels, slices, ph.upload_ms, ph.kernel_ms, ph.download_ms, total_ms,
           copy_ms, !f16 && plan->half_operands ? " operands=binary16" : "");
  return G590_HANDLED;
}
