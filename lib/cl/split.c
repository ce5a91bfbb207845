/* One job on the device, or split across the devices of the process.
 *
 * A gemm large enough to give every device at least one tile column of C
 * is cut into consecutive column ranges, one per device, in proportion to
 * their compute units and rounded to whole tiles; each device runs its
 * range through its own engine (queues, buffers, pinned staging) on its
 * own thread, the first in the caller's.  Columns are independent, so the
 * ranges need no exchange.  A device that fails hands the columns it did
 * not deliver to a device that succeeded; what no device delivered the
 * dispatcher computes on the host (g590_done lists what is final).
 *
 * When to split: when GEMM590_DEVICE names several devices, every product
 * that gives each a tile column (this is how tests force a split on
 * PoCL); with the default (every GPU of one platform), products of at
 * least SPLIT_MIN_FLOPS, below which one GPU's transfers and launch
 * already dominate.  syrk runs on one device. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "cl_engine.h"

/* A starting point to be measured on a machine with two GPUs: about
 * n = 3700 for a square product. */
#define SPLIT_MIN_FLOPS 1e11

typedef struct range {
  g590_engine *e;
  g590_job job;      /* the columns [n0, n0 + job.n) of the caller's job */
  int64_t n0;
  g590_plan plan;
  g590_status status;
  int64_t cols_done; /* of job: leading columns final */
  char what[512], why[192];
  bool planned, started; /* a plan for this device; its own thread runs it */
  const char *redone_by;  /* the device that finished this range after it failed */
  double ms;              /* wall time of this device's part */
  pthread_t thread;
} range;

static void *run_range(void *p) {
  range *r = p;
  double t0 = g590_cl_now_ms();
  r->status = g590_cl_run(r->e, &r->job, &r->plan, &r->cols_done, r->what, sizeof r->what,
                          r->why, sizeof r->why);
  r->ms = g590_cl_now_ms() - t0;
  return NULL;
}

/* The column ranges for `count` devices: widths in whole units of `unit`
 * columns, in proportion to the devices' compute units.  Returns how many
 * devices get columns (those that would get none are left out). */
static int cut(const g590_job *job, g590_engine *engines, int count, int64_t unit, range *r) {
  double total = 0;
  for (int i = 0; i < count; i++)
    total += engines[i].info.compute_units ? engines[i].info.compute_units : 1;
  int64_t units = (job->n + unit - 1) / unit, given = 0;
  int used = 0;
  for (int i = 0; i < count && given < units; i++) {
    double cu = engines[i].info.compute_units ? engines[i].info.compute_units : 1;
    int64_t share = i == count - 1 ? units - given : (int64_t)(units * cu / total + 0.5);
    if (share > units - given) share = units - given;
    if (share < 1) continue;
    int64_t n0 = given * unit, n1 = (given + share) * unit;
    if (n1 > job->n) n1 = job->n;
    r[used] = (range){.e = &engines[i], .job = g590_job_columns(job, n0, n1), .n0 = n0,
                      .status = G590_NOT_HANDLED};
    given += share;
    used++;
  }
  return used;
}

/* The verbose line of a split: the first device's description with
 * devices=<each P:D>, each one's share of the columns and wall time in ms
 * (its panels= and ms= stay the first device's). */
static void describe(const g590_job *job, const range *r, int used, char *what, size_t len) {
  char devices[160] = "", shares[160] = "", redone[160] = "", ms[160] = "";
  for (int i = 0; i < used; i++) {
    if (r[i].redone_by)
      snprintf(redone + strlen(redone), sizeof redone - strlen(redone), "%s%s>%s",
               redone[0] ? "," : " redone=", r[i].e->index, r[i].redone_by);
    snprintf(devices + strlen(devices), sizeof devices - strlen(devices), "%s%s", i ? "," : "",
             r[i].e->index);
    snprintf(shares + strlen(shares), sizeof shares - strlen(shares), "%s%.2f", i ? "," : "",
             (double)r[i].job.n / (double)job->n);
    snprintf(ms + strlen(ms), sizeof ms - strlen(ms), "%s%.3f", i ? "," : "", r[i].ms);
  }
  /* The first range that ran on its own device describes the kernel:
   * "... devices=P:D ..." (a range redone elsewhere has no description). */
  const char *own = r[0].what;
  for (int i = 0; i < used && !own[0]; i++) own = r[i].what;
  const char *at = strstr(own, " devices=");
  const char *rest = at ? strchr(at + 1, ' ') : NULL;
  if (!at || !rest) {
    snprintf(what, len, "%s devices=%s shares=%s device_ms=%s%s", own, devices, shares, ms,
             redone);
    return;
  }
  snprintf(what, len, "%.*s devices=%s shares=%s device_ms=%s%s%s", (int)(at - own), own, devices,
           shares, ms, redone, rest);
}

static g590_status job_on_devices(const g590_job *job, g590_engine *e, g590_done *done,
                                  char *what, size_t what_len, char *why, size_t why_len);

g590_status g590_cl_job(const g590_job *job, g590_done *done, char *what, size_t what_len,
                        char *why, size_t why_len) {
  done->count = 0;
  done->built = false;
  g590_engine *e = g590_cl_engine_get(why, why_len); /* opens the engines on first use */
  if (!e) return G590_NOT_HANDLED;
  unsigned long built = atomic_load(&g590_cl_programs_built);
  g590_status st = job_on_devices(job, e, done, what, what_len, why, why_len);
  done->built = atomic_load(&g590_cl_programs_built) != built;
  return st;
}

/* g590_cl_job once the engines are open. */
static g590_status job_on_devices(const g590_job *job, g590_engine *e, g590_done *done,
                                  char *what, size_t what_len, char *why, size_t why_len) {
  g590_engine *engines;
  int count = g590_cl_engines(&engines);
  g590_plan plan;
  if (!g590_select(job, &e->info, &plan, why, why_len)) return G590_NOT_HANDLED;
  const g590_config *cfg = g590_config_get();
  double flops = 2.0 * (double)job->m * (double)job->n * (double)job->k;
  bool explicit_list = cfg->device && (strchr(cfg->device, ',') || !strcmp(cfg->device, "all"));
  range r[G590_MAX_DEVICES];
  int used = count > 1 && job->op == G590_GEMM && (explicit_list || flops >= SPLIT_MIN_FLOPS)
                 ? cut(job, engines, count, (int64_t)plan.tile[1], r)
                 : 1;
  if (used < 2) {
    int64_t cols = 0;
    g590_status st = g590_cl_run(e, job, &plan, &cols, what, what_len, why, why_len);
    done->count = cols > 0;
    done->begin[0] = 0, done->end[0] = cols;
    return st;
  }

  /* Each device its own plan (devices may differ), then its own thread;
   * a range without a plan or a thread is left to the redo below. */
  for (int i = 0; i < used; i++) {
    r[i].status = G590_NOT_HANDLED;
    r[i].planned = g590_select(&r[i].job, &r[i].e->info, &r[i].plan, r[i].why, sizeof r[i].why);
    r[i].started = i > 0 && r[i].planned &&
                   pthread_create(&r[i].thread, NULL, run_range, &r[i]) == 0;
    if (i > 0 && r[i].planned && !r[i].started)
      snprintf(r[i].why, sizeof r[i].why, "no thread for device %s", r[i].e->index);
  }
  if (r[0].planned) run_range(&r[0]);
  for (int i = 1; i < used; i++)
    if (r[i].started) pthread_join(r[i].thread, NULL);

  /* A failed range's remaining columns go to a device that succeeded. */
  for (int i = 0; i < used; i++) {
    for (int j = 0; r[i].status != G590_HANDLED && j < used; j++) {
      if (j == i || r[j].status != G590_HANDLED) continue;
      g590_job rest = g590_job_columns(&r[i].job, r[i].cols_done, r[i].job.n);
      g590_plan p;
      int64_t cols = 0;
      char w[512], y[192];
      if (!g590_select(&rest, &r[j].e->info, &p, y, sizeof y)) continue;
      g590_status st = g590_cl_run(r[j].e, &rest, &p, &cols, w, sizeof w, y, sizeof y);
      r[i].cols_done += cols;
      if (st == G590_HANDLED) r[i].status = G590_HANDLED, r[i].redone_by = r[j].e->index;
    }
  }
  bool all = true;
  for (int i = 0; i < used; i++) {
    all = all && r[i].status == G590_HANDLED;
    done->begin[i] = r[i].n0;
    done->end[i] = r[i].n0 + (r[i].status == G590_HANDLED ? r[i].job.n : r[i].cols_done);
  }
  done->count = used;
  if (all) {
    describe(job, r, used, what, what_len);
    return G590_HANDLED;
  }
  for (int i = 0; i < used; i++)
    if (r[i].status != G590_HANDLED) {
      snprintf(why, why_len, "device %s: %s", r[i].e->index, r[i].why);
      break;
    }
  return G590_NOT_HANDLED;
}
