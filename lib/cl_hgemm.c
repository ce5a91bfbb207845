/* The device path of gemm590_hgemm.
 *
 * A, B and C are binary16 on both sides, so they cross the host link as
 * they are (half the bytes of float32) into dense device copies (leading
 * dimension = rows).  Then either the fp16_mixed kernel, built with
 * -DC_HALF=1, reads them and reads and writes C as binary16; or, when the
 * selector picks a float32 family (the fast ones), kernels/convert.cl
 * widens them on the device into that family's float32 layout, the family
 * runs, and C is narrowed back with one rounding.  Like the float32 link (lib/cl_link.c,
 * whose functions move float columns only), large transfers go through two
 * pinned chunks: host threads pack whole columns into one while the DMA of
 * the other is in flight, since pageable copies crawl (about 8 GB/s
 * against 55 GB/s pinned on the H100 host).  C reaches the caller's memory
 * only after the kernel finished, whole columns at a time: after a failure
 * every column is either final or untouched. */
#include <limits.h>
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
  int64_t per_chunk = (int64_t)(CHUNK_BYTES / row_bytes);
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
  int64_t per_chunk = (int64_t)(CHUNK_BYTES / row_bytes);
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

/* GEMM kernel arguments (every family takes the same): dimensions as
 * the kernel sees them, device buffers and their leading dimensions. */
static bool set_gemm_args(cl_kernel k, const g590_call *s, int m, int n, int kk, cl_mem a,
                          int lda, cl_mem b, int ldb, cl_mem c, int ldc, char *why,
                          size_t why_len) {
  struct { size_t size; const void *value; } args[] = {
      {sizeof m, &m},         {sizeof n, &n},           {sizeof kk, &kk},
      {sizeof(float), &s->alpha}, {sizeof(cl_mem), &a}, {sizeof lda, &lda},
      {sizeof(cl_mem), &b},   {sizeof ldb, &ldb},       {sizeof(float), &s->beta},
      {sizeof(cl_mem), &c},   {sizeof ldc, &ldc}};
  for (cl_uint i = 0; i < sizeof args / sizeof args[0]; i++) {
    cl_int err = G590_CL("clSetKernelArg", clSetKernelArg(k, i, args[i].size, args[i].value));
    if (g590_cl_failed(err, "clSetKernelArg", why, why_len)) return false;
  }
  return true;
}

/* The float32-family path: binary16 up, widened on the device into the
 * family's (padded) float32 layout, the family's kernel, C narrowed on the
 * device, binary16 down.  Engine lock held; see download for *cols_done. */
static bool run_widened(g590_engine *e, const g590_hcall *call, const g590_plan *plan,
                        int64_t *cols_done, const char **origin, char *why, size_t why_len) {
  const g590_call *s = &call->shape;
  char options[256];
  snprintf(options, sizeof options, "%s -DTRANS_A=%d -DTRANS_B=%d -DBETA_ZERO=%d", plan->defines,
           s->trans_a, s->trans_b, s->beta == 0.0f);
  cl_kernel gemm = g590_program_kernel(e, plan->family->name, options, origin, why, why_len);
  if (!gemm) return false;

  /* Stored shapes, and their float32 copies padded as the family wants. */
  bool pad = plan->family->padded;
  size_t um = pad ? plan->tile[0] : 1, un = pad ? plan->tile[1] : 1, uk = pad ? plan->tile[2] : 1;
  int64_t a_rows = s->trans_a ? s->k : s->m, a_cols = s->trans_a ? s->m : s->k;
  int64_t b_rows = s->trans_b ? s->n : s->k, b_cols = s->trans_b ? s->k : s->n;
  size_t ar = round_up(a_rows, s->trans_a ? uk : um), ac = round_up(a_cols, s->trans_a ? um : uk);
  size_t br = round_up(b_rows, s->trans_b ? un : uk), bc = round_up(b_cols, s->trans_b ? uk : un);
  size_t cr = round_up(s->m, um), cc = round_up(s->n, un);
  size_t kk = s->trans_a ? ar : ac;
  if (ar > INT_MAX || ac > INT_MAX || br > INT_MAX || bc > INT_MAX || cr > INT_MAX ||
      cc > INT_MAX || ar * ac * 4 > e->info.max_alloc || br * bc * 4 > e->info.max_alloc ||
      cr * cc * 4 > e->info.max_alloc) {
    snprintf(why, why_len, "operand larger than the device's largest buffer");
    return false;
  }
  if (!g590_buffer_ensure(e, &e->h[0], half_bytes(a_rows, a_cols), why, why_len) ||
      !g590_buffer_ensure(e, &e->h[1], half_bytes(b_rows, b_cols), why, why_len) ||
      !g590_buffer_ensure(e, &e->h[2], half_bytes(s->m, s->n), why, why_len) ||
      !g590_buffer_ensure(e, &e->a, ar * ac * 4, why, why_len) ||
      !g590_buffer_ensure(e, &e->b[0], br * bc * 4, why, why_len) ||
      !g590_buffer_ensure(e, &e->c[0], cr * cc * 4, why, why_len))
    return false;

  transfers t = {e, {NULL, NULL}, 0};
  bool ok = upload(&t, e->h[0].mem, call->a, a_rows, a_cols, s->lda, why, why_len) &&
            upload(&t, e->h[1].mem, call->b, b_rows, b_cols, s->ldb, why, why_len);
  /* beta = 0: C is never read, so it is not sent either. */
  if (ok && s->beta != 0.0f)
    ok = upload(&t, e->h[2].mem, call->c, s->m, s->n, s->ldc, why, why_len);
  ok = ok &&
       g590_convert_on_device(e, false, e->h[0].mem, a_rows, e->a.mem, (int64_t)ar, a_rows,
                              a_cols, ar, ac, why, why_len) &&
       g590_convert_on_device(e, false, e->h[1].mem, b_rows, e->b[0].mem, (int64_t)br, b_rows,
                              b_cols, br, bc, why, why_len);
  if (ok && s->beta != 0.0f)
    ok = g590_convert_on_device(e, false, e->h[2].mem, s->m, e->c[0].mem, (int64_t)cr, s->m,
                                s->n, cr, cc, why, why_len);
  ok = ok && set_gemm_args(gemm, s, (int)cr, (int)cc, (int)kk, e->a.mem, (int)ar, e->b[0].mem,
                           (int)br, e->c[0].mem, (int)cr, why, why_len);
  if (ok) {
    size_t global[2] = {round_up((int64_t)cr, plan->tile[0]) / plan->tile[0] * plan->local[0],
                        round_up((int64_t)cc, plan->tile[1]) / plan->tile[1] * plan->local[1]};
    cl_int err = G590_CL("clEnqueueNDRangeKernel",
                         clEnqueueNDRangeKernel(e->queue, gemm, 2, NULL, global, plan->local, 0,
                                                NULL, NULL));
    ok = !g590_cl_failed(err, "clEnqueueNDRangeKernel", why, why_len);
  }
  ok = ok && g590_convert_on_device(e, true, e->c[0].mem, (int64_t)cr, e->h[2].mem, s->m, s->m,
                                    s->n, 0, 0, why, why_len);
  /* The queue is in order: the narrowing's end is everything's end.  (Not
   * a GEMM590_FAULT site: test/device injects faults through SGEMM calls,
   * which never reach this one.) */
  if (ok) ok = !g590_cl_failed(clFinish(e->queue), "clFinish", why, why_len);
  ok = transfers_wait(&t, why, why_len) && ok;
  ok = ok && download(&t, e->h[2].mem, call->c, s->m, s->n, s->ldc, cols_done, why, why_len);
  if (!ok) clFinish(e->queue); /* nothing queued may still touch host memory */
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
  ok = ok && set_gemm_args(kernel, s, (int)s->m, (int)s->n, (int)s->k, a, (int)a_rows, b,
                           (int)b_rows, c, (int)s->m, why, why_len);
  cl_event done = NULL;
  if (ok) {
    size_t global[2] = {round_up(s->m, plan->tile[0]) / plan->tile[0] * plan->local[0],
                        round_up(s->n, plan->tile[1]) / plan->tile[1] * plan->local[1]};
    cl_int err = G590_CL("clEnqueueNDRangeKernel",
                         clEnqueueNDRangeKernel(e->queue, kernel, 2, NULL, global, plan->local, 0,
                                                NULL, &done));
    ok = !g590_cl_failed(err, "clEnqueueNDRangeKernel", why, why_len);
  }
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
   * binary16 value is a float32 value), the host where it says host;
   * fp16_mixed when GEMM590_KERNEL forces it. */
  if (!g590_select(s, &e->info, &plan, why, why_len)) return G590_NOT_HANDLED;
  /* Kernel indices and leading dimensions are 32-bit. */
  if (s->m > INT_MAX || s->n > INT_MAX || s->k > INT_MAX) {
    snprintf(why, why_len, "dimension beyond 32-bit kernel indices");
    return G590_NOT_HANDLED;
  }
  int64_t a_elems = s->m * s->k, b_elems = s->k * s->n, c_elems = s->m * s->n;
  uint64_t max_alloc = e->info.max_alloc;
  if ((uint64_t)a_elems * 2 > max_alloc || (uint64_t)b_elems * 2 > max_alloc ||
      (uint64_t)c_elems * 2 > max_alloc) {
    snprintf(why, why_len, "operand larger than the device's largest buffer");
    return G590_NOT_HANDLED;
  }
  const char *origin = "";
  bool widened = plan.family->operand_bytes == 4;
  pthread_mutex_lock(&e->lock);
  bool ok = widened ? run_widened(e, call, &plan, cols_done, &origin, why, why_len)
                    : run_locked(e, call, &plan, cols_done, &origin, why, why_len);
  pthread_mutex_unlock(&e->lock);
  if (!ok) return G590_NOT_HANDLED;
  snprintf(what, what_len,
           "kernel=%s params=\"%s\" rule=\"%s\" program=%s device=\"%s\" c=binary16%s",
           plan.family->name, plan.defines, plan.rule, origin, e->info.name,
           widened ? " widened=device" : "");
  return G590_HANDLED;
}
