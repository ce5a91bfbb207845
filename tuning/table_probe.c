/* table_probe: runs libgemm590's selector on a made-up device, for
 * tuning/test_table.py (no OpenCL device is needed: selection is pure).
 *
 *   table_probe embedded
 *       checks every embedded entry: tree shape, families, parameters
 *       (the generic GPU entry's within the portable limits), and that a
 *       device of its kind finds it; prints "ok" or the failures.
 *   table_probe select NAME VENDOR gpu|cpu M N K TA TB [REPEAT [UNITS]]
 *       prints "device <family> <options> | <rule>" or "host | <why>",
 *       REPEAT times (default 1), on a device of UNITS compute units
 *       (default 64; the rules' split K depends on it). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "select.h"
#include "table.h"

static const char help[] =
    "usage: table_probe [OPTION]... embedded\n"
    "       table_probe [OPTION]... select[-ROUTINE] NAME VENDOR gpu|cpu M N K TA TB\n"
    "                                   [REPEAT [UNITS]]\n"
    "libgemm590's selector on a made-up device, no OpenCL needed (tuning/test_table.py,\n"
    "tuning/score_rules.py).  GEMM590_TABLE and GEMM590_MIN_DEVICE_FLOPS apply.\n"
    "\n"
    "  embedded              check every embedded table entry; print \"ok\", or the\n"
    "                        failures and exit 1\n"
    "  select                print \"device <family> <options> | <rule>\" or \"host | <why>\"\n"
    "                        for the shape M N K (1 to 2147483647), transposes TA, TB\n"
    "                        (0 or 1), REPEAT times (1 to 1000000, default 1), on a\n"
    "                        device named NAME by VENDOR (type gpu or cpu) with UNITS\n"
    "                        compute units (1 to 65536, default 64)\n"
    "  select-dgemm, select-ssyrk, select-dsyrk\n"
    "                        the same for that routine (syrk: M = N, TB = !TA)\n" CLI_STANDARD_HELP;

static const cli probe_cli = {"table_probe", help, "h", cli_standard_options};

static int failures;

static void fail(const g590_table_entry *t, const char *what) {
  printf("FAIL entry %s: %s\n", t->id, what);
  failures++;
}

static g590_device_info make_device(const char *name, const char *vendor, bool gpu) {
  g590_device_info d;
  memset(&d, 0, sizeof d);
  snprintf(d.name, sizeof d.name, "%s", name);
  snprintf(d.vendor, sizeof d.vendor, "%s", vendor);
  d.is_gpu = gpu;
  d.is_cpu = !gpu;
  d.fp64 = true;
  d.max_work_group = 1024;
  d.local_mem = 48 << 10;
  d.compute_units = 64;
  /* Named like NVIDIA GPUs the library was measured on: their compute
   * capability's features (A100 sm_80; H100, H200 sm_90). */
  bool nvidia = strstr(vendor, "NVIDIA") != NULL;
  bool sm90 = nvidia && (strstr(name, "H100") || strstr(name, "H200"));
  d.tensor_cores = sm90 || (nvidia && strstr(name, "A100"));
  d.f64_mma_16x8x8 = sm90;
  return d;
}

/* Portable: runs on any GPU with 256 work-items in whole 64-wide
 * wavefronts and 32 KiB of local memory, without vendor options. */
static bool portable(const g590_plan *p) {
  size_t items = p->local[0] * p->local[1];
  return items <= 256 && items % 64 == 0 && g590_plan_local_bytes(p) <= 32768 &&
         !p->params.maxrregcount && !p->params.no_reqd_wg;
}

static void check_entry(const g590_table_entry *t) {
  if (t->n_nodes < 1 || t->n_choices < 1) fail(t, "empty");
  for (int i = 0; i < t->n_nodes; i++) {
    const g590_table_node *n = &t->nodes[i];
    if (n->feature == G590_FEATURE_LEAF) {
      if (n->choice < 0 || n->choice >= t->n_choices) fail(t, "leaf choice out of range");
    } else if (n->feature < 0 || n->feature >= G590_FEATURES || n->left <= i ||
               n->right <= i || n->left >= t->n_nodes || n->right >= t->n_nodes) {
      fail(t, "node out of order or range");
    }
  }
  for (int c = 0; c < t->n_choices; c++) {
    const g590_table_choice *ch = &t->choices[c];
    if (!ch->family) continue;
    if (ch->family->lowers_precision) {
      fail(t, "a family that lowers precision");
      continue;
    }
    /* What the table holds must be what a table file could say: the
     * rendered options parse back to the same tunables. */
    char options[G590_OPTIONS_MAX];
    g590_params back;
    g590_params_options(&ch->params, options, sizeof options);
    if (g590_params_parse(ch->family, options, &back) || !g590_params_equal(&back, &ch->params))
      fail(t, "parameters that do not parse back from their options");
    g590_plan plan;
    g590_plan_family(&plan, ch->family, &ch->params, "probe");
    if (t->match == G590_MATCH_TYPE && t->type == G590_TYPE_GPU && !portable(&plan))
      fail(t, "generic GPU entry with non-portable parameters");
  }
  /* A device of this entry's kind, unknown by name (and vendor, for a
   * type entry), must find it. */
  bool gpu = t->type == G590_TYPE_GPU;
  g590_device_info d = make_device(t->match == G590_MATCH_NAME ? t->key : "No Such Device 9000",
                                   t->match == G590_MATCH_VENDOR ? t->key : "No Such Vendor", gpu);
  const g590_table_entry *found = g590_table_find_routine(&d, t->data_type, t->op);
  if (found != t) fail(t, "not found for its own device");
  if (t->match == G590_MATCH_NAME) {
    /* Mesa's "(radeonsi, ..., kernel version)" tail is not part of the
     * name: another one must match too. */
    char annotated[sizeof ((g590_device_info *)0)->name];
    const char *tail = strrchr(t->key, '(');
    int core = tail && tail > t->key && tail[-1] == ' ' ? (int)(tail - t->key - 1) : 200;
    snprintf(annotated, sizeof annotated, "%.*s (driver 1.2.3, linux 9.9)", core, t->key);
    g590_device_info a = make_device(annotated, "No Such Vendor", gpu);
    if (g590_table_find_routine(&a, t->data_type, t->op) != t)
      fail(t, "not found with an annotated name");
  }
}

static int embedded(void) {
  bool generic_cpu = false;
  for (int i = 0; i < g590_embedded_table_count; i++) {
    const g590_table_entry *t = &g590_embedded_tables[i];
    check_entry(t);
    if (t->match == G590_MATCH_TYPE && t->type == G590_TYPE_CPU) {
      generic_cpu = true;
      /* An unmeasured CPU device: the host, whatever the shape. */
      g590_job call = {.m = 4096, .n = 4096, .k = 4096};
      int leaf = g590_table_leaf(t, &call, NULL, 0);
      if (t->choices[t->nodes[leaf].choice].family) fail(t, "generic CPU entry is not host");
    }
  }
  if (!generic_cpu) {
    printf("FAIL no generic CPU entry\n");
    failures++;
  }
  if (!failures) printf("ok: %d embedded entries\n", g590_embedded_table_count);
  return failures ? 1 : 0;
}

/* `table_probe select[-ROUTINE] ...`, its operands from argv[0] on. */
static int select_command(int argc, char **argv) {
  const char *name = argv[0][6] == '-' ? argv[0] + 7 : "sgemm";
  const g590_routine *routine = g590_routine_find(name);
  if (!routine) cli_fail(&probe_cli, "unknown routine '%s'", name);
  bool syrk = routine->op == G590_SYRK;
  if (argc < 9 || argc > 11)
    cli_fail(&probe_cli, "select takes NAME VENDOR gpu|cpu M N K TA TB [REPEAT [UNITS]]");
  if (strcmp(argv[3], "gpu") && strcmp(argv[3], "cpu"))
    cli_fail(&probe_cli, "device type '%s': must be gpu or cpu", argv[3]);
  g590_device_info dev = make_device(argv[1], argv[2], strcmp(argv[3], "gpu") == 0);
  g590_job call = {.entry = "probe", .m = cli_long(&probe_cli, "M", argv[4], 1, INT_MAX),
                    .n = cli_long(&probe_cli, "N", argv[5], 1, INT_MAX),
                    .k = cli_long(&probe_cli, "K", argv[6], 1, INT_MAX),
                    .trans_a = cli_long(&probe_cli, "TA", argv[7], 0, 1),
                    .trans_b = cli_long(&probe_cli, "TB", argv[8], 0, 1), .alpha = 1.0f};
  call.type = routine->type;
  if (syrk) {
    if (call.m != call.n || call.trans_b == call.trans_a)
      cli_fail(&probe_cli, "a syrk has M = N and TB = !TA");
    call.op = G590_SYRK;
  }
  long repeat = argc > 9 ? cli_long(&probe_cli, "REPEAT", argv[9], 1, 1000000) : 1;
  if (argc > 10) dev.compute_units = (unsigned)cli_long(&probe_cli, "UNITS", argv[10], 1, 65536);
  for (long r = 0; r < repeat; r++) {
    g590_plan plan;
    char why[192] = "";
    char options[G590_OPTIONS_MAX];
    if (g590_select(&call, &dev, &plan, why, sizeof why)) {
      g590_plan_options(&plan, options, sizeof options);
      printf("device %s %s | %s\n", plan.family->name, options, plan.rule);
    } else
      printf("host | %s\n", why);
  }
  return 0;
}

int main(int argc, char **argv) {
  /* --help and --version are its only options, and cli_next exits on any. */
  cli_next(&probe_cli, argc, argv);
  int n = argc - optind;
  char **ops = argv + optind;
  if (n == 1 && strcmp(ops[0], "embedded") == 0) return embedded();
  if (n >= 1 && strncmp(ops[0], "select", 6) == 0 && (!ops[0][6] || ops[0][6] == '-'))
    return select_command(n, ops);
  cli_fail(&probe_cli, "expected 'embedded' or 'select ...', got '%s'", n ? ops[0] : "");
}
