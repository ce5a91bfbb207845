/* The OpenCL engine: one device, context and queue per process, shared by
 * all threads.  Device calls are serialised by `lock` (one in-order queue:
 * the GPU runs one SGEMM at a time anyway, and the reused buffers and
 * staging memory stay consistent); host-path calls never take it. */
#ifndef G590_CL_ENGINE_H
#define G590_CL_ENGINE_H

#include <CL/cl.h>
#include <CL/cl_ext.h>
#include <pthread.h>

#include "g590.h"
#include "select.h"

typedef struct g590_program g590_program;

typedef struct g590_buffer {
  cl_mem mem;
  size_t bytes;
} g590_buffer;

/* A pinned host staging chunk: a buffer allocated by the driver in host
 * memory, mapped once for the life of the engine. */
typedef struct g590_pinned {
  cl_mem mem;
  void *host;
  cl_event pending; /* the upload still reading the chunk, or NULL (lib/cl/link.c) */
} g590_pinned;

/* An operand on its way across the host link: as stored in the caller's
 * memory (rows x cols elements of host_bytes, column-major, leading
 * dimension ld), and the layout of its device copy (leading dimension
 * dev_rows), larger when the kernel family wants whole tiles.  With
 * to_half, float32 data cross as binary16 (converted while staged), so
 * the device copy holds 2-byte elements. */
typedef struct g590_operand {
  const void *data;
  int64_t rows, cols, ld;
  size_t host_bytes;
  bool to_half;
  size_t dev_rows, dev_cols;
  /* A syrk's C on its way back: only the rows g590_job_rows names for
   * column col0 + j reach the caller (0: every row). */
  char triangle;          /* 0, 'U' or 'L' */
  int64_t col0;
  /* The device copy starts this many columns (of dev_rows elements) into
   * its buffer: a syrk's K slices of A side by side in one buffer. */
  size_t dev_col0;
} g590_operand;

/* C panels the device holds at once: two alternate in a gemm; a syrk whose
 * A crosses in K slices keeps every panel (lib/cl/pipeline.c). */
#define G590_CL_C_SLOTS 8

/* One step of a traced device call (GEMM590_VERBOSE=2, lib/cl/trace.c):
 * `what` (a string literal), its start after the call's start and its
 * length, ms. */
typedef struct g590_cl_trace_step {
  const char *what;
  double at, ms;
} g590_cl_trace_step;
#define G590_CL_TRACE_MAX 4096

typedef struct g590_engine {
  char index[24];           /* "P:D": platform and device index, as GEMM590_DEVICE takes it */
  cl_platform_id platform;
  cl_device_id device;
  cl_context context;
  cl_command_queue queue;
  g590_device_info info;
  double floor_mnk;         /* below this M*N*K the selector never picks the device */
  pthread_mutex_t lock;     /* held for the whole device part of a call */
  g590_program *programs;   /* in-memory program cache (under lock) */
  cl_command_queue kernel_queue; /* kernels; `queue` carries the transfers */
  g590_buffer a;            /* device operands, grown as needed (under lock); */
  g590_buffer b[2];         /* op(B) in two slots: column panels alternate (sliced: op(B)
                             * whole in b[0], a transposed A's turned slices in b[1]) */
  g590_buffer c[G590_CL_C_SLOTS]; /* C panels: slots 0 and 1 alternate, or one per panel */
  g590_buffer h[3];         /* binary16 A, B and C panels on their way to be widened */
  g590_buffer split;        /* split-K partial products (lib/cl/launch.c) */
  void *staging;            /* pageable host staging: half operands, small C read-backs */
  size_t staging_bytes;
  g590_pinned pinned[2];    /* double-buffered pinned chunks of the host link */
  int pinned_next;          /* the chunk the next upload fills first: the one used longer ago */
  double link_copy_ms;      /* host time in staging copies during the current call */
  g590_cl_trace_step *trace; /* the current call's steps when traced (under lock) */
  int trace_n, trace_lost;
  double trace_start;
} g590_engine;

/* The engine, initialised on first use; NULL with `why` set when no device
 * can serve (no platform, GEMM590_DEVICE matched nothing, init failed,
 * forked child). */
g590_engine *g590_cl_engine_get(char *why, size_t why_len);

/* Every engine of the process (engine 0 first), or 0 when none can serve:
 * the devices a large product is split across (lib/cl/split.c). */
int g590_cl_engines(g590_engine **list);

/* Programs built from source so far in this process (lib/cl/program.c):
 * a call during which it grew spent part of its time compiling. */
extern _Atomic unsigned long g590_cl_programs_built;

/* Teardown at unload (lib/core/unload.c): the engine's buffers, pinned chunks
 * and staging; its program cache; the copy pool's threads. */
void g590_cl_buffers_release(g590_engine *e);
void g590_cl_programs_release(g590_engine *e);
void g590_cl_copy_pool_stop(void);

/* Checks an OpenCL result: on failure logs "<call>: <error name>" when
 * verbose, writes "error: <call> <error name>" to why, returns true. */
bool g590_cl_failed(cl_int err, const char *call, char *why, size_t why_len);
const char *g590_cl_error_name(cl_int err);

/* Fault injection (GEMM590_FAULT=<OpenCL function name>): true when the
 * named call site must fail instead of calling OpenCL. */
bool g590_cl_fault(const char *call);

/* Runs `expr` unless a fault is injected for `name`, yielding its cl_int. */
#define G590_CL(name, expr) (g590_cl_fault(name) ? CL_OUT_OF_RESOURCES : (expr))
/* The same for the calls that return an object and their error through
 * `err`: a fault yields NULL with `err` set to `code`. */
#define G590_CL_OBJECT(name, err, code, expr) \
  (g590_cl_fault(name) ? ((err) = (code), NULL) : (expr))

/* The kernel for (family, options), built or loaded from the caches.
 * `origin` says where it came from ("memory", "disk", "built").
 * Requires the engine lock. */
cl_kernel g590_cl_program_kernel(g590_engine *e, const char *family, const char *options,
                              const char **origin, char *why, size_t why_len);
/* Grows e->staging to at least `bytes` (under the lock). */
bool g590_cl_staging(g590_engine *e, size_t bytes, char *why, size_t why_len);
/* Grows a device buffer to at least `bytes` (contents not kept). */
bool g590_cl_buffer_ensure(g590_engine *e, g590_buffer *buf, size_t bytes, char *why,
                        size_t why_len);

/* GEMM590_VERBOSE=2 (lib/cl/trace.c, under the lock): starts a call's
 * timeline; records one step from t0 to t1 (g590_cl_now_ms); prints the
 * call's sums and steps to stderr after `label`. */
void g590_cl_trace_begin(g590_engine *e);
void g590_cl_trace(g590_engine *e, const char *what, double t0, double t1);
void g590_cl_trace_print(g590_engine *e, const char *label);

/* Host time of one device call, for the verbose line: uploading (and
 * queueing conversions), waiting for kernels, and downloading. */
typedef struct g590_phases {
  double upload_ms, kernel_ms, download_ms;
} g590_phases;
/* Milliseconds on the monotonic clock (lib/cl/link.c). */
double g590_cl_now_ms(void);

/* ---- kernel launches (lib/cl/launch.c), under the engine lock ---- */
/* The arguments every GEMM kernel takes: sizes as the kernel sees them
 * (padded for padded families), device operands and leading dimensions. */
typedef struct g590_gemm_args {
  int m, n, k;
  double alpha, beta;     /* passed as the kernel's real_t: float, or double when f64 */
  cl_mem a, b, c;
  int lda, ldb, ldc;
  bool f64;               /* a float64 job (plan->f64) */
  int col0;               /* syrk families: the launch's first column of op(B) */
  int64_t a_off, b_off;   /* syrk families: elements before op(A) and op(B) in their
                           * buffers: the K slice a launch reads (0: whole operands) */
} g590_gemm_args;
/* Sets the first n arguments of kernel k: values[i], sizes[i] bytes. */
bool g590_cl_set_args(cl_kernel k, const void *const *values, const size_t *sizes, cl_uint n,
                      char *why, size_t why_len);
/* Sets the arguments of `kernel` (built from plan's family and defines)
 * and queues it on `q` over the m x n C, after `wait` (may be NULL).  A
 * plan with plan->splits > 1 runs split K: the slices into e->split, then
 * kernels/splitk_sum.cl into C.  *done (may be NULL) is the last kernel's
 * event. */
bool g590_cl_gemm_enqueue(g590_engine *e, cl_command_queue q, cl_kernel kernel,
                       const g590_plan *plan, const g590_gemm_args *g, cl_event wait,
                       cl_event *done, char *why, size_t why_len);

/* ---- the host link (lib/cl/link.c), under the engine lock ---- */
/* Maps the two pinned chunks e->pinned once (GEMM590_LINK_CHUNK bytes
 * each); false when the device cannot give them. */
bool g590_cl_pinned_ensure(g590_engine *e, char *why, size_t why_len);
/* Queues the copy of operand x into `dst` (laid out dev_rows x dev_cols).
 * The caller's memory may be read until the queue finishes (the pinned
 * chunks: until g590_cl_link_settle or the next upload reuses them).  With
 * x->to_half, *fits is false (and false returned) when some value does
 * not fit binary16 (see g590_host_pack_half); fits may be NULL otherwise. */
bool g590_cl_link_upload(g590_engine *e, cl_mem dst, const g590_operand *x, bool *fits,
                      char *why, size_t why_len);
/* Waits for `ev` (a transfer or a kernel), timed in the trace as `what`;
 * false with `why` when it failed. */
bool g590_cl_wait(g590_engine *e, cl_event ev, const char *what, char *why, size_t why_len);
/* Waits for the uploads still reading the pinned chunks and lets their
 * events go: the end of every device call (an upload returns once its
 * last chunk is queued, so the next one packs while that chunk crosses). */
void g590_cl_link_settle(g590_engine *e);
/* Copies `count` consecutive column panels of C back to the caller: panel
 * p, the c[p].rows x c[p].cols block of src[p] (laid out as c[p]'s device
 * copy), into c[p].data (leading dimension c[p].ld), read once ready[p]
 * (ready may be NULL, or an entry NULL: at once) completed.  *cols_done
 * counts leading columns of all the panels already final; on failure the
 * others are untouched, unless `overwritable` (beta = 0: the host
 * recomputes them without reading them) lets a small panel be read
 * straight into the caller's memory.  At most G590_CL_C_SLOTS panels. */
bool g590_cl_link_download(g590_engine *e, int count, const cl_mem *src, const g590_operand *c,
                           const cl_event *ready, bool overwritable, int64_t *cols_done,
                           char *why, size_t why_len);
/* memcpy of `cols` columns of `row_bytes`, split across host threads when large. */
void g590_cl_copy_columns(void *dst, size_t dst_pitch, const void *src, size_t src_pitch,
                       size_t row_bytes, int64_t cols);
/* The same converting rows x cols floats to binary16 (pitches in bytes);
 * false when some value does not fit binary16 (see g590_host_pack_half). */
bool g590_cl_pack_half_columns(uint16_t *dst, size_t dst_pitch, const float *src, size_t src_pitch,
                            int64_t rows, int64_t cols);
/* Queues on `q`, after `wait` (may be NULL), the kernels/transpose.cl
 * launch that writes dst (cols x rows, ld dst_ld, from element dst_off)
 * = src^T (rows x cols, ld src_ld, from src_off), elements of float64
 * when f64, else float32 (lib/cl/transpose.c). */
bool g590_cl_transpose_on_device(g590_engine *e, cl_command_queue q, cl_event wait, bool f64,
                                 cl_mem src, int64_t src_off, int src_ld, cl_mem dst,
                                 int64_t dst_off, int dst_ld, int rows, int cols, char *why,
                                 size_t why_len);
/* Queues a kernels/convert.cl launch (widen: dense binary16 rows x cols
 * into float32 dst_rows x dst_cols with zero padding; narrow: float32 into
 * binary16 rows x cols). */
bool g590_cl_convert_on_device(g590_engine *e, bool narrow, cl_mem src, int64_t src_ld, cl_mem dst,
                            int64_t dst_ld, int64_t rows, int64_t cols, size_t dst_rows,
                            size_t dst_cols, char *why, size_t why_len);

/* ---- the device pipeline (lib/cl/pipeline.c) ---- */
/* Runs one job with a given plan (the device half of g590_cl_job;
 * benchmarks and the tuner call it to time each family end to end). */
g590_status g590_cl_run(g590_engine *e, const g590_job *job, const g590_plan *plan,
                            int64_t *cols_done, char *what, size_t what_len, char *why,
                            size_t why_len);

#endif
