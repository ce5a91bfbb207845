/* The device path of one SGEMM: plan, stage operands, launch, read back.
 *
 * Operands are copied into dense device buffers (leading dimension = rows,
 * or padded to whole tiles) by the host link (lib/cl_link.c), which reads
 * exactly the caller's rows x cols block and never past it.  C reaches the
 * caller's memory only after the kernel finished, column by column: a
 * failure leaves every column either final or untouched. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static bool ensure_buffer(g590_engine *e, g590_buffer *buf, size_t bytes, char *why,
                          size_t why_len) {
  if (buf->mem && buf->bytes >= bytes) return true;
  if (buf->mem) clReleaseMemObject(buf->mem);
  buf->mem = NULL;
  buf->bytes = 0;
  cl_int err = CL_SUCCESS;
  cl_mem mem = g590_fault("clCreateBuffer")
                   ? (err = CL_MEM_OBJECT_ALLOCATION_FAILURE, NULL)
                   : clCreateBuffer(e->context, CL_MEM_READ_WRITE, bytes, NULL, &err);
  if (g590_cl_failed(err, "clCreateBuffer", why, why_len)) return false;
  buf->mem = mem;
  buf->bytes = bytes;
  return true;
}

bool g590_staging(g590_engine *e, size_t bytes, char *why, size_t why_len) {
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

/* Kernel arguments: dimensions as the kernel sees them (padded for
 * padded families), leading dimensions of the device copies. */
static bool set_args(cl_kernel k, const g590_call *call, int m, int n, int kk, int lda, int ldb,
                     int ldc, cl_mem a, cl_mem b, cl_mem c, char *why, size_t why_len) {
  struct { size_t size; const void *value; } args[] = {
      {sizeof m, &m},          {sizeof n, &n},   {sizeof kk, &kk}, {sizeof(float), &call->alpha},
      {sizeof(cl_mem), &a},    {sizeof lda, &lda}, {sizeof(cl_mem), &b}, {sizeof ldb, &ldb},
      {sizeof(float), &call->beta}, {sizeof(cl_mem), &c}, {sizeof ldc, &ldc}};
  for (cl_uint i = 0; i < sizeof args / sizeof args[0]; i++) {
    cl_int err = G590_CL("clSetKernelArg", clSetKernelArg(k, i, args[i].size, args[i].value));
    if (g590_cl_failed(err, "clSetKernelArg", why, why_len)) return false;
  }
  return true;
}

/* Runs the planned kernel with the engine lock held and copies C back;
 * see g590_link_download for *cols_done.  *unfit is set (and false
 * returned) when a binary16 family meets values binary16 cannot hold. */
static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

/* Wall-clock phases of one device call, for the verbose line. */
typedef struct phases {
  double upload_ms, kernel_ms, download_ms;
} phases;

static bool run_locked(g590_engine *e, const g590_call *call, const g590_plan *plan,
                       const operand *a, const operand *b, const operand *c, int64_t *cols_done,
                       bool *unfit, phases *ph, const char **origin, char *why,
                       size_t why_len) {
  const g590_family *f = plan->family;
  char options[256];
  snprintf(options, sizeof options, "%s -DTRANS_A=%d -DTRANS_B=%d -DBETA_ZERO=%d", plan->defines,
           call->trans_a, call->trans_b, call->beta == 0.0f);
  cl_kernel kernel = g590_program_kernel(e, f->name, options, origin, why, why_len);
  if (!kernel) return false;

  size_t eb = (size_t)f->operand_bytes;
  if ((eb == 2 && !g590_staging(e, (dev_elems(a) + dev_elems(b)) * 2, why, why_len)) ||
      !ensure_buffer(e, &e->a, dev_elems(a) * eb, why, why_len) ||
      !ensure_buffer(e, &e->b, dev_elems(b) * eb, why, why_len) ||
      !ensure_buffer(e, &e->c, dev_elems(c) * sizeof(float), why, why_len))
    return false;

  bool ok;
  double t0 = now_ms();
  if (eb == 2) {
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
      err = clEnqueueWriteBuffer(e->queue, e->b.mem, CL_FALSE, 0, dev_elems(b) * 2, hb, 0, NULL,
                                 NULL);
    ok = !g590_cl_failed(err, "clEnqueueWriteBuffer", why, why_len);
  } else {
    ok = zero_padding(e, e->a.mem, a, why, why_len) && zero_padding(e, e->b.mem, b, why, why_len) &&
         g590_link_upload(e, e->a.mem, a, why, why_len) &&
         g590_link_upload(e, e->b.mem, b, why, why_len);
  }
  /* beta = 0: C is never read, so it is not sent either; its padding is
   * never copied back, so it needs no clearing. */
  if (ok && call->beta != 0.0f) ok = g590_link_upload(e, e->c.mem, c, why, why_len);
  int km = (int)c->dev_rows, kn = (int)c->dev_cols;
  int kk = (int)(call->trans_a ? a->dev_rows : a->dev_cols);
  ok = ok && set_args(kernel, call, km, kn, kk, (int)a->dev_rows, (int)b->dev_rows, km, e->a.mem,
                      e->b.mem, e->c.mem, why, why_len);
  double t1 = now_ms();
  if (ok) {
    size_t global[2] = {round_up(km, plan->tile[0]) / plan->tile[0] * plan->local[0],
                        round_up(kn, plan->tile[1]) / plan->tile[1] * plan->local[1]};
    cl_int err = G590_CL("clEnqueueNDRangeKernel",
                         clEnqueueNDRangeKernel(e->queue, kernel, 2, NULL, global, plan->local, 0,
                                                NULL, NULL));
    ok = !g590_cl_failed(err, "clEnqueueNDRangeKernel", why, why_len);
  }
  if (ok) {
    cl_int err = G590_CL("clFinish", clFinish(e->queue));
    ok = !g590_cl_failed(err, "clFinish", why, why_len);
  }
  double t2 = now_ms();
  ok = ok && g590_link_download(e, e->c.mem, c, call->c, cols_done, why, why_len);
  if (!ok) clFinish(e->queue); /* nothing queued may still touch host memory */
  /* Uploads are queued without waiting: their tail is in the kernel phase. */
  *ph = (phases){t1 - t0, t2 - t1, now_ms() - t2};
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
  uint64_t eb = (uint64_t)plan->family->operand_bytes;
  if (dev_elems(&a) * eb > e->info.max_alloc || dev_elems(&b) * eb > e->info.max_alloc ||
      dev_elems(&c) * 4 > e->info.max_alloc || c.dev_rows > INT_MAX || c.dev_cols > INT_MAX ||
      a.dev_rows > INT_MAX || a.dev_cols > INT_MAX) {
    snprintf(why, why_len, "operand larger than the device's largest buffer");
    return G590_NOT_HANDLED;
  }
  const char *origin = "";
  bool unfit = false;
  phases ph = {0, 0, 0};
  pthread_mutex_lock(&e->lock);
  bool ok = run_locked(e, call, plan, &a, &b, &c, cols_done, &unfit, &ph, &origin, why, why_len);
  pthread_mutex_unlock(&e->lock);
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
           "ms=%.3f+%.3f+%.3f",
           plan->family->name, plan->defines, plan->rule, origin, e->info.name, ph.upload_ms,
           ph.kernel_ms, ph.download_ms);
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
