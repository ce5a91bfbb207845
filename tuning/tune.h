/* gemm590-tune's parts (tuning/gemm590_tune.c says what the program
 * does): the routine measured and its jobs (tune_routine.c), the
 * candidates and the regblock space (tune_candidates.c), the grid of
 * shapes (tune_grid.c), the CSV (tune_csv.c), timing and measuring one
 * shape (tune_measure.c), and screening regblock's points
 * (tune_screen.c). */
#ifndef G590_TUNE_H
#define G590_TUNE_H

#include <stdio.h>

#include "cl_engine.h"
#include "table.h"
#include "timing.h"

enum { MAX_SHAPES = 256, MAX_CANDIDATES = 128, MAX_SCREEN = 4, PARAMS = 160 };

typedef struct shape {
  int64_t m, n, k;
  bool ta, tb;
} shape;

typedef struct candidate {
  const g590_family *family; /* NULL: the host BLAS */
  g590_params params;
  char options[PARAMS];      /* params as build options: the CSV's params column */
  size_t wg_items, local_bytes;
  int point[6]; /* regblock: indices of TM, TN, KS, WM, WN, register cap in the space */
} candidate;

/* A CSV row already measured (read back on resume, or just written). */
typedef struct row {
  shape s;
  char label[32 + PARAMS]; /* "family params" or "host" */
  const g590_routine *routine; /* rows of other routines may share the file */
  double e2e, resident;
  int ok;
} row;

typedef struct tuner {
  g590_engine *e;
  const g590_routine *routine;
  FILE *csv;
  row *rows;
  size_t n_rows, cap_rows;
  int repeats;
  double start, time_limit;
  double work_total, work_done; /* progress units, see tune_task_work() */
  bool tty;
} tuner;

/* Exits 1 after "gemm590-tune: <message>" on stderr. */
void tune_die(const char *format, ...) __attribute__((format(printf, 1, 2), noreturn));

/* ---- the routine measured, --routine (tune_routine.c) ----
 * g590_routine (lib/core/table.h) names it; a syrk shape has m == n and
 * tb == !ta (the job's normalised form: B = A).  The tiles that serve it:
 * g590_plan_serves (lib/core/select.h). */
/* r's job at shape s, column-major and compact, beta = 0 (C is only
 * written); a syrk job reads B = A and writes C's upper triangle. */
g590_job tune_routine_job(const g590_routine *r, const shape *s, const void *a, const void *b,
                          void *c);
/* True when every element of c that `job` writes is within float32 or
 * float64 rounding of ref (operands in [-1, 1]) and every other element
 * still holds the NaN it was filled with (tune_fill_nan). */
bool tune_routine_matches(const g590_job *job, const void *c, const void *ref);
/* n elements of `type` uniform in [-1, 1], from `seed`; the same NaN. */
void tune_fill_random(g590_type type, void *x, size_t n, unsigned seed);
void tune_fill_nan(g590_type type, void *x, size_t n);

/* ---- candidates (tune_candidates.c) ---- */
/* "family options" or "host": how the CSV and the progress line name c. */
void tune_label(const candidate *c, char *out, size_t len);
/* Fills c for family f with `params`; false when the device cannot run it
 * or it cannot serve routine r. */
bool tune_candidate(candidate *c, const g590_family *f, const g590_params *params,
                    const g590_device_info *dev, const g590_routine *r);
/* regblock's searched space: the number of points enumerated; *n_valid
 * of them, those that fit the device and serve r, in `out`. */
int tune_regblock_space(const g590_device_info *dev, const g590_routine *r, candidate *out,
                        int *n_valid);
/* The distinct regblock tunables the rule-based selector picks for r at
 * the shapes of `grid` (at most `max`); for dgemm and syrk also the
 * tiles it offers for them (g590_select_candidates). */
int tune_rule_points(const g590_device_info *dev, const g590_routine *r, const shape *grid,
                     int n_grid, g590_params *out, int max);

/* ---- shapes (tune_grid.c) ---- */
/* The grid of shapes up to the square S: each in its four transposes, or
 * for syrk (`syrk`) with n := m in the two normalised forms. */
int tune_grid(int64_t S, bool quick, bool syrk, shape *out);

/* ---- the CSV (tune_csv.c) ---- */
/* Reads the rows of an earlier run on the same device into t->rows, and
 * opens `path` for appending (with its header when new). */
void tune_csv_open(tuner *t, const char *path);
/* The row of t->routine at s for `label`, or NULL. */
const row *tune_find_row(const tuner *t, const shape *s, const char *label);
/* Appends the row of c at s (host_how: the host BLAS's name, for the
 * host's row) to the file and to t->rows. */
void tune_csv_write(tuner *t, const shape *s, const candidate *c, const char *host_how,
                    double e2e, double resident, int ok, int64_t panels);

/* ---- measuring (tune_measure.c) ---- */
/* Rough cost of one candidate at one shape, for the ETA. */
double tune_task_work(const shape *s);
void tune_duration(double secs, char *out, size_t len);
/* Measures every candidate not yet in the CSV at shape s.  Returns false
 * when the time limit stopped it. */
bool tune_measure_shape(tuner *t, const char *phase, const shape *s, const candidate *cands,
                        int n);

/* ---- screening regblock (tune_screen.c) ---- */
int tune_sample_points(const candidate *space, int n_space, int n_sample,
                       const g590_params *rules, int n_rules, candidate *out);
int tune_add_neighbours(const tuner *t, const candidate *space, int n_space, candidate *pts,
                        int n, const shape *screen, int n_screen, int top);
int tune_pick_survivors(const tuner *t, const candidate *pts, int n_pts, const shape *screen,
                        int n_screen, int keep, const g590_params *rules, int n_rules,
                        candidate *out);
bool tune_screen_points(tuner *t, const shape *screen, int n_screen, const candidate *pts,
                        int n);

#endif
