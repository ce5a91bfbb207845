/* Online choice: shape classes, their candidates, and when a class
 * settles (see adapt.h).  What was learned is kept on disk by
 * lib/core/adapt_file.c. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapt.h"
#include "adapt_state.h"
#include "select.h"
#include "table.h"

/* Calls of a class that may explore before it settles. */
#define ADAPT_MAX_EXPLORE 10
/* A candidate more than this factor slower than the best so far is not
 * tried again; the others get a second sample, most promising first (a
 * first sample can be slowed by what a process does once: the host BLAS
 * starting its threads, a driver's first transfer). */
#define ADAPT_DROP 2.0
/* Another path replaces the selector's choice only when faster by more
 * than this: two runs of one path differ by up to 10 % on a shared GPU
 * machine, and the best of two samples halves most of that. */
#define ADAPT_MARGIN 0.05
/* The host's rate until one host sample measured it: a pessimistic guess
 * keeps the host out of exploration where the device is far faster. */
#define ADAPT_HOST_GFLOPS_GUESS 50.0

g590_adapt_state g590_adapt = {.lock = PTHREAD_MUTEX_INITIALIZER};

bool g590_adapt_enabled(const g590_device_info *dev) {
  const g590_config *cfg = g590_config_get();
  if (cfg->adapt == 0 || cfg->kernel || cfg->disable_device) return false;
  if (cfg->adapt == 1) return true;
  /* Unset: GPUs with no entry trained for this exact device. */
  const g590_table_entry *t = g590_table_find(dev);
  return dev->is_gpu && (!t || t->match != G590_MATCH_NAME);
}

static double job_flops(const g590_job *job) {
  double n = (double)job->n, k = (double)job->k;
  return job->op == G590_SYRK ? n * (n + 1) * k : 2.0 * (double)job->m * n * k;
}

/* A size rounded to the nearest power of sqrt 2, printed as that power's
 * value: 1024 and 1100 share a class, 1024 and 1448 do not. */
static long bucket(int64_t x) {
  return lround(pow(2.0, round(2.0 * log2((double)x)) / 2.0));
}

void g590_adapt_class_key(const g590_job *job, char *key, size_t len) {
  static const char *types[] = {"f32", "f16", "f64"};
  if (job->op == G590_SYRK)
    snprintf(key, len, "syrk %s%s %c%c n%ld k%ld", types[job->type], job->fp16_ok ? "+fp16" : "",
             job->trans_a ? 'T' : 'N', job->upper ? 'U' : 'L', bucket(job->n), bucket(job->k));
  else
    snprintf(key, len, "gemm %s%s %c%c m%ld n%ld k%ld", types[job->type],
             job->fp16_ok ? "+fp16" : job->tf32_ok ? "+tf32" : "", job->trans_a ? 'T' : 'N', job->trans_b ? 'T' : 'N',
             bucket(job->m), bucket(job->n), bucket(job->k));
}

g590_adapt_class *g590_adapt_find(const char *key) {
  for (int i = 0; i < g590_adapt.count; i++)
    if (strcmp(g590_adapt.classes[i].key, key) == 0) return &g590_adapt.classes[i];
  return NULL;
}

g590_adapt_class *g590_adapt_add(const char *key) {
  g590_adapt_state *s = &g590_adapt;
  if (s->count == s->cap) {
    int cap = s->cap ? 2 * s->cap : 16;
    g590_adapt_class *more = realloc(s->classes, (size_t)cap * sizeof *more);
    if (!more) return NULL;
    s->classes = more;
    s->cap = cap;
  }
  g590_adapt_class *c = &s->classes[s->count++];
  memset(c, 0, sizeof *c);
  snprintf(c->key, sizeof c->key, "%s", key);
  return c;
}

/* Could the host beat `best_ms` on this class?  By its measured rate, or
 * the guess before any host sample. */
static bool host_may_win(const g590_adapt_class *c, double best_ms) {
  double gflops = g590_adapt.host_gflops > 0 ? g590_adapt.host_gflops : ADAPT_HOST_GFLOPS_GUESS;
  double predicted_ms = c->flops / (gflops * 1e6);
  return !isfinite(best_ms) || predicted_ms < ADAPT_DROP * best_ms;
}

static double best_sample(const g590_adapt_class *c, int *at) {
  double best = INFINITY;
  for (int i = 0; i < c->n; i++)
    if (c->cand[i].samples && c->cand[i].best_ms < best) best = c->cand[i].best_ms, *at = i;
  return best;
}

/* The candidate the next exploring call runs, or -1 when exploring is over. */
static int next_to_try(g590_adapt_class *c) {
  int at = 0;
  double best = best_sample(c, &at);
  for (int i = 0; i < c->n; i++) {
    g590_adapt_cand *x = &c->cand[i];
    if (x->dropped || x->samples || x->inflight || x->attempts >= 2) continue;
    if (!x->choice.family && !host_may_win(c, best)) {
      x->dropped = true;
      continue;
    }
    return i;
  }
  int second = -1;
  for (int i = 0; i < c->n; i++) {
    g590_adapt_cand *x = &c->cand[i];
    if (!x->dropped && x->samples == 1 && !x->inflight &&
        (second < 0 || x->best_ms < c->cand[second].best_ms))
      second = i;
  }
  return second;
}

/* The fastest by best sample; the selector's choice (candidate 0) unless
 * another beats it by the margin. */
static void settle(g590_adapt_class *c) {
  int at = 0;
  double best = best_sample(c, &at);
  if (isfinite(best) && c->cand[0].samples && c->cand[0].best_ms <= best * (1 + ADAPT_MARGIN))
    at = 0;
  c->chosen = at;
  c->settled = true;
  c->dirty = true;
}

bool g590_adapt_begin(g590_job *job, g590_adapt_ticket *t) {
  t->cls = -1;
  if (job->pick || job_flops(job) < G590_ADAPT_MIN_FLOPS) return false;
  const g590_device_info *dev = g590_cl_device();
  if (!dev || !g590_adapt_enabled(dev)) return false;
  char key[G590_ADAPT_KEY_MAX];
  g590_adapt_class_key(job, key, sizeof key);

  g590_adapt_state *s = &g590_adapt;
  pthread_mutex_lock(&s->lock);
  g590_adapt_load(dev);
  g590_adapt_class *c = g590_adapt_find(key);
  if (!c && (c = g590_adapt_add(key))) {
    c->flops = job_flops(job);
    g590_choice choices[G590_ADAPT_MAX_CANDS];
    c->n = g590_select_candidates(job, dev, choices, G590_ADAPT_MAX_CANDS);
    for (int i = 0; i < c->n; i++) c->cand[i].choice = choices[i];
    /* One path only: nothing to learn, nothing to keep. */
    if (c->n < 2) c->settled = c->single = true;
  }
  bool learning = c && !c->single;
  if (learning) {
    int i = -1;
    if (!c->settled && c->explored < ADAPT_MAX_EXPLORE && (i = next_to_try(c)) >= 0) {
      c->explored++;
      c->cand[i].attempts++;
      c->cand[i].inflight++;
      t->sample = true;
      /* Loading the host BLAS is the process's cost, not the path's. */
      if (!c->cand[i].choice.family) g590_host_load();
      snprintf(t->rule, sizeof t->rule, "adapt: trying candidate %d of %d", i + 1, c->n);
      snprintf(t->tag, sizeof t->tag, " adapt=explore:%d/%d", i + 1, c->n);
    } else {
      if (!c->settled) {
        /* Candidates still running elsewhere: this call takes the best
         * so far and does not sample; the class settles once the
         * exploring budget is spent or nothing is left to try. */
        bool busy = false;
        for (int j = 0; j < c->n; j++) busy = busy || c->cand[j].inflight;
        if (!busy || c->explored >= ADAPT_MAX_EXPLORE) settle(c);
      }
      int at = c->settled ? c->chosen : 0;
      if (!c->settled) best_sample(c, &at);
      i = at;
      t->sample = false;
      snprintf(t->rule, sizeof t->rule, "adapt: %s",
               c->settled ? "learned" : "best so far, others still exploring");
      snprintf(t->tag, sizeof t->tag, " adapt=%s", c->settled ? "learned" : "explore:best");
    }
    t->cls = (int)(c - s->classes);
    t->cand = i;
    t->choice = c->cand[i].choice;
    job->pick = &t->choice;
    job->pick_rule = t->rule;
  }
  bool write = c && c->dirty;
  if (c) c->dirty = false;
  pthread_mutex_unlock(&s->lock);
  if (write) g590_adapt_save(dev);
  return learning;
}

void g590_adapt_end(const g590_adapt_ticket *t, double ms, g590_sample sample) {
  if (t->cls < 0 || !t->sample) return;
  g590_adapt_state *s = &g590_adapt;
  pthread_mutex_lock(&s->lock);
  g590_adapt_class *c = &s->classes[t->cls];
  g590_adapt_cand *x = &c->cand[t->cand];
  x->inflight--;
  if (sample == G590_SAMPLE_BUILT) {
    /* Not the path's fault (programs are built per transpose and beta =
     * 0 case too): tried again while the exploring budget lasts. */
    x->attempts--;
  } else if (sample == G590_SAMPLE_OK) {
    if (!x->samples || ms < x->best_ms) x->best_ms = ms;
    x->samples++;
    if (!x->choice.family && ms > 0) {
      double gflops = c->flops / (ms * 1e6);
      if (gflops > s->host_gflops) s->host_gflops = gflops;
    }
    int at = 0;
    double best = best_sample(c, &at);
    for (int i = 0; i < c->n; i++)
      if (c->cand[i].samples && c->cand[i].best_ms > ADAPT_DROP * best) c->cand[i].dropped = true;
  } else if (x->attempts >= 2) {
    x->dropped = true; /* a device path that keeps failing */
  }
  pthread_mutex_unlock(&s->lock);
}
