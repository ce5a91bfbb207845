/* Internal interfaces of libgemm590 (prefix g590_).  Nothing here is
 * exported: the version script (lib/api/exports.map) lists the public API. */
#ifndef G590_H
#define G590_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gemm590.h"

/* The element type of a job's operands in the caller's memory. */
typedef enum { G590_F32 = 0, G590_F16 = 1, G590_F64 = 2 } g590_type;
/* The operation of a job.  A syrk job is the gemm of op(A) with its own
 * transpose restricted to one triangle of C: B = A, trans_b = !trans_a,
 * ldb = lda, m = n; `upper` names the triangle, the other is never
 * written. */
typedef enum { G590_GEMM = 0, G590_SYRK = 1 } g590_op;

/* One call after argument checking (lib/api/), whatever its entry point
 * and element type, normalised to column-major:
 * C(m x n) = alpha * op(A)(m x k) * op(B)(k x n) + beta * C.
 * Row-major calls arrive here as the transposed problem C^T = B^T A^T.
 * All sizes are 64-bit so that lda * n past 2^31 elements is safe.  The
 * data pointers are untyped: code that reads them names the type it
 * serves (lib/meson.build turns void-pointer arithmetic into an error). */
typedef struct g590_job {
  g590_op op;
  g590_type type;
  bool fp16_ok;           /* float32 data may cross as binary16 (math mode fp16, or binary16 data) */
  bool tf32_ok;           /* float32 products may round A and B to TF32 on tensor cores (math mode tf32) */
  const char *entry;      /* entry point name for logs: "cblas_sgemm", "sgemm_", ... */
  char layout;            /* 'R' or 'C' as the caller gave it (logs only) */
  char user_ta, user_tb;  /* caller's transposes 'N'/'T'/'C' (logs only) */
  int64_t user_m, user_n; /* caller's M and N (logs only) */
  bool trans_a, trans_b;  /* normalised: op(X) = X^T ('C' is 'T' for real data) */
  int64_t m, n, k;
  double alpha, beta;     /* exact for every element type's scalars */
  const void *a;
  int64_t lda;
  const void *b;
  int64_t ldb;
  void *c;
  int64_t ldc;
  bool upper;             /* syrk: the upper triangle of C (normalised to column-major) */
  char user_uplo;         /* syrk: caller's 'U'/'L' (logs only) */
  /* The path to take instead of the selector's (the online choice,
   * lib/core/adapt.c; the regret bench): family NULL is the host.  NULL:
   * the selector decides.  pick_rule names it in the verbose line. */
  const struct g590_choice *pick;
  const char *pick_rule;
} g590_job;

/* Bytes of one element of `type` in the caller's memory. */
static inline size_t g590_type_bytes(g590_type type) {
  return type == G590_F16 ? 2 : type == G590_F64 ? 8 : 4;
}

/* The rows [*i0, *i1) of column j of C that a job writes: all m for a
 * gemm, the named triangle (diagonal included) for a syrk. */
static inline void g590_job_rows(const g590_job *job, int64_t j, int64_t *i0, int64_t *i1) {
  bool syrk = job->op == G590_SYRK;
  *i0 = syrk && !job->upper ? j : 0;
  *i1 = syrk && job->upper ? j + 1 : job->m;
}

/* Thread-local state read on every call.  The initial-exec model is one
 * load off the thread pointer, where the default for a shared library
 * calls __tls_get_addr; it takes a few bytes of the static TLS surplus
 * that glibc keeps for libraries loaded with dlopen. */
#define G590_THREAD_LOCAL _Thread_local __attribute__((tls_model("initial-exec")))
/* The host lane's helpers (lib/api/lane.h) are inlined whatever GCC's
 * heuristics say: a call left in an entry point gives it a stack frame
 * (GCC 12 left two in the Fortran entries). */
#define G590_INLINE inline __attribute__((always_inline))

/* Runs init() once per process (pthread_once) and afterwards costs one
 * acquire load, inlined: `done` is set once `once` has run.  For the
 * state every call reads (configuration, device, host BLAS), where even
 * the call into pthread_once showed in the per-call cost. */
static inline void g590_once(_Atomic bool *done, pthread_once_t *once, void (*init)(void)) {
  if (__builtin_expect(atomic_load_explicit(done, memory_order_acquire), 1)) return;
  pthread_once(once, init);
  atomic_store_explicit(done, true, memory_order_release);
}

/* ---- configuration (lib/core/config.c), read once from GEMM590_* ---- */
typedef struct g590_config {
  bool verbose;               /* GEMM590_VERBOSE */
  bool trace;                 /* GEMM590_VERBOSE=2: each device call's timeline too */
  bool disable_device;        /* GEMM590_DISABLE_DEVICE */
  const char *fallback_lib;   /* GEMM590_FALLBACK_LIB, NULL = build default */
  const char *device;         /* GEMM590_DEVICE, NULL = first GPU */
  const char *kernel;         /* GEMM590_KERNEL, NULL = selector decides */
  const char *cache_dir;      /* GEMM590_CACHE_DIR, NULL = XDG default */
  const char *fault;          /* GEMM590_FAULT: test hook, fail this OpenCL step */
  double min_device_flops;    /* GEMM590_MIN_DEVICE_FLOPS: below this, host */
  bool min_device_flops_set;  /* ... given explicitly: the rules decide, not the table */
  const char *table;          /* GEMM590_TABLE: a table file, or "off"; NULL = cache dir's */
  size_t link_chunk_bytes;    /* GEMM590_LINK_CHUNK: pinned staging chunk size */
  uint64_t max_buffer;        /* GEMM590_MAX_BUFFER: caps the device's largest buffer (tests); 0 = no cap */
  int link_threads;           /* GEMM590_LINK_THREADS: host threads per staging copy */
  int syrk_slices;            /* GEMM590_SYRK_SLICES: K slices of a large syrk's A (1: A whole) */
  int gemm_slices;            /* GEMM590_GEMM_SLICES: K slices of a large gemm's A and B (1: panels) */
  bool turn_a;                /* GEMM590_TURN_A: a transposed A's slices turned on the device */
  int math;                   /* GEMM590_MATH=fp16 or tf32: the process default (enum gemm590_math) */
  int adapt;                  /* GEMM590_ADAPT: 1 learn on any device, 0 never, -1 unset */
} g590_config;

/* Read once by g590_config_read; every call reads it (g590_once). */
extern g590_config g590_config_values;
extern _Atomic bool g590_config_ready;
extern pthread_once_t g590_config_once;
void g590_config_read(void);
static inline const g590_config *g590_config_get(void) {
  g590_once(&g590_config_ready, &g590_config_once, g590_config_read);
  return &g590_config_values;
}

/* ---- unload (lib/core/unload.c): each part gives back what it holds ---- */
void g590_config_release(void);    /* lib/core/config.c */
void g590_api_counters_release(void);  /* lib/api/counters.c: the per-thread counters' exit key */
void g590_host_release(void);      /* lib/host/blas.c: the host BLAS handle */
void g590_host_workspaces_release(void); /* lib/host/hgemm.c */
void g590_cl_release(void);    /* OpenCL objects, the copy pool, the user table */
void g590_adapt_release(void);     /* lib/core/adapt_file.c: what the online choice learned */
void g590_unload_arm(void);        /* lib/core/unload.c: at the first call, tells exit from dlclose */

/* ---- math mode (lib/api/math_mode.c) ---- */
/* This thread's math mode for float32 calls (enum gemm590_math, never DEFAULT). */
int g590_api_math(void);

/* ---- argument checks (lib/api/args.c) ---- */
/* Checks a CBLAS-style GEMM (netlib numbering) and fills the normalised
 * shape and operands of *job: everything but op, type, fp16_ok, entry,
 * alpha, beta and c.  Returns 0 when valid, else the number to report with
 * g590_api_report_cblas.  *swapped is set for row-major calls: the caller's B
 * is then the normalised A and its A the normalised B (C^T = B^T A^T). */
int g590_api_cblas_job(g590_job *job, int layout, int transa, int transb, int64_t m, int64_t n,
                   int64_t k, const void *a, int64_t lda, const void *b, int64_t ldb, int64_t ldc,
                   bool *swapped);
/* The same for a Fortran GEMM (reference numbering: 1 transa, 2 transb,
 * then as lib/api/args.c check_fortran). */
int g590_api_fortran_job(g590_job *job, char transa, char transb, int64_t m, int64_t n, int64_t k,
                     const void *a, int64_t lda, const void *b, int64_t ldb, int64_t ldc);

/* The same for syrk (lib/api/args.c): the reference SSYRK numbering
 * (1 uplo, 2 trans, 3 n, 4 k, 7 lda, 10 ldc), CBLAS one more; fills
 * everything but op, type, fp16_ok, entry, alpha, beta and c. */
int g590_api_fortran_syrk_job(g590_job *job, char uplo, char trans, int64_t n, int64_t k,
                              const void *a, int64_t lda, int64_t ldc);
int g590_api_cblas_syrk_job(g590_job *job, int layout, int uplo, int trans, int64_t n,
                            int64_t k, const void *a, int64_t lda, int64_t ldc);

/* The CBLAS-style front end of every element type (lib/api/cblas.c):
 * checks (reporting as `rout`), builds the job and runs it. */
void g590_api_cblas_gemm(const char *entry, const char *rout, g590_type type, int math,
                     int layout, int transa, int transb, int64_t m, int64_t n, int64_t k,
                     double alpha, const void *a, int64_t lda, const void *b, int64_t ldb,
                     double beta, void *c, int64_t ldc);

/* ---- error reporting (lib/api/xerbla.c) ---- */
void g590_api_report_fortran(const char *srname6, int info);
/* `info` is netlib's raw number: for row-major calls, that of the swapped
 * column-major problem (see lib/api/cblas.c). */
void g590_api_report_cblas(int info, const char *rout, bool row_major);
/* The caller's parameter number for netlib's raw `info` (what the printed
 * message and the verbose line name). */
int g590_api_cblas_caller_param(int info, bool row_major);

/* ---- the path of one call (lib/core/dispatch.c) ---- */
/* Runs a checked, normalised job of any element type: quick returns,
 * device, host; one verbose line, counters. */
void g590_run(const g590_job *job);
/* The gemm job restricted to columns [n0, n1) of C and op(B). */
g590_job g590_job_columns(const g590_job *job, int64_t n0, int64_t n1);
/* Logs an invalid call (one verbose line) without running it. */
void g590_log_invalid(const char *entry, int info);
/* The verbose line of a call: "gemm590: <entry> <shape> " + the formatted
 * path and reason. */
void g590_log_call(const g590_job *job, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- device path (lib/cl/pipeline.c; lib/cl/none.c without OpenCL) ---- */
typedef enum { G590_HANDLED = 0, G590_NOT_HANDLED = 1 } g590_status;
/* The columns of C a device call delivered before it failed: ranges
 * [begin, end), each final; every other column untouched.  One range per
 * device that took part (a failure while copying C back). */
enum { G590_MAX_DEVICES = 8 };
typedef struct g590_done {
  int count;
  int64_t begin[G590_MAX_DEVICES], end[G590_MAX_DEVICES];
  bool built; /* a program was built during the call: its time is not the path's */
} g590_done;
/* Tries the job on the OpenCL device (or, for large products, split in
 * column ranges across the devices of the process).  On G590_HANDLED,
 * `what` describes the kernel that ran.  On G590_NOT_HANDLED, `why` says
 * why (for the verbose line) and *done lists the columns already final. */
g590_status g590_cl_job(const g590_job *job, g590_done *done, char *what, size_t what_len,
                        char *why, size_t why_len);

/* True when the device path would certainly not take the job (no
 * device, a forked child, or a product below the smallest one the
 * selector ever sends to this device), decided without formatting a
 * reason: the dispatcher's fast way to the host for small calls. */
bool g590_cl_declines(const g590_job *job);
/* That smallest product, as M*N*K: INFINITY without a device. */
double g590_cl_floor_mnk(void);

/* The host lane's bound (lib/core/dispatch.c): a valid gemm with M*N*K
 * below it, not a quick return, goes from its entry point straight to the
 * host BLAS (lib/api/lane.h), as the dispatcher would send it there; 0
 * when the lane is closed (verbose log on). */
extern double g590_lane_bound;
extern _Atomic bool g590_lane_ready;
extern pthread_once_t g590_lane_once;
void g590_lane_init(void);
static inline double g590_lane_mnk(void) {
  g590_once(&g590_lane_ready, &g590_lane_once, g590_lane_init);
  return g590_lane_bound;
}

/* The first device's facts (the one the selector plans for), or NULL
 * when there is no device (none, disabled, failed, a forked child). */
struct g590_device_info;
const struct g590_device_info *g590_cl_device(void);

/* ---- host path (lib/host/blas.c) ---- */
/* The loaded object that defines `sym`, as its link map, or NULL (also
 * how lib/api/xerbla.c tells the main program's handlers from a library's). */
struct link_map;
struct link_map *g590_host_symbol_owner(void *sym);
/* Computes a float32 or float64 gemm or syrk job on the host BLAS (or the
 * built-in loop if it lacks the routine, or on re-entry); `how` names
 * which, for the verbose line. */
void g590_host_blas(const g590_job *call, const char **how);
/* Set while the host's CBLAS routine runs: a call that reaches g590_run
 * then is that CBLAS calling its own Fortran routine through our exported
 * name (netlib's CBLAS does), and g590_host_reentry serves it with the
 * host's Fortran routine, neither counted nor logged. */
extern G590_THREAD_LOCAL bool g590_host_in_cblas;
void g590_host_reentry(const g590_job *call);
/* Loads the host BLAS now (it is otherwise loaded at its first call). */
void g590_host_load(void);
/* The guard around the host BLAS's huge-leading-dimension defect
 * (lib/host/guard.c): true when `call` must not reach the host BLAS as it
 * is; g590_host_guarded then runs `host` on compact copies (or the
 * built-in loop when they cannot be allocated) and names that in `how`. */
bool g590_host_guard_needed(const g590_job *call);
void g590_host_guarded(const g590_job *call, void (*host)(const g590_job *), const char **how);
/* The binary16 host path (lib/host/hgemm.c): blocks of A, B and C
 * converted to float32, the host SGEMM on each, C converted back once.
 * `how` names the host BLAS and the conversion set (may be NULL). */
void g590_host_hgemm(const g590_job *job, char *how, size_t how_len);
/* The same with explicit block sizes (rows x depth of A, depth x columns of
 * B, rows x columns of C): tests reach every block edge with small calls. */
void g590_host_hgemm_blocked(const g590_job *job, int64_t mb, int64_t nb, int64_t kb,
                             char *how, size_t how_len);
/* C = beta * C for binary16 C, rounded once (beta == 0 writes zeros). */
void g590_host_hscale_c(const g590_job *job);
/* The built-in loops (lib/host/builtin.c): float32 and float64, gemm and
 * syrk; slow, correct, 64-bit indices. */
void g590_host_builtin(const g590_job *call);
/* C = beta * C over the rows g590_job_rows names (beta == 0 writes zeros,
 * never reads), float32 or float64. */
void g590_host_scale_c(const g590_job *call);

/* The CBLAS enum values (cblas.h's CBLAS_ORDER, CBLAS_TRANSPOSE, CBLAS_UPLO):
 * what the CBLAS entry points receive and the host's CBLAS routines take. */
enum { G590_CBLAS_ROW = 101, G590_CBLAS_COL = 102, G590_CBLAS_N = 111, G590_CBLAS_T = 112,
       G590_CBLAS_C = 113, G590_CBLAS_UPPER = 121, G590_CBLAS_LOWER = 122 };
/* A host CBLAS gemm and syrk of element type T and integer type I. */
#define CBLAS_GEMM_FN(T, I) \
  void (*)(int, int, int, I, I, I, T, const void *, I, const void *, I, T, void *, I)
#define CBLAS_SYRK_FN(T, I) void (*)(int, int, int, I, I, T, const void *, I, T, void *, I)
/* OpenBLAS's Fortran gemm and syrk (every argument by reference, no string
 * lengths) of element type T and integer type I. */
#define FORTRAN_GEMM_FN(T, I)                                                                  \
  void (*)(const char *, const char *, const I *, const I *, const I *, const T *, const T *,  \
           const I *, const T *, const I *, const T *, T *, const I *)
#define FORTRAN_SYRK_FN(T, I)                                                                  \
  void (*)(const char *, const char *, const I *, const I *, const T *, const T *, const I *,  \
           const T *, T *, const I *)
/* The host BLAS's CBLAS gemm and syrk, [0] float32 and [1] float64 (NULL
 * where it has none), whether they take 64-bit integers, and whether they
 * may call our Fortran symbols back (netlib's CBLAS does, OpenBLAS's does
 * not): set when the host BLAS is loaded (g590_host_loaded), cleared at
 * unload.  Public to the library because the host lane reads them inline
 * on every call. */
typedef struct g590_host_cblas {
  void *gemm[2], *syrk[2];
  /* OpenBLAS's Fortran gemm and syrk (sgemm_ or its wheel spelling), NULL
   * for any other host BLAS: OpenBLAS writes them in C without the hidden
   * string lengths (FORTRAN_GEMM_FN), so a call may leave the lengths out. */
  void *fortran_gemm[2], *fortran_syrk[2];
  bool int64, calls_back;
} g590_host_cblas;
extern g590_host_cblas g590_host_cblas_routines;
extern _Atomic bool g590_host_loaded;
/* Depth of host-BLAS calls on this thread (a host BLAS that calls us back
 * gets the built-in loop). */
extern G590_THREAD_LOCAL int g590_host_depth;

/* The host lane's routine (lib/api/lane.h): the host BLAS's CBLAS gemm or
 * syrk (op) of float32 or float64 (f64), and in *int64 whether it takes
 * 64-bit integers; NULL where it has none, it is not loaded yet, or the
 * caller is inside the host BLAS already (the dispatcher serves those).
 * Inline, with the count below: about 4 ns less per call at N = 4
 * (bench/NOTES.md, per-call cost). */
static G590_INLINE void *g590_host_lane_routine(g590_op op, bool f64, bool *int64) {
  if (!atomic_load_explicit(&g590_host_loaded, memory_order_acquire) || g590_host_depth > 0 ||
      g590_host_in_cblas)
    return NULL;
  *int64 = g590_host_cblas_routines.int64;
  return op == G590_SYRK ? g590_host_cblas_routines.syrk[f64] : g590_host_cblas_routines.gemm[f64];
}
/* The same for the quick lane (lib/api/lane.h): NULL also for a host
 * that calls back, and unless its integers are 64-bit exactly when int64
 * says so (then *int64 is that constant, and the compiler sees it). */
static G590_INLINE void *g590_host_lane_routine_quick(g590_op op, bool f64, bool wide,
                                                      bool *int64) {
  void *fn = g590_host_lane_routine(op, f64, int64);
  if (!fn || g590_host_cblas_routines.calls_back || *int64 != wide) return NULL;
  *int64 = wide;
  return fn;
}
/* The host BLAS's Fortran gemm or syrk for the Fortran entries' quick
 * lane (lib/api/fortran.c): OpenBLAS's (fortran_gemm), loaded, not called
 * from inside the host BLAS, and taking integers as wide as the entry's
 * (wide); else NULL. */
static G590_INLINE void *g590_host_lane_fortran(g590_op op, bool f64, bool wide) {
  if (!atomic_load_explicit(&g590_host_loaded, memory_order_acquire) || g590_host_depth > 0 ||
      g590_host_in_cblas || g590_host_cblas_routines.int64 != wide)
    return NULL;
  return op == G590_SYRK ? g590_host_cblas_routines.fortran_syrk[f64]
                         : g590_host_cblas_routines.fortran_gemm[f64];
}

/* ---- counters (lib/api/counters.c) ---- */
void g590_api_count(int path, double flops);
/* Each thread counts calls and M*N*K per path in its own block (plain
 * loads and stores: one writer each), listed for readers at its first
 * count. */
typedef struct g590_thread_counts {
  _Atomic uint64_t calls[GEMM590_PATH_COUNT];
  _Atomic uint64_t mnk[GEMM590_PATH_COUNT];
  bool listed;
  struct g590_thread_counts *prev, *next;
} g590_thread_counts;
extern G590_THREAD_LOCAL g590_thread_counts g590_api_mine;
bool g590_api_list_mine(void);
static G590_INLINE void g590_api_add_relaxed(_Atomic uint64_t *x, uint64_t v) {
  atomic_store_explicit(x, atomic_load_explicit(x, memory_order_relaxed) + v,
                        memory_order_relaxed);
}
/* Counts one call of M*N*K multiply-adds in a thread whose counters are
 * listed. */
static G590_INLINE void g590_api_count_listed(int path, uint64_t mnk) {
  g590_api_add_relaxed(&g590_api_mine.calls[path], 1);
  g590_api_add_relaxed(&g590_api_mine.mnk[path], mnk);
}
/* Counts one call of M*N*K multiply-adds (inline: the host lane's count). */
static G590_INLINE void g590_api_count_mnk(int path, uint64_t mnk) {
  if (__builtin_expect(!g590_api_mine.listed, 0) && !g590_api_list_mine()) return;
  g590_api_count_listed(path, mnk);
}

#endif
