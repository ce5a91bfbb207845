/* gemm590-tune: measures every candidate (kernel family x parameters valid
 * on the device, and the host BLAS) on a grid of shapes and writes one CSV
 * row per (shape, candidate), for tuning/train.py.
 *
 *   gemm590-tune [--quick] [--routine R] [--out FILE] [--device SPEC] [--max-size S]
 *                [--repeats R] [--survivors N] [--sample N] [--time-limit SECONDS] [--list]
 *   (`gemm590-tune --help` says what each does)
 *
 * --routine picks what is measured: sgemm (the default), dgemm, ssyrk or
 * dsyrk, each through the library's own job of that routine (what
 * cblas_dgemm, cblas_ssyrk and cblas_dsyrk run) and checked against the
 * host BLAS's routine.  Its candidates are the tiles that can serve it:
 * float64 needs a family built for it (regblock), syrk square tiles
 * without split K; the 2x2 families serve neither.  syrk shapes have
 * m == n and tb == !ta (tune_grid.c).  Each row names its routine.
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
 * rule-based selector's own choices, are measured on the whole grid.
 * --sample N sets the sample (0: the selector's points alone, no
 * neighbours: a run that compiles few kernels, as tests want). */
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "tune.h"

/* Points of regblock's space that --quick screens before refining. */
enum { QUICK_SAMPLE = 20 };

void tune_die(const char *format, ...) {
  va_list ap;
  va_start(ap, format);
  fprintf(stderr, "gemm590-tune: ");
  vfprintf(stderr, format, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  exit(1);
}

static const char help[] =
    "usage: gemm590-tune [OPTION]...\n"
    "Measures every candidate (kernel family x parameters valid on the device, and the\n"
    "host BLAS) on a grid of shapes and writes one CSV row per (shape, candidate) for\n"
    "tuning/train.py (tuning/README.md).  Rerunning the same command resumes.\n"
    "\n"
    "  --quick               smaller grid and fewer repeats: a few minutes on a GPU\n"
    "  --routine R           what to measure: sgemm (default), dgemm, ssyrk or dsyrk; syrk\n"
    "                        shapes are n x n x k in NT and TN, C's upper triangle\n"
    "  --out FILE            the CSV (default tuning-<device>.csv, tuning-<device>-<R>.csv for\n"
    "                        another routine); rows already there are kept\n"
    "  --device SPEC         as GEMM590_DEVICE: P:D, gpu, cpu or part of a name\n"
    "  --max-size S          largest square, 64 to 65536 (default 4096 quick, 8192 full and\n"
    "                        float64 quick; 512 and 1024 on OpenCL CPU devices)\n"
    "  --repeats R           timed samples per median, 1 to 1000 (default 3 quick, 5 full)\n"
    "  --survivors N         regblock points kept after screening, 1 to 100\n"
    "                        (default 4 quick, 8 full)\n"
    "  --sample N            screen a sample of N regblock points and their neighbours, 0 to\n"
    "                        1000 (default 20 quick, the whole space full; 0: only the\n"
    "                        rule-based selector's points)\n"
    "  --time-limit S        stop after S seconds (at least 1); the same command resumes\n"
    "  --list                print the candidates and shapes, measure nothing\n"
    CLI_STANDARD_HELP
    "Exit status: 0 done, 1 error, 2 bad command line, 3 stopped by --time-limit.\n";

enum { OPT_QUICK = 0x200, OPT_LIST, OPT_OUT, OPT_DEVICE, OPT_MAX_SIZE, OPT_REPEATS,
       OPT_SURVIVORS, OPT_TIME_LIMIT, OPT_ROUTINE, OPT_SAMPLE };

static const struct option long_options[] = {
    {"quick", no_argument, NULL, OPT_QUICK},
    {"list", no_argument, NULL, OPT_LIST},
    {"routine", required_argument, NULL, OPT_ROUTINE},
    {"out", required_argument, NULL, OPT_OUT},
    {"device", required_argument, NULL, OPT_DEVICE},
    {"max-size", required_argument, NULL, OPT_MAX_SIZE},
    {"repeats", required_argument, NULL, OPT_REPEATS},
    {"survivors", required_argument, NULL, OPT_SURVIVORS},
    {"sample", required_argument, NULL, OPT_SAMPLE},
    {"time-limit", required_argument, NULL, OPT_TIME_LIMIT},
    CLI_STANDARD_OPTIONS};
static const cli tune_cli = {"gemm590-tune", help, "h", long_options};

int main(int argc, char **argv) {
  bool quick = false, list = false;
  const char *out = NULL;
  const g590_routine *routine = g590_routine_find("sgemm");
  long max_size = 0, repeats = 0, survivors = 0; /* 0: the default of --quick or a full run */
  long sample = -1;                              /* -1: likewise */
  double time_limit = 0;
  for (int opt; (opt = cli_next(&tune_cli, argc, argv)) != -1;) {
    switch (opt) {
    case OPT_QUICK: quick = true; break;
    case OPT_LIST: list = true; break;
    case OPT_OUT: out = optarg; break;
    case OPT_ROUTINE:
      routine = g590_routine_find(optarg);
      if (!routine)
        cli_fail(&tune_cli, "--routine '%s': not sgemm, dgemm, ssyrk or dsyrk", optarg);
      break;
    case OPT_DEVICE: setenv("GEMM590_DEVICE", optarg, 1); break;
    case OPT_MAX_SIZE: max_size = cli_long(&tune_cli, "--max-size", optarg, 64, 65536); break;
    case OPT_REPEATS: repeats = cli_long(&tune_cli, "--repeats", optarg, 1, 1000); break;
    case OPT_SURVIVORS: survivors = cli_long(&tune_cli, "--survivors", optarg, 1, 100); break;
    case OPT_SAMPLE: sample = cli_long(&tune_cli, "--sample", optarg, 0, 1000); break;
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
  g590_engine *e = g590_cl_engine_get(why, sizeof why);
  if (!e) tune_die("%s (--device cpu tunes an OpenCL CPU device)", why);
  const g590_device_info *dev = &e->info;
  bool syrk = routine->op == G590_SYRK;
  if (routine->type == G590_F64 && !dev->fp64)
    tune_die("%s: the device \"%s\" has no double precision: every %s call runs on the host",
             routine->name, dev->name, routine->name);
  /* A quick float64 run on a GPU still goes to 8192: up to 4096 the link
   * hides which tile is faster, and the H100 and H200 entries trained that
   * way kept slower tiles for large products (bench/NOTES.md). */
  bool large_quick = routine->type == G590_F64 && dev->is_gpu;
  if (!max_size)
    max_size = dev->is_gpu ? (quick && !large_quick ? 4096 : 8192) : (quick ? 512 : 1024);

  /* Candidates measured on the whole grid: the host first (it sets the
   * bar early, see time_median), regblock survivors, the 2x2 families:
   * their defaults, and with a full run one more point each. */
  candidate fixed[8], space[MAX_CANDIDATES], cands[MAX_CANDIDATES];
  int n_fixed = 0, n_valid;
  fixed[n_fixed++] = (candidate){.family = NULL};
  static const struct { const g590_family *family; g590_params params; bool full_only; }
  tile_points[] = {{&g590_tile20_v3, {.wg = 10, .ks = 20}, false},
                   {&g590_tile24, {.wg = 12, .ks = 16}, false},
                   {&g590_tile20_v3, {.wg = 16, .ks = 16}, true},
                   {&g590_tile24, {.wg = 8, .ks = 16}, true}};
  for (int i = 0; i < 4; i++)
    if ((!quick || !tile_points[i].full_only) &&
        tune_candidate(&fixed[n_fixed], tile_points[i].family, &tile_points[i].params, dev,
                       routine))
      n_fixed++;
  int enumerated = tune_regblock_space(dev, routine, space, &n_valid);

  shape grid[MAX_SHAPES];
  int n_grid = tune_grid(max_size, quick, syrk, grid);
  /* Screening shapes: a large and a medium square, and a skinny one, so
   * that each tile-size regime has its fastest point kept.  A syrk's C is
   * square: its thin case is the rank-k update, n x n with K = 64 (all
   * three are shapes of its grid). */
  shape screen[MAX_SCREEN] = {{max_size, max_size, max_size, 0, 0},
                              {max_size / 4, max_size / 4, max_size / 4, 0, 0},
                              {16, max_size, max_size, 0, 0}};
  if (syrk) {
    screen[2] = (shape){max_size, max_size, 64, 0, 0};
    for (int s = 0; s < 3; s++) screen[s].tb = true;
  }
  int n_screen = 3;
  g590_params rules[16];
  int n_rules = tune_rule_points(dev, routine, grid, n_grid, rules, 16);

  printf("device: %s (%s, driver %s), %s, %zu work-items, %llu KiB local memory\n", dev->name,
         dev->vendor, dev->driver, dev->is_gpu ? "GPU" : "CPU", dev->max_work_group,
         (unsigned long long)(dev->local_mem >> 10));
  printf("routine: %s; grid: %d shapes (largest square %ld); regblock: %d points enumerated, "
         "%d valid here\n", routine->name, n_grid, max_size, enumerated, n_valid);
  if (list) {
    for (int i = 0; i < n_fixed; i++)
      printf("candidate %s %s (%zu items, %zu B local)\n",
             fixed[i].family ? fixed[i].family->name : "host", fixed[i].options, fixed[i].wg_items,
             fixed[i].local_bytes);
    for (int i = 0; i < n_valid; i++)
      printf("regblock point %s (%zu items, %zu B local)\n", space[i].options, space[i].wg_items,
             space[i].local_bytes);
    for (int i = 0; i < n_rules; i++) {
      candidate c;
      if (tune_candidate(&c, &g590_regblock, &rules[i], dev, routine))
        printf("rules' point %s (%zu items, %zu B local)\n", c.options, c.wg_items,
               c.local_bytes);
    }
    for (int i = 0; i < n_grid; i += syrk ? 2 : 4)
      printf("shape %lldx%lldx%lld (%s)\n", (long long)grid[i].m, (long long)grid[i].n,
             (long long)grid[i].k, syrk ? "NT, TN" : "NN, NT, TN, TT");
    return 0;
  }

  char default_out[300];
  if (!out) {
    /* tuning-<device name>.csv (sgemm) or tuning-<device name>-<routine>.csv,
     * with the name made file-safe. */
    char slug[200];
    size_t j = 0;
    for (const char *p = dev->name; *p && j + 1 < sizeof slug; p++)
      slug[j++] = (isalnum((unsigned char)*p) || *p == '-') ? *p : '_';
    slug[j] = '\0';
    bool sgemm = routine->type == G590_F32 && !syrk;
    snprintf(default_out, sizeof default_out, "tuning-%s%s%s.csv", slug, sgemm ? "" : "-",
             sgemm ? "" : routine->name);
    out = default_out;
  }
  tuner t = {.e = e, .routine = routine, .repeats = repeats ? (int)repeats : quick ? 3 : 5,
             .start = bench_now(), .time_limit = time_limit, .tty = isatty(STDERR_FILENO)};
  tune_csv_open(&t, out);

  int keep = survivors ? (int)survivors : quick ? 4 : 8;
  /* --quick (or --sample): a sample of regblock's space, then the
   * neighbours of its best three (none with an empty sample: the rules'
   * points alone); otherwise the whole space. */
  bool sampled = quick || sample >= 0, refine = sampled && sample != 0;
  candidate screened[MAX_CANDIDATES];
  int n_screened = sampled ? tune_sample_points(space, n_valid, sample >= 0 ? (int)sample
                                                : QUICK_SAMPLE, rules, n_rules, screened)
                           : n_valid;
  if (!sampled) memcpy(screened, space, (size_t)n_valid * sizeof *space);
  /* Work estimate for the ETA: every task of both phases, done or not
   * (what the CSV already has counts as done).  Until screening ends the
   * number of points is a guess: a dozen neighbours of a sample, `keep`
   * plus three of the rules' kept. */
  double screen_work = 0, grid_work = 0;
  for (int s = 0; s < n_screen; s++) screen_work += tune_task_work(&screen[s]);
  for (int s = 0; s < n_grid; s++) grid_work += tune_task_work(&grid[s]);
  t.work_total = (n_screened + (refine ? 12 : 0)) * screen_work + (n_fixed + keep + 3) * grid_work;
  for (size_t i = 0; i < t.n_rows; i++)
    if (t.rows[i].routine == routine) t.work_done += tune_task_work(&t.rows[i].s);

  bool finished = tune_screen_points(&t, screen, n_screen, screened, n_screened);
  int n_sampled = n_screened;
  if (finished && refine) {
    n_screened = tune_add_neighbours(&t, space, n_valid, screened, n_screened, screen, n_screen, 3);
    t.work_total += (n_screened - n_sampled - 12) * screen_work;
    finished =
        tune_screen_points(&t, screen, n_screen, screened + n_sampled, n_screened - n_sampled);
  }
  int n_cands = 0;
  if (finished) {
    cands[n_cands++] = fixed[0];
    n_cands += tune_pick_survivors(&t, screened, n_screened, screen, n_screen, keep, rules,
                                   n_rules, cands + n_cands);
    int n_regblock = n_cands - 1;
    for (int i = 1; i < n_fixed; i++) cands[n_cands++] = fixed[i];
    printf("regblock: %d points enumerated, %d valid here, %d screened", enumerated, n_valid,
           n_screened);
    if (sampled)
      printf(" (%d sampled with the rules' %d, %d neighbours of the best 3)", n_sampled, n_rules,
             n_screened - n_sampled);
    printf(" on %d shapes; %d kept for the whole grid:\n", n_screen, n_regblock);
    for (int i = 1; i <= n_regblock; i++) printf("  %s\n", cands[i].options);
    fflush(stdout);
    t.work_total = n_screened * screen_work + n_cands * grid_work;
  }
  for (int s = 0; s < n_grid && finished; s++)
    finished = tune_measure_shape(&t, "grid", &grid[s], cands, n_cands);
  if (t.tty) fprintf(stderr, "\r\033[K");
  fclose(t.csv);
  char took[32];
  tune_duration(bench_now() - t.start, took, sizeof took);
  if (!finished) {
    printf("stopped at the time limit after %s: the same command resumes (%s)\n", took, out);
    return 3;
  }
  printf("done in %s: %s (%zu rows).  Next (tuning/README.md):\n"
         "  python3 tuning/train.py --emit-text ~/.cache/gemm590/table.txt %s\n",
         took, out, t.n_rows, out);
  return 0;
}