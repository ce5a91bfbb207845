/* table_probe: runs libgemm590's selector on a made-up device, for
 * tuning/test_table.py (no OpenCL device is needed: selection is pure).
 *
 *   table_probe embedded
 *       checks every embedded entry: tree shape, families, parameters
 *       (the generic GPU entry's within the portable limits), and that a
 *       device of its kind finds it; prints "ok" or the failures.
 *   table_probe select NAME VENDOR gpu|cpu M N K TA TB [REPEAT [UNITS]]
 *       prints "device <family> <defines> | <rule>" or "host | <why>",
 *       REPEAT times (default 1), on a device of UNITS compute units
 *       (default 64; the rules' split K depends on it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

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
  d.max_work_group = 1024;
  d.local_mem = 48 << 10;
  d.compute_units = 64;
  return d;
}

/* Portable: runs on any GPU with 256 work-items in whole 64-wide
 * wavefronts and 32 KiB of local memory, without vendor options. */
static bool portable(const g590_plan *p) {
  size_t items = p->local[0] * p->local[1];
  return items <= 256 && items % 64 == 0 && g590_plan_local_bytes(p) <= 32768 &&
         !strstr(p->defines, "-cl-") && !strstr(p->defines, "NO_REQD_WG");
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
    const g590_family *f = g590_family_find(ch->family);
    if (!f || f->lowers_precision) {
      fail(t, "unknown family or one that lowers precision");
      continue;
    }
    g590_plan plan;
    g590_plan_family(&plan, f, ch->defines, "probe");
    if (t->match == G590_MATCH_TYPE && t->type == G590_TYPE_GPU && !portable(&plan))
      fail(t, "generic GPU entry with non-portable parameters");
  }
  /* A device of this entry's kind, unknown by name (and vendor, for a
   * type entry), must find it. */
  bool gpu = t->type == G590_TYPE_GPU;
  g590_device_info d = make_device(t->match == G590_MATCH_NAME ? t->key : "No Such Device 9000",
                                   t->match == G590_MATCH_VENDOR ? t->key : "No Such Vendor", gpu);
  const g590_table_entry *found = g590_table_find(&d);
  if (found != t) fail(t, "not found for its own device");
  if (t->match == G590_MATCH_NAME) {
    /* Mesa's "(radeonsi, ..., kernel version)" tail is not part of the
     * name: another one must match too. */
    char annotated[sizeof ((g590_device_info *)0)->name];
    const char *tail = strrchr(t->key, '(');
    int core = tail && tail > t->key && tail[-1] == ' ' ? (int)(tail - t->key - 1) : 200;
    snprintf(annotated, sizeof annotated, "%.*s (driver 1.2.3, linux 9.9)", core, t->key);
    g590_device_info a = make_device(annotated, "No Such Vendor", gpu);
    if (g590_table_find(&a) != t) fail(t, "not found with an annotated name");
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
      g590_call call = {.m = 4096, .n = 4096, .k = 4096};
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

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "embedded") == 0) return embedded();
  if (argc < 10 || strcmp(argv[1], "select") != 0) {
    fprintf(stderr, "usage: see tuning/table_probe.c\n");
    return 2;
  }
  g590_device_info dev = make_device(argv[2], argv[3], strcmp(argv[4], "gpu") == 0);
  g590_call call = {.entry = "probe", .m = atoll(argv[5]), .n = atoll(argv[6]),
                    .k = atoll(argv[7]), .trans_a = atoi(argv[8]) != 0,
                    .trans_b = atoi(argv[9]) != 0, .alpha = 1.0f};
  int repeat = argc > 10 ? atoi(argv[10]) : 1;
  if (argc > 11) dev.compute_units = (unsigned)atoi(argv[11]);
  for (int r = 0; r < repeat; r++) {
    g590_plan plan;
    char why[192] = "";
    if (g590_select(&call, &dev, &plan, why, sizeof why))
      printf("device %s %s | %s\n", plan.family->name, plan.defines, plan.rule);
    else
      printf("host | %s\n", why);
  }
  return 0;
}
