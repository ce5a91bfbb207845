/* regret-bench: how far the library's own choice is from the best path it
 * could have taken, per shape (`regret-bench --help`).
 *
 * For each shape: the candidates (lib/core/select.c
 * g590_select_candidates: the selector's choice, regblock tiles, split K,
 * the host) each run once to build their kernels; then what was learned
 * is forgotten (in this process; the learned file is kept) and the first --first calls of the shape through
 * cblas_sgemm (or cblas_dgemm) are timed: the cost of learning a new shape
 * class; then --repeats rounds, interleaved, time the library's choice and
 * every candidate forced.  Per shape it prints the best candidate,
 * best/chosen (1 = the library took the best path) and first-calls/best
 * (the first calls' time over that many calls of the best path), then the
 * geometric mean and the worst of best/chosen.
 *
 * "Best" is the smallest of several noisy medians, so best/chosen reads
 * below 1 even for a choice that is the fastest path: on a machine whose
 * runs of one path differ by 10 %, the smallest of seven medians of three
 * is that much luckier than any one of them.  So with 2 rounds or more it
 * also prints a split estimate: the best path picked on the even rounds
 * is timed against the choice on the odd rounds, and the other way round
 * (the geometric mean of the two ratios): samples that pick a path never
 * time it.  It may exceed 1.  GEMM590_ADAPT=0 measures
 * the table and rules alone; GEMM590_TABLE=off the rules (and learning)
 * without the device's table entry. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapt.h"
#include "cli.h"
#include "gemm590.h"
#include "select.h"
#include "timing.h"

enum { MAX_SHAPES = 64, OPT_SHAPES = 0x200, OPT_FILE, OPT_REPEATS, OPT_FIRST, OPT_DOUBLE };

static const char help[] =
    "usage: regret-bench [OPTION]...\n"
    "How far libgemm590's own choice is from the best path it could take, per shape: each\n"
    "candidate path (the selector's choice, regblock tiles, split K, the host) forced, against\n"
    "the library's choice, interleaved; and the cost of the first calls of a new shape class\n"
    "while the online choice (GEMM590_ADAPT) learns it.  Shapes are column-major.\n"
    "\n"
    "  --shapes LIST         comma-separated MxNxK[:TT] (default: 20 shapes away from the\n"
    "                        training grids)\n"
    "  --file FILE           shapes from FILE, one MxNxK[:TT] per line (# starts a comment)\n"
    "  --repeats R           interleaved rounds, 1 to 100 (default 5)\n"
    "  --first F             first calls timed after forgetting, 1 to 100 (default 10)\n"
    "  --double              cblas_dgemm instead of cblas_sgemm\n" CLI_STANDARD_HELP
    "Exit status: 0, 1 when no device serves, 2 for a bad command line.\n";

static const struct option long_options[] = {
    {"shapes", required_argument, NULL, OPT_SHAPES}, {"file", required_argument, NULL, OPT_FILE},
    {"repeats", required_argument, NULL, OPT_REPEATS},
    {"first", required_argument, NULL, OPT_FIRST}, {"double", no_argument, NULL, OPT_DOUBLE},
    CLI_STANDARD_OPTIONS};
static const cli regret_cli = {"regret-bench", help, "h", long_options};

/* Skinny, deep, transposed and odd: none of them a training-grid point. */
static const char default_shapes[] =
    "2048x8192x512,8192x2048x512,3000x3000x3000,1500x1500x6000,5000x700x2500,700x5000x2500,"
    "4100x4100x300,300x4100x4100,6000x6000x800,1234x5678x910,2500x2500x2500:TN,"
    "3333x1111x2222:NT,1800x1800x1800:TT,9000x1000x1000,1000x9000x1000,1000x1000x9000,"
    "2900x2900x700,640x640x16000,12000x600x600,4500x4500x4500";

typedef struct shape {
  long mnk[3];
  char trans[3];
} shape;

typedef struct operands {
  void *a, *b, *c;
} operands;

static bool f64;

static void *random_matrix(size_t count) {
  size_t elem = f64 ? 8 : 4;
  char *p = malloc(count * elem);
  if (!p) return NULL;
  for (size_t i = 0; i < count; i++) {
    double v = (double)rand() / RAND_MAX - 0.5;
    if (f64) ((double *)p)[i] = v;
    else ((float *)p)[i] = (float)v;
  }
  return p;
}

/* One call through the public API (the library's choice). */
static double run_public(const shape *s, const operands *o) {
  int m = (int)s->mnk[0], n = (int)s->mnk[1], k = (int)s->mnk[2];
  bool ta = s->trans[0] == 'T', tb = s->trans[1] == 'T';
  int lda = ta ? k : m, ldb = tb ? n : k;
  double t0 = bench_now();
  if (f64)
    cblas_dgemm(CblasColMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m,
                n, k, 1.0, o->a, lda, o->b, ldb, 0.0, o->c, m);
  else
    cblas_sgemm(CblasColMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m,
                n, k, 1.0f, o->a, lda, o->b, ldb, 0.0f, o->c, m);
  return (bench_now() - t0) * 1e3;
}

/* Median of the rounds from, from + step, ... of `n`, on a copy:
 * bench_median sorts, and the split estimate needs the rounds in order. */
static double median_every(const double *t, int n, int from, int step) {
  double pick[100];
  int h = 0;
  for (int i = from; i < n; i += step) pick[h++] = t[i];
  return bench_median(pick, h);
}

/* The candidate of `nc` whose median over those rounds is least; *ms: it. */
static int fastest(double times[][100], int nc, int n, int from, int step, double *ms) {
  int best = 0;
  *ms = INFINITY;
  for (int c = 0; c < nc; c++) {
    double t = median_every(times[c], n, from, step);
    if (t < *ms) *ms = t, best = c;
  }
  return best;
}

/* The split estimate of best/chosen (see the top): the best of `nc`
 * candidates on one half of the rounds, against the choice on the other. */
static double split_ratio(double times[][100], int nc, const double *chosen, int repeats) {
  double log_sum = 0, ms;
  for (int pick = 0; pick < 2; pick++) {
    int best = fastest(times, nc, repeats, pick, 2, &ms);
    log_sum += log(median_every(times[best], repeats, !pick, 2) /
                   median_every(chosen, repeats, !pick, 2));
  }
  return exp(log_sum / 2);
}

/* The job of the same call (as lib/api/args.c would build it). */
static g590_job job_of(const shape *s, const operands *o) {
  bool ta = s->trans[0] == 'T', tb = s->trans[1] == 'T';
  g590_job j = {.op = G590_GEMM, .type = f64 ? G590_F64 : G590_F32, .entry = "regret-bench",
                .layout = 'C', .user_ta = s->trans[0], .user_tb = s->trans[1],
                .user_m = s->mnk[0], .user_n = s->mnk[1], .trans_a = ta, .trans_b = tb,
                .m = s->mnk[0], .n = s->mnk[1], .k = s->mnk[2], .alpha = 1, .beta = 0,
                .a = o->a, .lda = ta ? s->mnk[2] : s->mnk[0], .b = o->b,
                .ldb = tb ? s->mnk[1] : s->mnk[2], .c = o->c, .ldc = s->mnk[0]};
  return j;
}

static double run_forced(const shape *s, const operands *o, const g590_choice *c) {
  g590_job j = job_of(s, o);
  j.pick = c;
  j.pick_rule = "forced by regret-bench";
  double t0 = bench_now();
  g590_run(&j);
  return (bench_now() - t0) * 1e3;
}

static int read_shapes(const char *text, char sep, shape *out, int count) {
  char *copy = strdup(text), *save = NULL;
  char seps[3] = {sep, '\n', '\0'};
  for (char *tok = strtok_r(copy, seps, &save); tok; tok = strtok_r(NULL, seps, &save)) {
    char *hash = strchr(tok, '#');
    if (hash) *hash = '\0';
    tok += strspn(tok, " \t");
    tok[strcspn(tok, " \t\r")] = '\0';
    if (!*tok) continue;
    if (count == MAX_SHAPES) cli_fail(&regret_cli, "more than %d shapes", MAX_SHAPES);
    cli_shape(&regret_cli, "shape", tok, out[count].mnk, out[count].trans);
    count++;
  }
  free(copy);
  return count;
}

static int read_file(const char *path, shape *out, int count) {
  FILE *f = fopen(path, "r");
  if (!f) cli_fail(&regret_cli, "--file '%s': cannot open", path);
  char text[65536];
  size_t len = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[len] = '\0';
  return read_shapes(text, '\n', out, count);
}

int main(int argc, char **argv) {
  shape shapes[MAX_SHAPES];
  int count = 0, repeats = 5, first = 10;
  for (int opt; (opt = cli_next(&regret_cli, argc, argv)) != -1;) {
    if (opt == OPT_SHAPES) count = read_shapes(optarg, ',', shapes, count);
    else if (opt == OPT_FILE) count = read_file(optarg, shapes, count);
    else if (opt == OPT_REPEATS) repeats = (int)cli_long(&regret_cli, "--repeats", optarg, 1, 100);
    else if (opt == OPT_FIRST) first = (int)cli_long(&regret_cli, "--first", optarg, 1, 100);
    else if (opt == OPT_DOUBLE) f64 = true;
  }
  if (optind < argc) cli_fail(&regret_cli, "unexpected operand '%s'", argv[optind]);
  if (!count) count = read_shapes(default_shapes, ',', shapes, 0);

  const g590_device_info *dev = g590_cl_device();
  if (!dev) {
    fprintf(stderr, "regret-bench: no device serves (GEMM590_DEVICE, GEMM590_VERBOSE=1 say why)\n");
    return 1;
  }
  printf("regret-bench: %s, %s, learning %s, %d rounds, first %d calls\n", dev->name,
         f64 ? "cblas_dgemm" : "cblas_sgemm", g590_adapt_enabled(dev) ? "on" : "off", repeats,
         first);
  bool split = repeats >= 2;
  printf("%-22s %9s %9s %9s %10s %11s%s  %s\n", "shape", "best_ms", "chosen_ms", "first_ms",
         "best/chosen", "first/best", split ? "      split" : "", "best path");
  double log_sum = 0, worst = INFINITY, split_log_sum = 0, split_worst = INFINITY;
  for (int si = 0; si < count; si++) {
    const shape *s = &shapes[si];
    size_t m = (size_t)s->mnk[0], n = (size_t)s->mnk[1], k = (size_t)s->mnk[2];
    operands o = {random_matrix(m * k), random_matrix(k * n), random_matrix(m * n)};
    if (!o.a || !o.b || !o.c) {
      fprintf(stderr, "regret-bench: out of memory at %zux%zux%zu\n", m, n, k);
      return 1;
    }
    g590_job j = job_of(s, &o);
    g590_choice cand[8];
    int nc = g590_select_candidates(&j, dev, cand, 8);
    for (int c = 0; c < nc; c++) run_forced(s, &o, &cand[c]); /* kernels built, host loaded */
    g590_adapt_reset();
    double first_ms = 0;
    for (int i = 0; i < first; i++) first_ms += run_public(s, &o);

    double chosen[100], times[8][100];
    for (int r = 0; r < repeats; r++) {
      chosen[r] = run_public(s, &o);
      for (int c = 0; c < nc; c++) times[c][r] = run_forced(s, &o, &cand[c]);
    }
    double chosen_ms = median_every(chosen, repeats, 0, 1), best_ms;
    int best = fastest(times, nc, repeats, 0, 1, &best_ms);
    double ratio = best_ms / chosen_ms;
    log_sum += log(ratio);
    worst = fmin(worst, ratio);
    char split_text[16] = "";
    if (split) {
      double r = split_ratio(times, nc, chosen, repeats);
      split_log_sum += log(r);
      split_worst = fmin(split_worst, r);
      snprintf(split_text, sizeof split_text, " %10.3f", r);
    }
    char label[48], path[G590_OPTIONS_MAX + 32];
    snprintf(label, sizeof label, "%ldx%ldx%ld:%s", s->mnk[0], s->mnk[1], s->mnk[2], s->trans);
    g590_adapt_path_text(&cand[best], path, sizeof path);
    printf("%-22s %9.3f %9.3f %9.2f %10.3f %11.3f%s  %s%s\n", label, best_ms, chosen_ms,
           first_ms, ratio, first_ms / (first * best_ms), split_text, path,
           best == 0 ? " (selector's)" : "");
    fflush(stdout);
    free(o.a), free(o.b), free(o.c);
  }
  printf("best/chosen: geometric mean %.3f, worst %.3f over %d shapes\n", exp(log_sum / count),
         worst, count);
  if (split)
    printf("split (best picked on half the rounds, timed on the other half): geometric mean "
           "%.3f, worst %.3f\n",
           exp(split_log_sum / count), split_worst);
  return 0;
}
