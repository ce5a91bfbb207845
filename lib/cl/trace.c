/* GEMM590_VERBOSE=2: the host-side timeline of each device call.
 *
 * The verbose line gives three sums (upload, kernel wait, download) and
 * the staging copies; where an end-to-end call loses time against the
 * floor of its transfers (bench/NOTES.md) needs the steps themselves:
 * each host copy of a chunk, each enqueue, each wait for the DMA or a
 * kernel, in order, with its start and length.  Recorded under the engine
 * lock into a fixed array (steps past its end are counted, not kept) and
 * printed as two lines after the call: a sum per kind of step, and the
 * timeline. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_engine.h"

/* e->trace exists only when tracing (GEMM590_VERBOSE=2), so the steps of
 * an untraced call cost one test each. */
void g590_cl_trace_begin(g590_engine *e) {
  e->trace_n = 0;
  e->trace_lost = 0;
  if (!g590_config_get()->trace) return;
  if (!e->trace) e->trace = calloc(G590_CL_TRACE_MAX, sizeof *e->trace);
  e->trace_start = g590_cl_now_ms();
}

void g590_cl_trace(g590_engine *e, const char *what, double t0, double t1) {
  if (!e->trace) return;
  if (e->trace_n == G590_CL_TRACE_MAX) {
    e->trace_lost++;
    return;
  }
  e->trace[e->trace_n++] = (g590_cl_trace_step){what, t0 - e->trace_start, t1 - t0};
}

void g590_cl_trace_print(g590_engine *e, const char *label) {
  if (!e->trace || e->trace_n == 0) return;
  /* Sums per kind, in order of first appearance. */
  const char *kinds[32];
  double sum[32];
  int count[32], nk = 0;
  for (int i = 0; i < e->trace_n; i++) {
    int k = 0;
    while (k < nk && strcmp(kinds[k], e->trace[i].what)) k++;
    if (k == nk) {
      if (nk == 32) continue;
      kinds[nk] = e->trace[i].what, sum[nk] = 0, count[nk] = 0, nk++;
    }
    sum[k] += e->trace[i].ms, count[k]++;
  }
  flockfile(stderr);
  fprintf(stderr, "gemm590: trace %s sums", label);
  for (int k = 0; k < nk; k++) fprintf(stderr, " %s=%.3fx%d", kinds[k], sum[k], count[k]);
  fprintf(stderr, "%s\ngemm590: trace %s steps", e->trace_lost ? " (steps lost)" : "", label);
  for (int i = 0; i < e->trace_n; i++)
    fprintf(stderr, " %s@%.3f+%.3f", e->trace[i].what, e->trace[i].at, e->trace[i].ms);
  fputc('\n', stderr);
  funlockfile(stderr);
}
