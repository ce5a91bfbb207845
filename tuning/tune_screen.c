/* gemm590-tune's screening of regblock: its space is too large for every
 * shape, so its points are first measured on a few representative shapes
 * (all of them, or with --quick a fixed sample and then the neighbours of
 * the best), and only the best, plus the rule-based selector's own
 * choices, go on to the whole grid. */
#include <math.h>
#include <stdlib.h>

#include "tune.h"

/* Resident time of `label` at s from the CSV, or -1. */
static double resident_of(const tuner *t, const shape *s, const candidate *c) {
  char label[32 + PARAMS];
  tune_label(c, label, sizeof label);
  const row *r = tune_find_row(t, s, label);
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
    if (g590_params_equal(&pts[i].params, &c->params)) return true;
  return false;
}

/* --quick screens a sample, not the whole space: `n_sample` points drawn
 * in a fixed pseudo-random order (the same on every run, so a resumed run
 * screens the same points), plus the rules' points. */
int tune_sample_points(const candidate *space, int n_space, int n_sample,
                       const g590_params *rules, int n_rules, candidate *out) {
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
      if (g590_params_equal(&space[i].params, &rules[r]) && !contains(out, n, &space[i]))
        out[n++] = space[i];
  return n;
}

/* Local refinement after a sampled screening: the valid points one step
 * from the `top` best screened ones (one coordinate changed to its
 * neighbouring value), not screened yet, appended to `pts`.  Returns the
 * new count. */
int tune_add_neighbours(const tuner *t, const candidate *space, int n_space, candidate *pts,
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
int tune_pick_survivors(const tuner *t, const candidate *pts, int n_pts, const shape *screen,
                        int n_screen, int keep, const g590_params *rules, int n_rules,
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
  for (int r = 0; r < n_rules; r++) {
    bool in_space = false;
    for (int i = 0; i < n_pts; i++)
      if (g590_params_equal(&pts[i].params, &rules[r])) {
        in_space = true;
        if (!chosen[i]) out[n++] = pts[i];
        chosen[i] = true;
      }
    if (!in_space && tune_candidate(&out[n], &g590_regblock, &rules[r], &t->e->info, t->routine))
      n++;
  }
  return n;
}

/* Measures `pts` on every screening shape; false when the time limit
 * stopped it. */
bool tune_screen_points(tuner *t, const shape *screen, int n_screen, const candidate *pts,
                        int n) {
  for (int s = 0; s < n_screen; s++)
    if (!tune_measure_shape(t, "screen", &screen[s], pts, n)) return false;
  return true;
}
