/* gemm590-tune: measures every candidate (kernel family x parameters valid
 * on the device, and the host BLAS) on a grid of shapes and writes one CSV
 * row per (shape, candidate), for tuning/train.py.
 *
 *   gemm590-tune [--quick] [--out FILE] [--device SPEC] [--max-size S]
 *                [--repeats R] [--survivors N] [--time-limit SECONDS] [--list]
 *   (`gemm590-tune --help` says what each does)
 *
 * Each row holds the end-to-end time (what a caller pays: operands from
 * pageable host memory, transfers, padding, kernel, copy back, through
 * libgemm590's own device path) and the device-resident kernel time, each
 * the median of R runs after a warm-up; `ok` says whether the result
 * matched the host BLAS (1), did not (0), or the candidate could not run
 * (-1).  The CSV is written row by row; rerunning the same command skips
 * the rows already there, so an interrupted run resumes.
 *
 * Exit status: 0 done, 3 stopped by --time-limit (the same command
 * resumes), 1 error, 2 usage.
 *
 * regblock's parameter space is too large for every shape: its valid
 * points are first measured on three representative shapes ("screening":
 * all of them, or with --quick a fixed sample of 20 and then the
 * neighbours of the best three), and only the best of them, plus the
 * rule-based selector's own choices, are measured on the whole grid. */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cl_engine.h"
#include "cli.h"
#include "table.h"

enum { MAX_SHAPES = 256, MAX_CANDIDATES = 128, MAX_SCREEN = 4, PARAMS = 160 };
/* Points of regblock's space that --quick screens before refining. */
enum { QUICK_SAMPLE = 20 };

typedef struct shape {
  int64_t m, n, k;
  bool ta, tb;
} shape;

typedef struct candidate {
  const g590_family *family; /* NULL: the host BLAS */
  char params[PARAMS];
  size_t wg_items, local_bytes;
  int point[6]; /* regblock: indices of TM, TN, KS, WM, WN, register cap in the space */
} candidate;

/* A CSV row already measured (read back on resume, or just written). */
typedef struct row {
  shape s;
  char label[32 + PARAMS]; /* "family params" or "host" */
  double e2e, resident;
  int ok;
} row;

typedef struct tuner {
  g590_engine *e;
  FILE *csv;
  row *rows;
  size_t n_rows, cap_rows;
  int repeats;
  double start, time_limit;
  double work_total, work_done; /* progress units, see task_work() */
  bool tty;
} tuner;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void die(const char *format, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *format, ...) {
  va_list ap;
  va_start(ap, format);
  fprintf(stderr, "gemm590-tune: ");
  vfprintf(stderr, format, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  exit(1);
}

/* ---- candidates ---- */

static void label_of(const candidate *c, char *out, size_t len) {
  if (c->family) snprintf(out, len, "%s %s", c->family->name, c->params);
  else snprintf(out, len, "host");
}

/* Fills c for family f with `params`; false when the device cannot run it. */
static bool make_candidate(candidate *c, const g590_family *f, const char *params,
                           const g590_device_info *dev) {
  g590_plan plan;
  g590_plan_family(&plan, f, params, "tune");
  c->family = f;
  snprintf(c->params, sizeof c->params, "%.*s", PARAMS - 1, params);
  c->wg_items = plan.local[0] * plan.local[1];
  c->local_bytes = g590_plan_local_bytes(&plan);
  return g590_plan_fits(&plan, dev);
}

/* regblock's searched space: TM, TN in {32, 64, 128}, KS in {8, 16},
 * WM, WN in {4, 8}; on NVIDIA each 8x8-per-item point also without the
 * work-group attribute and capped at 128 registers (what makes 128x128
 * fast there, bench/NOTES.md).  Work-groups below 64 items are left out:
 * they fill neither a 64-wide wavefront nor two warps.  Returns the number
 * of points enumerated; *n_valid of them fit the device. */
static int regblock_space(const g590_device_info *dev, candidate *out, int *n_valid) {
  static const int tiles[] = {32, 64, 128}, steps[] = {8, 16}, per_item[] = {4, 8};
  const g590_family *f = g590_family_find("regblock");
  bool nvidia = strstr(dev->vendor, "NVIDIA") != NULL;
  int enumerated = 0;
  *n_valid = 0;
  for (int a = 0; a < 3; a++)
    for (int b = 0; b < 3; b++)
      for (int s = 0; s < 2; s++)
        for (int wm = 0; wm < 2; wm++)
          for (int wn = 0; wn < 2; wn++)
            for (int nv = 0; nv < (nvidia ? 2 : 1); nv++) {
              int tm = tiles[a], tn = tiles[b], WM = per_item[wm], WN = per_item[wn];
              if (nv && WM * WN != 64) continue;
              enumerated++;
              char params[PARAMS];
              snprintf(params, sizeof params, "-DTM=%d -DTN=%d -DKS=%d -DWM=%d -DWN=%d%s", tm, tn,
                       steps[s], WM, WN, nv ? " -DNO_REQD_WG=1 -cl-nv-maxrregcount=128" : "");
              candidate c = {.point = {a, b, s, wm, wn, nv}};
              if ((tm / WM) * (tn / WN) >= 64 && make_candidate(&c, f, params, dev))
                out[(*n_valid)++] = c;
            }
  return enumerated;
}

/* The regblock points the rule-based selector (lib/select.c) picks for
 * some shape of the grid on this device: always measured on the whole
 * grid, so that a table can at least do what the rules do.  main() turns
 * the table off, so g590_select answers with the rules.  Returns the
 * number of distinct points written to `out` (at most `max`). */
static int rule_points(const g590_device_info *dev, const shape *grid, int n_grid,
                       char out[][PARAMS], int max) {
  int n = 0;
  for (int i = 0; i < n_grid; i++) {
    g590_job call = {.entry = "gemm590-tune", .m = grid[i].m, .n = grid[i].n, .k = grid[i].k,
                      .trans_a = grid[i].ta, .trans_b = grid[i].tb, .alpha = 1.0f};
    g590_plan plan;
    char why[192];
    if (!g590_select(&call, dev, &plan, why, sizeof why) ||
        strcmp(plan.family->name, "regblock") != 0)
      continue;
    bool seen = false;
    for (int j = 0; j < n; j++) seen = seen || strcmp(out[j], plan.defines) == 0;
    if (!seen && n < max) snprintf(out[n++], PARAMS, "%s", plan.defines);
  }
  return n;
}

/* ---- shapes ---- */

static int add_dims(shape *out, int n, int64_t m, int64_t nn, int64_t k) {
  if (m < 1 || nn < 1 || k < 1 || n + 4 > MAX_SHAPES) return n;
  for (int t = 0; t < 4; t++) out[n++] = (shape){m, nn, k, t & 1, (t >> 1) & 1};
  return n;
}

/* The grid, every (M, N, K) in all four transposes: squares 64..S in
 * powers of two, odd squares, skinny (M or N small, large K), large K
 * with a small product, small K, and rectangles.  S is the largest
 * square. */
static int make_grid(int64_t S, bool quick, shape *out) {
  int n = 0;
  for (int64_t s = 64; s <= S; s *= 2) {
    n = add_dims(out, n, s, s, s);
    /* The full run also takes the squares halfway (on a log scale). */
    if (!quick && s * 3 / 2 <= S) n = add_dims(out, n, s * 3 / 2, s * 3 / 2, s * 3 / 2);
  }
  static const int64_t odd_quick[] = {100, 333, 1000, 3000};
  static const int64_t odd_full[] = {100, 333, 1000, 1500, 3000, 5000};
  const int64_t *odd = quick ? odd_quick : odd_full;
  int n_odd = quick ? 4 : 6;
  for (int i = 0; i < n_odd; i++)
    if (odd[i] <= S) n = add_dims(out, n, odd[i], odd[i], odd[i]);
  n = add_dims(out, n, 16, S, S);
  n = add_dims(out, n, S, 16, S);
  n = add_dims(out, n, 64, 64, 4 * S);
  n = add_dims(out, n, S, S, 64);
  n = add_dims(out, n, 1, S / 2, S / 2);
  n = add_dims(out, n, S / 2, S / 8, S / 4);
  if (!quick) {
    n = add_dims(out, n, 64, S, S);
    n = add_dims(out, n, S, 64, S);
    n = add_dims(out, n, 4, S, S);
    n = add_dims(out, n, 256, 256, 4 * S);
    n = add_dims(out, n, S / 4, S, S / 2);
    if (S >= 1234) n = add_dims(out, n, 777, 1234, 555);
    /* Where the host and the device come close, each family of shapes at
     * more than one size, so that a tree trained without one size still
     * has its neighbours: squares between 128 and 768, vectors times a
     * matrix, thin and small-K products at half size. */
    static const int64_t near_line[] = {160, 224, 288, 448, 640};
    for (int i = 0; i < 5; i++)
      if (near_line[i] <= S) n = add_dims(out, n, near_line[i], near_line[i], near_line[i]);
    n = add_dims(out, n, 1, S / 4, S / 4);
    n = add_dims(out, n, 1, S, S);
    n = add_dims(out, n, 4, S / 2, S / 2);
    n = add_dims(out, n, 16, S / 2, S / 2);
    n = add_dims(out, n, S / 2, 16, S / 2);
    n = add_dims(out, n, S / 2, S / 2, 64);
    n = add_dims(out, n, S / 4, S / 4, 64);
    n = add_dims(out, n, 64, 64, S);
  }
  return n;
}

/* ---- the CSV ---- */

/* padded, panels: how a device candidate's call crossed the link (operands
 * copied to whole tiles or not; C cut into that many column panels, see
 * lib/cl_sgemm.c).  train.py models the link time per such class: the
 * tile decides it as much as the shape does.  0 for the host. */
static const char csv_header[] = "device,vendor,type,driver,m,n,k,ta,tb,candidate,params,"
                                 "wg_items,local_bytes,e2e_s,resident_s,ok,padded,panels";
enum { CSV_FIELDS = 18 };

static void csv_string(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"') fputc('"', f);
    fputc(*s, f);
  }
  fputc('"', f);
}

/* Splits one CSV line into at most `max` fields in place (quotes removed);
 * returns the field count. */
static int csv_split(char *line, char **fields, int max) {
  int n = 0;
  char *p = line;
  while (n < max) {
    char *out = p;
    fields[n++] = out;
    if (*p == '"') {
      p++;
      for (;;) {
        if (!*p) break;
        if (*p == '"' && p[1] == '"') {
          *out++ = '"';
          p += 2;
        } else if (*p == '"') {
          p++;
          break;
        } else {
          *out++ = *p++;
        }
      }
      while (*p && *p != ',') p++;
    } else {
      while (*p && *p != ',' && *p != '\n' && *p != '\r') out++, p++;
    }
    char end = *p;
    *out = '\0';
    if (end != ',') break;
    p++;
  }
  return n;
}

static void add_row(tuner *t, const row *r) {
  if (t->n_rows == t->cap_rows) {
    t->cap_rows = t->cap_rows ? 2 * t->cap_rows : 1024;
    t->rows = realloc(t->rows, t->cap_rows * sizeof *t->rows);
    if (!t->rows) die("out of memory");
  }
  t->rows[t->n_rows++] = *r;
}

static const row *find_row(const tuner *t, const shape *s, const char *label) {
  for (size_t i = 0; i < t->n_rows; i++) {
    const row *r = &t->rows[i];
    if (r->s.m == s->m && r->s.n == s->n && r->s.k == s->k && r->s.ta == s->ta &&
        r->s.tb == s->tb && strcmp(r->label, label) == 0)
      return r;
  }
  return NULL;
}

static double parse_time(const char *s) { return *s ? atof(s) : -1; }

/* Reads the rows of an earlier run on the same device; creates the file
 * with its header when there is none. */
static void open_csv(tuner *t, const char *path) {
  const g590_device_info *dev = &t->e->info;
  FILE *f = fopen(path, "r");
  if (f) {
    char line[2048];
    int line_no = 0;
    while (fgets(line, sizeof line, f)) {
      line_no++;
      line[strcspn(line, "\r\n")] = '\0';
      if (line_no == 1) {
        if (strcmp(line, csv_header) != 0)
          die("%s: not a CSV of this gemm590-tune (header differs): choose another --out", path);
        continue;
      }
      char *fld[CSV_FIELDS];
      if (!line[0]) continue;
      if (csv_split(line, fld, CSV_FIELDS) != CSV_FIELDS) {
        /* A run killed mid-line leaves a partial last row: measure it again. */
        fprintf(stderr, "gemm590-tune: %s:%d: incomplete row ignored\n", path, line_no);
        continue;
      }
      if (strcmp(fld[0], dev->name) != 0)
        die("%s holds measurements of \"%s\", not of this device \"%s\": choose another --out",
            path, fld[0], dev->name);
      row r = {{atoll(fld[4]), atoll(fld[5]), atoll(fld[6]), atoi(fld[7]) != 0,
                atoi(fld[8]) != 0},
               "", parse_time(fld[13]), parse_time(fld[14]), atoi(fld[15])};
      if (strcmp(fld[9], "host") == 0) snprintf(r.label, sizeof r.label, "host");
      else snprintf(r.label, sizeof r.label, "%s %s", fld[9], fld[10]);
      add_row(t, &r);
    }
    fclose(f);
  }
  t->csv = fopen(path, "a");
  if (!t->csv) die("cannot write %s", path);
  if (!f) fprintf(t->csv, "%s\n", csv_header);
  if (t->n_rows) fprintf(stderr, "gemm590-tune: resuming: %zu rows already in %s\n", t->n_rows, path);
}

static void write_row(tuner *t, const shape *s, const candidate *c, const char *host_how,
                      double e2e, double resident, int ok, int64_t panels) {
  const g590_device_info *dev = &t->e->info;
  FILE *f = t->csv;
  csv_string(f, dev->name);
  fputc(',', f);
  csv_string(f, dev->vendor);
  fprintf(f, ",%s,", dev->is_gpu ? "gpu" : dev->is_cpu ? "cpu" : "other");
  csv_string(f, dev->driver);
  fprintf(f, ",%lld,%lld,%lld,%d,%d,", (long long)s->m, (long long)s->n, (long long)s->k, s->ta,
          s->tb);
  csv_string(f, c->family ? c->family->name : "host");
  fputc(',', f);
  csv_string(f, c->family ? c->params : host_how);
  fprintf(f, ",%zu,%zu,", c->wg_items, c->local_bytes);
  if (e2e > 0) fprintf(f, "%.6e", e2e);
  fputc(',', f);
  if (resident > 0) fprintf(f, "%.6e", resident);
  fprintf(f, ",%d,%d,%lld\n", ok, c->family && c->family->padded, (long long)panels);
  fflush(f);
  row r = {*s, "", e2e, resident, ok};
  label_of(c, r.label, sizeof r.label);
  add_row(t, &r);
}

/* ---- progress ---- */

/* Rough cost of measuring one candidate on one shape, in units of a
 * 512^3 product: a constant for launches and compilation, the flops, and
 * the bytes that cross the link. */
static double task_work(const shape *s) {
  double m = (double)s->m, n = (double)s->n, k = (double)s->k;
  return 1.0 + m * n * k / 134217728.0 + (m * k + k * n + m * n) / 4194304.0;
}

static void format_duration(double secs, char *out, size_t len) {
  long s = (long)(secs + 0.5);
  if (s >= 3600) snprintf(out, len, "%ldh%02ldm", s / 3600, s / 60 % 60);
  else if (s >= 60) snprintf(out, len, "%ldm%02lds", s / 60, s % 60);
  else snprintf(out, len, "%lds", s);
}

static void progress(const tuner *t, const shape *s, const char *what) {
  if (!t->tty) return;
  /* Capped: rows of an earlier run's candidates also count as done. */
  double frac = t->work_total > t->work_done ? t->work_done / t->work_total : 1;
  double elapsed = now() - t->start;
  char eta[32] = "?";
  if (t->work_done > 0) format_duration(elapsed / frac - elapsed, eta, sizeof eta);
  char bar[31];
  int fill = (int)(frac * 30 + 0.5);
  for (int i = 0; i < 30; i++) bar[i] = i < fill ? '#' : '.';
  bar[30] = '\0';
  fprintf(stderr, "\r\033[K[%s] %3.0f%% ETA %s  %lldx%lldx%lld %c%c %.40s", bar, frac * 100, eta,
          (long long)s->m, (long long)s->n, (long long)s->k, s->ta ? 'T' : 'N', s->tb ? 'T' : 'N',
          what);
  fflush(stderr);
}

/* ---- timing ---- */

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Runs something `count` times back to back, waiting for the last. */
typedef bool (*run_fn)(void *ctx, int count);

/* Median seconds per run over `repeats` samples, after one untimed warm-up
 * (compilation, buffer growth).  Runs under 2 ms are batched so that a
 * sample is long enough for the clock.  A candidate whose first timed run
 * is already above `give_up` seconds (several times the best so far at
 * this shape) keeps that one sample: it will not be chosen, and timing it
 * again would only cost time.  -1 when a run fails. */
static double time_median(run_fn run, void *ctx, int repeats, double give_up) {
  if (!run(ctx, 1)) return -1;
  double t0 = now();
  if (!run(ctx, 1)) return -1;
  double first = now() - t0;
  if (first > give_up) return first;
  int batch = first < 2e-3 ? (int)ceil(2e-3 / (first > 1e-7 ? first : 1e-7)) : 1;
  if (batch > 1000) batch = 1000;
  /* Long runs: no more samples than about three seconds buy. */
  if (first * repeats > 3.0) repeats = (int)(3.0 / first) > 1 ? (int)(3.0 / first) : 1;
  double samples[64];
  if (repeats > 64) repeats = 64;
  for (int i = 0; i < repeats; i++) {
    t0 = now();
    if (!run(ctx, batch)) return -1;
    samples[i] = (now() - t0) / batch;
  }
  qsort(samples, (size_t)repeats, sizeof *samples, cmp_double);
  return repeats % 2 ? samples[repeats / 2]
                     : 0.5 * (samples[repeats / 2 - 1] + samples[repeats / 2]);
}

typedef struct e2e_ctx {
  g590_engine *e;
  const g590_job *call;
  g590_plan plan;
  int64_t panels; /* as the last run's verbose line says */
} e2e_ctx;

static bool run_e2e(void *p, int count) {
  e2e_ctx *x = p;
  char what[256], why[192];
  int64_t cols_done;
  for (int i = 0; i < count; i++)
    if (g590_device_run(x->e, x->call, &x->plan, &cols_done, what, sizeof what, why,
                        sizeof why) != G590_HANDLED)
      return false;
  const char *panels = strstr(what, "panels=");
  x->panels = panels ? atoll(panels + strlen("panels=")) : 0;
  return true;
}

static bool run_host(void *p, int count) {
  const char *how;
  for (int i = 0; i < count; i++) g590_host_sgemm(p, &how);
  return true;
}

typedef struct resident_ctx {
  g590_engine *e;
  cl_kernel kernel;
  const g590_plan *plan;
  g590_gemm_args args;
} resident_ctx;

/* The launch the library makes (split K included), under the engine lock
 * since a split launch grows the engine's workspace. */
static bool run_resident(void *p, int count) {
  resident_ctx *r = p;
  char why[192];
  bool ok = true;
  pthread_mutex_lock(&r->e->lock);
  for (int i = 0; i < count && ok; i++)
    ok = g590_gemm_enqueue(r->e, r->e->queue, r->kernel, r->plan, &r->args, NULL, NULL, why,
                           sizeof why);
  pthread_mutex_unlock(&r->e->lock);
  return ok && clFinish(r->e->queue) == CL_SUCCESS;
}

static size_t round_up(int64_t x, size_t unit) { return ((size_t)x + unit - 1) / unit * unit; }

static cl_mem device_filled(g590_engine *e, size_t elems) {
  cl_int err;
  cl_mem m = clCreateBuffer(e->context, CL_MEM_READ_WRITE, elems * sizeof(float), NULL, &err);
  if (err != CL_SUCCESS) return NULL;
  const float half = 0.5f;
  err = clEnqueueFillBuffer(e->queue, m, &half, sizeof half, 0, elems * sizeof(float), 0, NULL,
                            NULL);
  if (err != CL_SUCCESS) {
    clReleaseMemObject(m);
    return NULL;
  }
  return m;
}

/* Kernel time on operands already on the device, laid out as the library
 * lays them out (padded to whole tiles for padded families). */
static double time_resident(tuner *t, const g590_plan *plan, const shape *s, double give_up) {
  g590_engine *e = t->e;
  bool pad = plan->family->padded;
  size_t m = round_up(s->m, pad ? plan->tile[0] : 1), n = round_up(s->n, pad ? plan->tile[1] : 1);
  size_t k = round_up(s->k, pad ? plan->tile[2] : 1);
  char options[256], why[192];
  const char *origin;
  snprintf(options, sizeof options, "%s -DTRANS_A=%d -DTRANS_B=%d -DBETA_ZERO=1", plan->defines,
           s->ta, s->tb);
  pthread_mutex_lock(&e->lock);
  cl_kernel kernel = g590_program_kernel(e, plan->family->name, options, &origin, why, sizeof why);
  pthread_mutex_unlock(&e->lock);
  if (!kernel) return -1;
  cl_mem a = device_filled(e, m * k), b = device_filled(e, k * n), c = device_filled(e, m * n);
  double secs = -1;
  if (a && b && c && clFinish(e->queue) == CL_SUCCESS) {
    resident_ctx r = {e, kernel, plan,
                      {(int)m, (int)n, (int)k, 1.0f, 0.0f, a, b, c, (int)(s->ta ? k : m),
                       (int)(s->tb ? n : k), (int)m}};
    secs = time_median(run_resident, &r, t->repeats, give_up);
  }
  if (a) clReleaseMemObject(a);
  if (b) clReleaseMemObject(b);
  if (c) clReleaseMemObject(c);
  return secs;
}

/* ---- one shape ---- */

typedef struct operands {
  float *a, *b, *c, *ref;
  g590_job call;
  const char *host_how;
} operands;

static void fill_random(float *x, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; i++) {
    seed = seed * 1664525u + 1013904223u;
    x[i] = (float)((seed >> 8) * (2.0 / 16777216.0) - 1.0);
  }
}

/* Operands uniform in [-1, 1] and the host BLAS's result as reference. */
static void operands_make(operands *o, const shape *s) {
  size_t a_elems = (size_t)(s->m * s->k), b_elems = (size_t)(s->k * s->n);
  size_t c_elems = (size_t)(s->m * s->n);
  o->a = malloc(a_elems * sizeof(float));
  o->b = malloc(b_elems * sizeof(float));
  o->c = malloc(c_elems * sizeof(float));
  o->ref = malloc(c_elems * sizeof(float));
  if (!o->a || !o->b || !o->c || !o->ref) die("out of memory for %lldx%lldx%lld",
                                              (long long)s->m, (long long)s->n, (long long)s->k);
  fill_random(o->a, a_elems, 11);
  fill_random(o->b, b_elems, 12);
  o->call = (g590_job){.entry = "gemm590-tune", .layout = 'C', .user_ta = s->ta ? 'T' : 'N',
                        .user_tb = s->tb ? 'T' : 'N', .user_m = s->m, .user_n = s->n,
                        .trans_a = s->ta, .trans_b = s->tb, .m = s->m, .n = s->n, .k = s->k,
                        .alpha = 1.0f, .beta = 0.0f, .a = o->a, .lda = s->ta ? s->k : s->m,
                        .b = o->b, .ldb = s->tb ? s->n : s->k, .c = o->ref, .ldc = s->m};
  g590_host_sgemm(&o->call, &o->host_how);
  o->call.c = o->c;
}

static void operands_free(operands *o) {
  free(o->a);
  free(o->b);
  free(o->c);
  free(o->ref);
}

/* Every element within 64 ulp(1) per unit of K of the reference: operands
 * are in [-1, 1], so each product is at most 1 and both summation orders
 * round within that; a missing or doubled term, or garbage, is far off. */
static bool matches_reference(const operands *o) {
  size_t n = (size_t)(o->call.m * o->call.n);
  double tol = 64.0 * ldexp(1.0, -24) * (double)o->call.k;
  for (size_t i = 0; i < n; i++)
    if (!(fabs((double)o->c[i] - (double)o->ref[i]) <= tol)) return false;
  return true;
}

/* Measures candidate c at shape s unless the CSV has it; returns the
 * end-to-end time (-1: failed).  `earlier`: the host's time from an
 * earlier timing at this shape (-1: none); the row keeps the faster. */
static double measure(tuner *t, operands *o, const shape *s, const candidate *c, double best,
                      double earlier) {
  char label[32 + PARAMS];
  label_of(c, label, sizeof label);
  const row *done = find_row(t, s, label);
  if (done) return done->ok == 1 ? done->e2e : -1;
  progress(t, s, label);
  double give_up = best > 0 ? 4 * best : INFINITY;
  double e2e, resident;
  int ok;
  int64_t panels = 0;
  if (!c->family) {
    e2e = resident = time_median(run_host, &o->call, t->repeats, give_up);
    if (earlier > 0 && (e2e < 0 || earlier < e2e)) e2e = resident = earlier;
    ok = 1;
  } else {
    e2e_ctx x = {t->e, &o->call, {0}, 0};
    g590_plan_family(&x.plan, c->family, c->params, "tune");
    /* NaN in C: an element the kernel never writes fails the check. */
    size_t c_elems = (size_t)(s->m * s->n);
    for (size_t i = 0; i < c_elems; i++) o->c[i] = NAN;
    e2e = run_e2e(&x, 1) ? 0 : -1;
    ok = e2e < 0 ? -1 : matches_reference(o) ? 1 : 0;
    if (ok == 1) {
      e2e = time_median(run_e2e, &x, t->repeats, give_up);
      resident = time_resident(t, &x.plan, s, best > 0 ? give_up : INFINITY);
      if (e2e < 0 || resident < 0) ok = -1;
      panels = x.panels;
    } else {
      e2e = resident = -1;
    }
  }
  write_row(t, s, c, o->host_how, e2e, resident, ok, panels);
  t->work_done += task_work(s);
  return ok == 1 ? e2e : -1;
}

static bool out_of_time(const tuner *t) {
  return t->time_limit > 0 && now() - t->start > t->time_limit;
}

/* Measures every candidate not yet in the CSV at shape s.  Returns false
 * when the time limit stopped it. */
static bool measure_shape(tuner *t, const char *phase, const shape *s, const candidate *cands,
                          int n) {
  char label[32 + PARAMS];
  int todo = 0;
  for (int i = 0; i < n; i++) {
    label_of(&cands[i], label, sizeof label);
    todo += find_row(t, s, label) == NULL;
  }
  if (!todo) return true;
  operands o;
  operands_make(&o, s);
  double best = -1;
  char best_label[32 + PARAMS] = "";
  bool finished = true;
  /* The host (cands[0]) goes first on small shapes, where it usually
   * wins and sets the bar that cuts the slow device candidates short; on
   * large ones last, so that its own slow runs are cut short instead.
   * Going first, it is timed again last and keeps the faster median: on
   * the H100 machine (a VM) OpenBLAS calls stall for milliseconds at
   * times (100^3 TN once took 6.0 ms, 0.02-0.03 ms in the other
   * transposes), and one stall rarely lasts through both timings. */
  bool has_host = cands[0].family == NULL; /* not while screening */
  bool host_last = 2.0 * (double)s->m * (double)s->n * (double)s->k > 1e10;
  double host_early = -1;
  const row *host_row = find_row(t, s, "host");
  if (has_host && !host_last && (!host_row || host_row->ok == 1)) {
    if (host_row) {
      best = host_row->e2e;
    } else {
      progress(t, s, "host");
      best = host_early = time_median(run_host, &o.call, t->repeats, INFINITY);
    }
    snprintf(best_label, sizeof best_label, "host");
  }
  for (int j = 0; j < n; j++) {
    int i = has_host ? (j + 1) % n : j;
    if (out_of_time(t)) {
      finished = false;
      break;
    }
    double e2e = measure(t, &o, s, &cands[i], best, has_host && i == 0 ? host_early : -1);
    if (e2e > 0 && (best < 0 || e2e < best)) {
      best = e2e;
      label_of(&cands[i], best_label, sizeof best_label);
    }
  }
  if (!t->tty && finished)
    printf("%6.0fs %s %lldx%lldx%lld %c%c: fastest end to end of %d: %s (%.3g s)\n",
           now() - t->start, phase, (long long)s->m, (long long)s->n, (long long)s->k,
           s->ta ? 'T' : 'N', s->tb ? 'T' : 'N', n, best_label, best);
  operands_free(&o);
  return finished;
}

/* ---- screening regblock ---- */

/* Resident time of `label` at s from the CSV, or -1. */
static double resident_of(const tuner *t, const shape *s, const candidate *c) {
  char label[32 + PARAMS];
  label_of(c, label, sizeof label);
  const row *r = find_row(t, s, label);
  return r && r->ok == 1 ? r->resident : -1;
}

/* Score of each point: geometric mean over the screening shapes of
 * (fastest resident time there / its own); 0 for a point not measured on
 * every screening shape or failed on one. */
static void screen_scores(const tuner *t, const candidate *pts, int n, const shape *screen,
                          int n_screen, double *score) {
  double best[MAX_SCREEN];
  for (int s = 0; s < n_screen; s++) {
    best[s] = -1;
    for (int i = 0; i < n; i++) {
      double r = resident_of(t, &screen[s], &pts[i]);
      if (r > 0 && (best[s] < 0 || r < best[s])) best[s] = r;
    }
  }
  for (int i = 0; i < n; i++) {
    double log_sum = 0;
    for (int s = 0; s < n_screen && log_sum > -INFINITY; s++) {
      double r = resident_of(t, &screen[s], &pts[i]);
      log_sum = r > 0 ? log_sum + log(best[s] / r) : -INFINITY;
    }
    score[i] = exp(log_sum / n_screen);
  }
}

static bool contains(const candidate *pts, int n, const candidate *c) {
  for (int i = 0; i < n; i++)
    if (strcmp(pts[i].params, c->params) == 0) return true;
  return false;
}

/* --quick screens a sample, not the whole space: `n_sample` points drawn
 * in a fixed pseudo-random order (the same on every run, so a resumed run
 * screens the same points), plus the rules' points. */
static int sample_points(const candidate *space, int n_space, int n_sample,
                         const char rules[][PARAMS], int n_rules, candidate *out) {
  int order[MAX_CANDIDATES];
  for (int i = 0; i < n_space; i++) order[i] = i;
  unsigned seed = 590;
  for (int i = n_space - 1; i > 0; i--) {
    seed = seed * 1664525u + 1013904223u;
    int j = (int)((seed >> 8) % (unsigned)(i + 1)), tmp = order[i];
    order[i] = order[j];
    order[j] = tmp;
  }
  int n = 0;
  for (int i = 0; i < n_space && n < n_sample; i++) out[n++] = space[order[i]];
  for (int r = 0; r < n_rules; r++)
    for (int i = 0; i < n_space; i++)
      if (strcmp(space[i].params, rules[r]) == 0 && !contains(out, n, &space[i]))
        out[n++] = space[i];
  return n;
}

/* Local refinement after a sampled screening: the valid points one step
 * from the `top` best screened ones (one coordinate changed to its
 * neighbouring value), not screened yet, appended to `pts`.  Returns the
 * new count. */
static int add_neighbours(const tuner *t, const candidate *space, int n_space, candidate *pts,
                          int n, const shape *screen, int n_screen, int top) {
  double score[MAX_CANDIDATES];
  bool used[MAX_CANDIDATES] = {false};
  screen_scores(t, pts, n, screen, n_screen, score);
  int n0 = n;
  for (int k = 0; k < top; k++) {
    int best = -1;
    for (int i = 0; i < n0; i++)
      if (!used[i] && score[i] > 0 && (best < 0 || score[i] > score[best])) best = i;
    if (best < 0) break;
    used[best] = true;
    for (int i = 0; i < n_space && n < MAX_CANDIDATES; i++) {
      int steps = 0, dist = 0;
      for (int c = 0; c < 6; c++) {
        int d = abs(space[i].point[c] - pts[best].point[c]);
        steps += d != 0;
        dist += d;
      }
      if (steps == 1 && dist == 1 && !contains(pts, n, &space[i])) pts[n++] = space[i];
    }
  }
  return n;
}

/* Keeps the screened points worth the whole grid: the fastest on each
 * screening shape, then the best by score, up to `keep` in all, plus the
 * rule-based selector's points.  Returns the count written to `out`. */
static int pick_survivors(const tuner *t, const candidate *pts, int n_pts, const shape *screen,
                          int n_screen, int keep, const char rules[][PARAMS], int n_rules,
                          candidate *out) {
  double score[MAX_CANDIDATES];
  bool chosen[MAX_CANDIDATES] = {false};
  screen_scores(t, pts, n_pts, screen, n_screen, score);
  int n = 0;
  for (int s = 0; s < n_screen; s++) {
    int fastest = -1;
    for (int i = 0; i < n_pts; i++) {
      double r = resident_of(t, &screen[s], &pts[i]);
      if (r > 0 && score[i] > 0 &&
          (fastest < 0 || r < resident_of(t, &screen[s], &pts[fastest])))
        fastest = i;
    }
    if (fastest >= 0 && !chosen[fastest]) {
      chosen[fastest] = true;
      out[n++] = pts[fastest];
    }
  }
  while (n < keep) {
    int pick = -1;
    for (int i = 0; i < n_pts; i++)
      if (!chosen[i] && score[i] > 0 && (pick < 0 || score[i] > score[pick])) pick = i;
    if (pick < 0) break;
    chosen[pick] = true;
    out[n++] = pts[pick];
  }
  /* The rules' points; those outside the searched space (split K) join
   * as they are. */
  const g590_family *regblock = g590_family_find("regblock");
  for (int r = 0; r < n_rules; r++) {
    bool in_space = false;
    for (int i = 0; i < n_pts; i++)
      if (strcmp(pts[i].params, rules[r]) == 0) {
        in_space = true;
        if (!chosen[i]) out[n++] = pts[i];
        chosen[i] = true;
      }
    if (!in_space && make_candidate(&out[n], regblock, rules[r], &t->e->info)) n++;
  }
  return n;
}

/* Measures `pts` on every screening shape; false when the time limit
 * stopped it. */
static bool screen_points(tuner *t, const shape *screen, int n_screen, const candidate *pts,
                          int n) {
  for (int s = 0; s < n_screen; s++)
    if (!measure_shape(t, "screen", &screen[s], pts, n)) return false;
  return true;
}

/* ---- main ---- */

static const char help[] =
    "usage: gemm590-tune [OPTION]...\n"
    "Measures every candidate (kernel family x parameters valid on the device, and the\n"
    "host BLAS) on a grid of shapes and writes one CSV row per (shape, candidate) for\n"
    "tuning/train.py (tuning/README.md).  Rerunning the same command resumes.\n"
    "\n"
    "  --quick               smaller grid and fewer repeats: a few minutes on a GPU\n"
    "  --out FILE            the CSV (default tuning-<device>.csv); rows already there are kept\n"
    "  --device SPEC         as GEMM590_DEVICE: P:D, gpu, cpu or part of a name\n"
    "  --max-size S          largest square, 64 to 65536 (default 4096 quick, 8192 full;\n"
    "                        512 and 1024 on OpenCL CPU devices)\n"
    "  --repeats R           timed samples per median, 1 to 1000 (default 3 quick, 5 full)\n"
    "  --survivors N         regblock points kept after screening, 1 to 100\n"
    "                        (default 4 quick, 8 full)\n"
    "  --time-limit S        stop after S seconds (at least 1); the same command resumes\n"
    "  --list                print the candidates and shapes, measure nothing\n"
    CLI_STANDARD_HELP
    "Exit status: 0 done, 1 error, 2 bad command line, 3 stopped by --time-limit.\n";

enum { OPT_QUICK = 0x200, OPT_LIST, OPT_OUT, OPT_DEVICE, OPT_MAX_SIZE, OPT_REPEATS,
       OPT_SURVIVORS, OPT_TIME_LIMIT };

static const struct option long_options[] = {
    {"quick", no_argument, NULL, OPT_QUICK},
    {"list", no_argument, NULL, OPT_LIST},
    {"out", required_argument, NULL, OPT_OUT},
    {"device", required_argument, NULL, OPT_DEVICE},
    {"max-size", required_argument, NULL, OPT_MAX_SIZE},
    {"repeats", required_argument, NULL, OPT_REPEATS},
    {"survivors", required_argument, NULL, OPT_SURVIVORS},
    {"time-limit", required_argument, NULL, OPT_TIME_LIMIT},
    CLI_STANDARD_OPTIONS};
static const cli tune_cli = {"gemm590-tune", help, "h", long_options};

int main(int argc, char **argv) {
  bool quick = false, list = false;
  const char *out = NULL;
  long max_size = 0, repeats = 0, survivors = 0; /* 0: the default of --quick or a full run */
  double time_limit = 0;
  for (int opt; (opt = cli_next(&tune_cli, argc, argv)) != -1;) {
    switch (opt) {
    case OPT_QUICK: quick = true; break;
    case OPT_LIST: list = true; break;
    case OPT_OUT: out = optarg; break;
    case OPT_DEVICE: setenv("GEMM590_DEVICE", optarg, 1); break;
    case OPT_MAX_SIZE: max_size = cli_long(&tune_cli, "--max-size", optarg, 64, 65536); break;
    case OPT_REPEATS: repeats = cli_long(&tune_cli, "--repeats", optarg, 1, 1000); break;
    case OPT_SURVIVORS: survivors = cli_long(&tune_cli, "--survivors", optarg, 1, 100); break;
    case OPT_TIME_LIMIT:
      time_limit = (double)cli_long(&tune_cli, "--time-limit", optarg, 1, LONG_MAX);
      break;
    }
  }
  if (optind < argc) cli_fail(&tune_cli, "unexpected argument '%s'", argv[optind]);
  /* Before the configuration is read: no table decides (rule_points asks
   * the rules), and no forced family (every family is measured anyway). */
  setenv("GEMM590_TABLE", "off", 1);
  unsetenv("GEMM590_KERNEL");
  char why[192];
  g590_engine *e = g590_engine_get(why, sizeof why);
  if (!e) die("%s (--device cpu tunes an OpenCL CPU device)", why);
  const g590_device_info *dev = &e->info;
  if (!max_size) max_size = dev->is_gpu ? (quick ? 4096 : 8192) : (quick ? 512 : 1024);

  /* Candidates measured on the whole grid: the host first (it sets the
   * bar early, see time_median), regblock survivors, the 2x2 families:
   * their defaults, and with a full run one more point each. */
  candidate fixed[8], space[MAX_CANDIDATES], cands[MAX_CANDIDATES];
  int n_fixed = 0, n_valid;
  fixed[n_fixed++] = (candidate){.family = NULL};
  static const struct { const char *family, *params; bool full_only; } tile_points[] = {
      {"tile20_v3", "-DWG=10 -DKS=20", false},
      {"tile24", "-DWG=12 -DKS=16", false},
      {"tile20_v3", "-DWG=16 -DKS=16", true},
      {"tile24", "-DWG=8 -DKS=16", true}};
  for (int i = 0; i < 4; i++)
    if ((!quick || !tile_points[i].full_only) &&
        make_candidate(&fixed[n_fixed], g590_family_find(tile_points[i].family),
                       tile_points[i].params, dev))
      n_fixed++;
  int enumerated = regblock_space(dev, space, &n_valid);

  shape grid[MAX_SHAPES];
  int n_grid = make_grid(max_size, quick, grid);
  /* Screening shapes: a large and a medium square, and a skinny one, so
   * that each tile-size regime has its fastest point kept. */
  shape screen[MAX_SCREEN] = {{max_size, max_size, max_size, 0, 0},
                              {max_size / 4, max_size / 4, max_size / 4, 0, 0},
                              {16, max_size, max_size, 0, 0}};
  int n_screen = 3;

  printf("device: %s (%s, driver %s), %s, %zu work-items, %llu KiB local memory\n", dev->name,
         dev->vendor, dev->driver, dev->is_gpu ? "GPU" : "CPU", dev->max_work_group,
         (unsigned long long)(dev->local_mem >> 10));
  printf("grid: %d shapes (largest square %ld); regblock: %d points enumerated, %d valid here\n",
         n_grid, max_size, enumerated, n_valid);
  if (list) {
    for (int i = 0; i < n_fixed; i++)
      printf("candidate %s %s (%zu items, %zu B local)\n",
             fixed[i].family ? fixed[i].family->name : "host", fixed[i].params, fixed[i].wg_items,
             fixed[i].local_bytes);
    for (int i = 0; i < n_valid; i++)
      printf("regblock point %s (%zu items, %zu B local)\n", space[i].params, space[i].wg_items,
             space[i].local_bytes);
    for (int i = 0; i < n_grid; i += 4)
      printf("shape %lldx%lldx%lld (NN, NT, TN, TT)\n", (long long)grid[i].m,
             (long long)grid[i].n, (long long)grid[i].k);
    return 0;
  }

  char default_out[300];
  if (!out) {
    /* tuning-<device name>.csv, with the name made file-safe. */
    char slug[200];
    size_t j = 0;
    for (const char *p = dev->name; *p && j + 1 < sizeof slug; p++)
      slug[j++] = (isalnum((unsigned char)*p) || *p == '-') ? *p : '_';
    slug[j] = '\0';
    snprintf(default_out, sizeof default_out, "tuning-%s.csv", slug);
    out = default_out;
  }
  tuner t = {.e = e, .repeats = repeats ? (int)repeats : quick ? 3 : 5, .start = now(),
             .time_limit = time_limit, .tty = isatty(STDERR_FILENO)};
  open_csv(&t, out);

  int keep = survivors ? (int)survivors : quick ? 4 : 8;
  char rules[8][PARAMS];
  int n_rules = rule_points(dev, grid, n_grid, rules, 8);
  /* --quick: a sample of regblock's space, then the neighbours of its
   * best three; otherwise the whole space. */
  candidate screened[MAX_CANDIDATES];
  int n_screened = quick ? sample_points(space, n_valid, QUICK_SAMPLE, rules, n_rules, screened)
                         : n_valid;
  if (!quick) memcpy(screened, space, (size_t)n_valid * sizeof *space);
  /* Work estimate for the ETA: every task of both phases, done or not
   * (what the CSV already has counts as done).  Until screening ends the
   * number of points is a guess: a dozen neighbours in --quick, `keep`
   * plus three of the rules' kept. */
  double screen_work = 0, grid_work = 0;
  for (int s = 0; s < n_screen; s++) screen_work += task_work(&screen[s]);
  for (int s = 0; s < n_grid; s++) grid_work += task_work(&grid[s]);
  t.work_total = (n_screened + (quick ? 12 : 0)) * screen_work + (n_fixed + keep + 3) * grid_work;
  for (size_t i = 0; i < t.n_rows; i++) t.work_done += task_work(&t.rows[i].s);

  bool finished = screen_points(&t, screen, n_screen, screened, n_screened);
  int n_sampled = n_screened;
  if (finished && quick) {
    n_screened = add_neighbours(&t, space, n_valid, screened, n_screened, screen, n_screen, 3);
    t.work_total += (n_screened - n_sampled - 12) * screen_work;
    finished = screen_points(&t, screen, n_screen, screened + n_sampled, n_screened - n_sampled);
  }
  int n_cands = 0;
  if (finished) {
    cands[n_cands++] = fixed[0];
    n_cands += pick_survivors(&t, screened, n_screened, screen, n_screen, keep, rules, n_rules,
                              cands + n_cands);
    int n_regblock = n_cands - 1;
    for (int i = 1; i < n_fixed; i++) cands[n_cands++] = fixed[i];
    printf("regblock: %d points enumerated, %d valid here, %d screened", enumerated, n_valid,
           n_screened);
    if (quick)
      printf(" (%d sampled with the rules' %d, %d neighbours of the best 3)", n_sampled, n_rules,
             n_screened - n_sampled);
    printf(" on %d shapes; %d kept for the whole grid:\n", n_screen, n_regblock);
    for (int i = 1; i <= n_regblock; i++) printf("  %s\n", cands[i].params);
    fflush(stdout);
    t.work_total = n_screened * screen_work + n_cands * grid_work;
  }
  for (int s = 0; s < n_grid && finished; s++)
    finished = measure_shape(&t, "grid", &grid[s], cands, n_cands);
  if (t.tty) fprintf(stderr, "\r\033[K");
  fclose(t.csv);
  char took[32];
  format_duration(now() - t.start, took, sizeof took);
  if (!finished) {
    printf("stopped at the time limit after %s: the same command resumes (%s)\n", took, out);
    return 3;
  }
  printf("done in %s: %s (%zu rows).  Next (tuning/README.md):\n"
         "  python3 tuning/train.py --emit-text ~/.cache/gemm590/table.txt %s\n",
         took, out, t.n_rows, out);
  return 0;
}
