/* gemm590-tune's candidates: a family with typed tunables (lib/core/families.h)
 * and what they cost on the device, regblock's searched space, and the
 * points the rule-based selector would pick. */
#include <stdio.h>
#include <string.h>

#include "tune.h"

void tune_label(const candidate *c, char *out, size_t len) {
  if (c->family) snprintf(out, len, "%s %s", c->family->name, c->options);
  else snprintf(out, len, "host");
}

bool tune_candidate(candidate *c, const g590_family *f, const g590_params *params,
                    const g590_device_info *dev, const g590_routine *r) {
  g590_plan plan;
  g590_plan_family(&plan, f, params, "tune");
  /* Before local_bytes: float64 doubles them. */
  bool serves = g590_plan_serves(&plan, r->type, r->op);
  c->family = f;
  c->params = plan.params;
  g590_plan_options(&plan, c->options, sizeof c->options);
  c->wg_items = plan.local[0] * plan.local[1];
  c->local_bytes = g590_plan_local_bytes(&plan);
  return serves && g590_plan_fits(&plan, dev);
}

/* regblock's searched space: TM, TN in {32, 64, 128}, KS in {8, 16},
 * WM, WN in {4, 8}; on NVIDIA each 8x8-per-item point also without the
 * work-group attribute and capped at 128 registers (what makes 128x128
 * fast there, bench/NOTES.md).  Work-groups below 64 items are left out:
 * they fill neither a 64-wide wavefront nor two warps.  Valid: fits the
 * device and serves r (syrk: the square tiles only). */
int tune_regblock_space(const g590_device_info *dev, const g590_routine *r, candidate *out,
                        int *n_valid) {
  static const int tiles[] = {32, 64, 128}, steps[] = {8, 16}, per_item[] = {4, 8};
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
              g590_params p = {.tm = tm, .tn = tn, .ks = steps[s], .wm = WM, .wn = WN,
                               .no_reqd_wg = nv, .maxrregcount = nv ? 128 : 0};
              candidate c = {.point = {a, b, s, wm, wn, nv}};
              if ((tm / WM) * (tn / WN) >= 64 && tune_candidate(&c, &g590_regblock, &p, dev, r))
                out[(*n_valid)++] = c;
            }
  return enumerated;
}

static void add_point(g590_params *out, int *n, int max, const g590_params *p) {
  for (int j = 0; j < *n; j++)
    if (g590_params_equal(&out[j], p)) return;
  if (*n < max) out[(*n)++] = *p;
}

/* The regblock points the rule-based selector (lib/core/select.c) picks for
 * some shape of the grid on this device: always measured on the whole
 * grid, so that a table can at least do what the rules do.  main() turns
 * the table off, so g590_select answers with the rules.  dgemm and syrk
 * also take the tiles the selector offers the online choice for them
 * (g590_select_candidates: its float64 tiles, the float64 MMA tiles on
 * tensor-core devices, the square ones for syrk), which the rules alone
 * may never pick on this device (a CPU device: never). */
int tune_rule_points(const g590_device_info *dev, const g590_routine *r, const shape *grid,
                     int n_grid, g590_params *out, int max) {
  int n = 0;
  bool sgemm = r->type == G590_F32 && r->op == G590_GEMM;
  for (int i = 0; i < n_grid; i++) {
    g590_job call = tune_routine_job(r, &grid[i], NULL, NULL, NULL);
    if (sgemm) {
      g590_plan plan;
      char why[192];
      if (g590_select(&call, dev, &plan, why, sizeof why) && plan.family == &g590_regblock)
        add_point(out, &n, max, &plan.params);
      continue;
    }
    g590_choice offered[16];
    int n_offered = g590_select_candidates(&call, dev, offered, 16);
    for (int j = 0; j < n_offered; j++)
      if (offered[j].family == &g590_regblock) add_point(out, &n, max, &offered[j].params);
  }
  return n;
}
