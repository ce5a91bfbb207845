/* The kernel families: each one's name (kernels/<name>.cl, kernel
 * gemm590_<name>), operand size, default tunables, and how its work-group
 * and tile follow from its tunables; and whether a plan fits a device.
 * Shared by the selector (lib/select.c), the decision table (lib/table.c)
 * and the tools. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "families.h"

/* Reads "-DNAME=value" out of a define string, or `fallback`. */
static int define_value(const char *defines, const char *name, int fallback) {
  char key[32];
  snprintf(key, sizeof key, "-D%s=", name);
  const char *p = strstr(defines, key);
  return p ? atoi(p + strlen(key)) : fallback;
}

/* The seed families: a WG x WG work-group computing a 2WG x 2WG tile. */
static void square_2x2_geometry(const char *defines, size_t local[2], size_t tile[3]) {
  int wg = define_value(defines, "WG", 0);
  local[0] = local[1] = (size_t)wg;
  tile[0] = tile[1] = 2 * (size_t)wg;
  tile[2] = (size_t)define_value(defines, "KS", 1);
}

/* Slices of K (-DSPLITK) of regblock and tensor_f16. */
static int define_splits(const char *defines) {
  int s = define_value(defines, "SPLITK", 1);
  return s < 1 ? 1 : s > 16 ? 16 : s;
}

/* regblock: a 1-D work-group of (TM/WM)*(TN/WN) items per TM x TN tile;
 * with split K each slice takes a whole number of K steps. */
static void regblock_geometry(const char *defines, size_t local[2], size_t tile[3]) {
  int tm = define_value(defines, "TM", 128), tn = define_value(defines, "TN", 128);
  int wm = define_value(defines, "WM", 8), wn = define_value(defines, "WN", 8);
  /* A table file may say anything: a zero or negative step gives an empty
   * work-group, which g590_plan_fits rejects, never a division by zero. */
  local[0] = wm > 0 && wn > 0 && tm > 0 && tn > 0 ? (size_t)((tm / wm) * (tn / wn)) : 0;
  local[1] = 1;
  tile[0] = (size_t)tm;
  tile[1] = (size_t)tn;
  tile[2] = (size_t)define_value(defines, "KS", 8) * (size_t)define_splits(defines);
}

/* tensor_f16: WARPS_M x WARPS_N warps of 32 items per TM x TN tile. */
static void tensor_geometry(const char *defines, size_t local[2], size_t tile[3]) {
  int warps = define_value(defines, "WARPS_M", 2) * define_value(defines, "WARPS_N", 4);
  local[0] = 32 * (size_t)warps;
  local[1] = 1;
  tile[0] = (size_t)define_value(defines, "TM", 128);
  tile[1] = (size_t)define_value(defines, "TN", 128);
  tile[2] = (size_t)define_value(defines, "KS", 32) * (size_t)define_splits(defines);
}

static const g590_family tile20_v3 = {"tile20_v3", 4, false, false, "-DWG=10 -DKS=20",
                                      square_2x2_geometry};
static const g590_family tile24 = {"tile24", 4, false, false, "-DWG=12 -DKS=16",
                                   square_2x2_geometry};
static const g590_family fp16_mixed = {"fp16_mixed", 2, true, false, "-DWG=16 -DKS=16",
                                       square_2x2_geometry};
const g590_family g590_regblock = {"regblock", 4, false, true,
                                   "-DTM=128 -DTN=128 -DKS=8 -DWM=8 -DWN=8", regblock_geometry};
/* Reads float32 copies that binary16 holds exactly (lowers precision of
 * any other input): gemm590_hgemm and the fp16 opt-in only. */
const g590_family g590_tensor_f16 = {"tensor_f16", 4, true, true,
                                     "-DTM=128 -DTN=128 -DKS=32 -DWARPS_M=2 -DWARPS_N=4",
                                     tensor_geometry};

const g590_family *const g590_families[] = {&tile20_v3,     &tile24,          &fp16_mixed,
                                            &g590_regblock, &g590_tensor_f16, NULL};

const g590_family *g590_family_find(const char *name) {
  for (int i = 0; g590_families[i]; i++)
    if (strcmp(g590_families[i]->name, name) == 0) return g590_families[i];
  return NULL;
}

void g590_plan_family(g590_plan *plan, const g590_family *f, const char *defines,
                      const char *rule) {
  plan->family = f;
  snprintf(plan->defines, sizeof plan->defines, "%s", defines ? defines : f->defaults);
  f->geometry(plan->defines, plan->local, plan->tile);
  plan->splits = f == &g590_regblock || f == &g590_tensor_f16 ? define_splits(plan->defines) : 1;
  plan->rule = rule;
  plan->half_operands = false;
}

void g590_plan_options(const g590_plan *plan, char *out, size_t len) {
  snprintf(out, len, "%s", plan->defines);
}

size_t g590_plan_local_bytes(const g590_plan *plan) {
  const char *d = plan->defines;
  /* tile[2] is the K step times the split-K slices; local memory holds
   * one K step. */
  size_t ks = plan->tile[2] / (size_t)(plan->splits > 1 ? plan->splits : 1);
  if (strcmp(plan->family->name, "regblock") == 0) {
    /* As4/Bs4: two K steps of (TM + 4) and (TN + 4) floats per k. */
    size_t tm = plan->tile[0], tn = plan->tile[1];
    return 2 * ks * (tm + 4 + tn + 4) * sizeof(float);
  }
  /* The 2x2 families: As and Bs of KS rows of 2 WG elements plus padding
   * (one float; two binary16 for fp16_mixed, keeping rows 4-byte aligned). */
  size_t wg = (size_t)define_value(d, "WG", 0);
  size_t elem = (size_t)plan->family->operand_bytes;
  return 2 * ks * (2 * wg + (elem == 2 ? 2 : 1)) * elem;
}

bool g590_plan_fits(const g590_plan *plan, const g590_device_info *dev) {
  size_t items = plan->local[0] * plan->local[1];
  return items >= 1 && items <= dev->max_work_group &&
         g590_plan_local_bytes(plan) <= dev->local_mem;
}
