/* What the parts of openblas_defect share (the program is described in
 * openblas_defect.c):
 *   openblas_defect.c          the case lists, the ldc bisection and main
 *   openblas_defect_run.c      random numbers, operands, the forked child
 *                              and the parent that runs cases
 *   openblas_defect_report.c   the model of the 0.3.21 defect, reporting
 *                              and the summary */
#ifndef OPENBLAS_DEFECT_H
#define OPENBLAS_DEFECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { SKIP = 77 };
extern const size_t GUARD;      /* 2^31 elements of 4 bytes */
extern const int CHILD_SECONDS; /* a hung call is reported, not waited for */

typedef void (*sgemm_fn)(const char *, const char *, const int *, const int *, const int *,
                         const float *, const float *, const int *, const float *, const int *,
                         const float *, float *, const int *, size_t, size_t);
typedef void (*cblas_fn)(int, int, int, int, int, int, float, const float *, int, const float *,
                         int, float, float *, int);
enum { CBLAS_ROW = 101, CBLAS_NOTRANS = 111, CBLAS_TRANS = 112 };

/* Set by main from the host BLAS (openblas_defect.c). */
extern sgemm_fn host_sgemm;
extern cblas_fn host_cblas;
extern const char *host_core;
extern bool model_applies; /* the core is one with the 0.3.21 small kernels */

/* ---- one call ---- */

typedef enum ops_kind {
  OPS_RANDOM, /* A, B random nonzero in [-1, 1] */
  OPS_NAN_A,  /* every element of A is NaN, B random */
  OPS_INF_B,  /* every element of B is +Inf, A random */
  OPS_NULL_AB /* A and B are NULL pointers (valid only when alpha = 0 or K = 0) */
} ops_kind;

typedef struct gcase {
  const char *group;
  char api; /* 'F' sgemm_, 'R' cblas_sgemm(CblasRowMajor, ...) */
  char ta, tb;
  int m, n, k, lda, ldb, ldc;
  float alpha, beta;
  ops_kind ops;
} gcase;

typedef enum status {
  ST_LOST = 0, /* the child ended without a report */
  ST_PASS,
  ST_WRONG,
  ST_CRASH,
  ST_HANG,
  ST_NOMAP /* the operands could not be mapped */
} status;

typedef struct gresult {
  status st;
  int sig;
  int64_t wrong, total;   /* elements of C out of bound, M * N */
  int64_t outside;        /* canaries around C changed */
  int64_t ab_changed;     /* elements or canaries of A and B changed */
  int bad_i, bad_j;       /* first wrong element */
  double got, want;
  int fault_known;        /* SIGSEGV/SIGBUS address recorded */
  char fault_op;          /* 'A', 'B', 'C' or 0 (outside every operand) */
  int64_t fault_off;      /* elements from that operand's (0, 0) */
  uintptr_t fault_addr;
} gresult;

static inline bool failed(const gresult *r) { return r->st != ST_PASS && r->st != ST_NOMAP; }

/* ---- openblas_defect_run.c ---- */

extern int workers; /* children at a time */

/* Stored shape of operand A, B or C of g, as a column-major view. */
void storage(const gcase *g, char which, int64_t *rows, int64_t *cols);
/* A shared anonymous mapping (cases and results); exits on failure. */
void *shared_alloc(size_t bytes);
/* Runs cs[0..n) in forked children, results into rs (a shared mapping). */
void run_cases(const gcase *cs, gresult *rs, size_t n);

/* ---- openblas_defect_report.c ---- */

extern bool list_mode, all_mode;
extern const char LIST_HEADER[];

int model_max_column(char ta, char tb, int64_t m, int64_t n, int64_t k);
void print_case(const gcase *g, const gresult *r);
void record(const gcase *g, const gresult *r);
/* Human-mode lines only. */
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints the summary; returns the exit status. */
int summary(const char *coretype, double t0);

/* ---- openblas_defect.c ---- */

double now(void);

#endif
