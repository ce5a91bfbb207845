/* gemm590-bench's command line: --help, the options and their values,
 * and the kernel families to time (--variants). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gemm590_bench.h"

#define DEFAULT_SIZES "256,512,1024,1280,2048,4096"
#define DEFAULT_VARIANTS                                                                      \
  "tile20_v3;tile24;fp16_mixed;regblock:-DTM=128 -DTN=128 -DKS=8 -DWM=8 -DWN=8;"              \
  "regblock:-DTM=128 -DTN=64 -DKS=8 -DWM=8 -DWN=4;regblock:-DTM=64 -DTN=64 -DKS=8 -DWM=4 -DWN=4"

static const char help[] =
    "usage: gemm590-bench [OPTION]...\n"
    "SGEMM TFLOPS (2*M*N*K / median seconds / 1e12) of every libgemm590 kernel family\n"
    "beside CLBlast, NVBLAS, cuBLAS and OpenBLAS, in one process on libgemm590's device\n"
    "(GEMM590_DEVICE applies).  Columns: resident (operands already on the device), e2e\n"
    "(from pageable host memory), err (largest difference to OpenBLAS over its largest\n"
    "element).  Without a usable device (none, GEMM590_DISABLE_DEVICE=1 or\n"
    "GEMM590_DEVICE=none) only the host rows run: cblas_sgemm(selector,host) and openblas.\n"
    "\n"
    "  --sizes LIST          square sizes, comma-separated, 1 to 65536\n"
    "                        (default " DEFAULT_SIZES ")\n"
    "  --shape MxNxK         one shape; repeat for more (with --sizes: both)\n"
    "  --trans TT            transposes of A and B: NN (default), NT, TN or TT\n"
    "  --variants SPEC       families, ';'-separated, each FAMILY or FAMILY:-DNAME=value...\n"
    "                        (default: tile20_v3, tile24, fp16_mixed, and regblock with\n"
    "                        128x128, 128x64 and 64x64 tiles)\n"
    "  --float64             DGEMM kernels instead: resident rows only, each variant and\n"
    "                        the selector's choice (default variants: every tile the\n"
    "                        library considers for the shape); with --cublas, pass its\n"
    "                        --float64 too.  End to end: level3-bench --routines dgemm\n"
    "  --no-host             leave out the openblas rows\n"
    "  --floor               measure the link and copy rates, and after each cblas_sgemm\n"
    "                        row print the end-to-end floor and the share of it reached\n"
    "  --csv FILE            write every row to FILE (device,m,n,k,trans,what,mode,\n"
    "                        seconds,tflops,max_rel_err)\n"
    "  --plot PNG            with --csv: draw the CSV into PNG with bench/plot.py, run by\n"
    "                        the Python of --python; checked before the benchmark starts:\n"
    "                        exit 1 when that Python lacks matplotlib\n"
    "  --python PYTHON       the Python for --plot (default: $PYTHON, else python3 on PATH;\n"
    "                        e.g. /usr/bin/python3 with Debian's python3-matplotlib)\n"
    "  --build-log OPTION    print each variant's build log, built with OPTION\n"
    "                        (e.g. -cl-nv-verbose for NVIDIA's register report)\n"
    "  --nvblas LIB          NVBLAS rows from LIB (libnvblas.so.*); unless NVBLAS_CONFIG_FILE\n"
    "                        is set, a config naming OpenBLAS and all GPUs is written\n"
    "  --cublas CMD          cuBLAS rows from CMD run with one MxNxK:TT per shape\n"
    "                        (e.g. \"python3 bench/cublas_ref.py\"), after the other rows\n"
    "  --clblast-tuned DIR   CLBlast rows again with the fastest parameters of the\n"
    "                        clblast_xgemm_*.json files of clblast_tuner_xgemm in DIR\n"
    CLI_STANDARD_HELP
    "Exit status: 0 done, 1 a failure (CSV, plot), 2 a bad command line.\n";

enum { OPT_SHAPE = 0x200, OPT_TRANS, OPT_VARIANTS, OPT_NO_HOST, OPT_CSV, OPT_PLOT, OPT_PYTHON,
       OPT_BUILD_LOG, OPT_NVBLAS, OPT_CUBLAS, OPT_CLBLAST_TUNED, OPT_SIZES, OPT_FLOOR,
       OPT_FLOAT64 };

static const struct option long_options[] = {
    {"sizes", required_argument, NULL, OPT_SIZES},
    {"shape", required_argument, NULL, OPT_SHAPE},
    {"trans", required_argument, NULL, OPT_TRANS},
    {"variants", required_argument, NULL, OPT_VARIANTS},
    {"no-host", no_argument, NULL, OPT_NO_HOST},
    {"floor", no_argument, NULL, OPT_FLOOR},
    {"float64", no_argument, NULL, OPT_FLOAT64},
    {"csv", required_argument, NULL, OPT_CSV},
    {"plot", required_argument, NULL, OPT_PLOT},
    {"python", required_argument, NULL, OPT_PYTHON},
    {"build-log", required_argument, NULL, OPT_BUILD_LOG},
    {"nvblas", required_argument, NULL, OPT_NVBLAS},
    {"cublas", required_argument, NULL, OPT_CUBLAS},
    {"clblast-tuned", required_argument, NULL, OPT_CLBLAST_TUNED},
    CLI_STANDARD_OPTIONS};

static const cli bench_cli = {"gemm590-bench", help, "h", long_options};

static void add_shape(options *o, shape s) {
  if (o->nshapes == MAX_SHAPES)
    cli_fail(&bench_cli, "more than %d shapes (--sizes and --shape together)", MAX_SHAPES);
  o->shapes[o->nshapes++] = s;
}

static void add_sizes(options *o, const char *list) {
  long sizes[MAX_SHAPES];
  int n = cli_long_list(&bench_cli, "--sizes", list, 1, 65536, sizes, MAX_SHAPES);
  for (int i = 0; i < n; i++) add_shape(o, (shape){sizes[i], sizes[i], sizes[i]});
}

/* "family[:-Dname=value ...];...": an unknown family or parameter is a
 * bad value, not a row left out without a word. */
static void parse_variants(options *o, const char *spec) {
  char *copy = strdup(spec), *save = NULL;
  o->nvariants = 0;
  for (char *tok = strtok_r(copy, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
    variant *v = &o->variants[o->nvariants];
    g590_choice choice;
    const char *err = g590_choice_parse(tok, ':', &choice);
    char *colon = strchr(tok, ':');
    if (colon) *colon = '\0';
    if (!choice.family) cli_fail(&bench_cli, "--variants: '%s' is not a kernel family", tok);
    if (err) cli_fail(&bench_cli, "--variants: '%s:%s': %s", tok, colon + 1, err);
    if (o->nvariants == MAX_VARIANTS)
      cli_fail(&bench_cli, "--variants: more than %d variants", MAX_VARIANTS);
    v->family = choice.family;
    v->params = choice.params;
    if (colon) {
      /* The tile in the label, for the rows of several regblock tiles. */
      snprintf(v->label, sizeof v->label, "%s%dx%d#%d", tok, v->params.tm, v->params.tn,
               o->nvariants);
    } else {
      snprintf(v->label, sizeof v->label, "%s", tok);
    }
    o->nvariants++;
  }
  free(copy);
}

void parse_options(int argc, char **argv, options *o) {
  *o = (options){.trans = "NN", .host = true, .python = getenv("PYTHON")};
  const char *variants = DEFAULT_VARIANTS;
  long mnk[3];
  for (int opt; (opt = cli_next(&bench_cli, argc, argv)) != -1;) {
    switch (opt) {
    case OPT_SIZES: add_sizes(o, optarg); break;
    case OPT_SHAPE:
      cli_shape(&bench_cli, "--shape", optarg, mnk, NULL);
      add_shape(o, (shape){mnk[0], mnk[1], mnk[2]});
      break;
    case OPT_TRANS: cli_trans(&bench_cli, "--trans", optarg, o->trans); break;
    case OPT_VARIANTS: variants = optarg, o->variants_given = true; break;
    case OPT_FLOAT64: o->f64 = true; break;
    case OPT_NO_HOST: o->host = false; break;
    case OPT_FLOOR: o->floor = true; break;
    case OPT_CSV: o->csv = optarg; break;
    case OPT_PLOT: o->plot = optarg; break;
    case OPT_PYTHON: o->python = optarg; break;
    case OPT_BUILD_LOG: o->build_log = optarg; break;
    case OPT_NVBLAS: o->nvblas = optarg; break;
    case OPT_CUBLAS: o->cublas = optarg; break;
    case OPT_CLBLAST_TUNED: o->clblast_tuned = optarg; break;
    }
  }
  if (optind < argc) cli_fail(&bench_cli, "unexpected argument '%s'", argv[optind]);
  if (o->plot && !o->csv) cli_fail(&bench_cli, "--plot %s needs --csv FILE", o->plot);
  if (!o->python || !o->python[0]) o->python = "python3";
  o->ta = o->trans[0] == 'T';
  o->tb = o->trans[1] == 'T';
  if (o->f64 && (o->floor || o->nvblas || o->clblast_tuned))
    cli_fail(&bench_cli, "--float64 measures resident kernels only: no --floor, --nvblas or "
             "--clblast-tuned");
  parse_variants(o, variants);
  if (!o->nshapes) add_sizes(o, DEFAULT_SIZES);
}
