/* openblas_defect: the model of the 0.3.21 defect, and the reporting:
 * one line per call, the tallies per group and the summary (see
 * openblas_defect.c). */
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "openblas_defect.h"

/* ---- the model of the 0.3.21 defect, read from its source ----
 * permit: kernel/x86_64/sgemm_small_kernel_permit_skylakex.c.  Columns c
 * of C (within a block of 16) stored through a 32-bit index c * ldc:
 *   NN: rows M%16 in 1..8 take the dot-product branch when K >= 32; of
 *       those, the M%4 rows use 4-column scatters (N >= 4): c <= 3;
 *   TN: the M%4 rows use 4-column scatters (N >= 4): c <= 3;
 *   NT: rows M%16 in 1..11 are all scattered: c <= min(N, 16) - 1;
 *   TT: the M%4 rows are scattered: c <= min(N, 16) - 1.
 * A call goes wrong when the largest such c times ldc reaches 2^31 (the
 * index wraps).  Independently, with alpha = 0 every permitted call with
 * K > 0 reads A and B.  The test prints a MODEL line wherever the
 * measurement disagrees (expected for any other core or version). */
static bool model_permit(char ta, char tb, int64_t m, int64_t n, int64_t k) {
  if (m == 0 || n == 0) return false; /* quick return before the permit */
  if ((double)m * (double)n * (double)k > 1e6) return false;
  if (ta == 'T') {
    if (tb == 'T') return k >= 4;
    return m * n <= 1200 && k >= 32;
  }
  return true;
}

int model_max_column(char ta, char tb, int64_t m, int64_t n, int64_t k) {
  if (!model_permit(ta, tb, m, n, k)) return 0;
  int cmax16 = (int)(n < 16 ? n : 16) - 1;
  if (ta == 'N' && tb == 'N') {
    int mm = (int)(m % 16);
    return mm >= 1 && mm <= 8 && k >= 32 && m % 4 && n >= 4 ? 3 : 0;
  }
  if (ta == 'T' && tb == 'N') return m % 4 && n >= 4 ? 3 : 0;
  if (ta == 'N' && tb == 'T') {
    int mm = (int)(m % 16);
    return mm >= 1 && mm <= 11 ? cmax16 : 0;
  }
  return m % 4 ? cmax16 : 0;
}

/* Whether the model says the call (as column-major sgemm_) goes wrong:
 * huge ldc as above; NaN, Inf or NULL operands with alpha = 0 whenever the
 * small kernels take the call and K > 0 (they read A and B then). */
static bool model_fails(const gcase *g) {
  if (!model_applies) return false;
  char ta = g->ta, tb = g->tb;
  int64_t m = g->m, n = g->n;
  /* Row-major: the transposed product, A and B swapped.  (The AVX-512
   * sgemm_direct path of cblas_sgemm for row-major NN, alpha 1, beta 0 is
   * compiled only when the interface is built for SkylakeX, never in a
   * DYNAMIC_ARCH build such as Debian's: measured, it is not taken.) */
  if (g->api == 'R') ta = g->tb, tb = g->ta, m = g->n, n = g->m;
  if (g->ops != OPS_RANDOM)
    return g->alpha == 0.0f && g->k > 0 && model_permit(ta, tb, m, n, g->k);
  return (int64_t)model_max_column(ta, tb, m, n, g->k) * g->ldc >= ((int64_t)1 << 31);
}

/* ---- reporting ---- */

static const char *const ops_names[] = {"random", "nanA", "infB", "nullAB"};

bool list_mode, all_mode;
const char LIST_HEADER[] =
    "# group api ta tb M N K lda ldb ldc alpha beta operands outcome detail\n"
    "#   api: sgemm_ (column-major Fortran) or cblas_row (cblas_sgemm, CblasRowMajor)\n"
    "#   operands: random | nanA (A all NaN) | infB (B all +Inf) | nullAB (NULL A and B)\n"
    "#   outcome: wrong (detail: bad/total C elements) | crash | hang\n";

static const char *signame(int sig) {
  switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGILL: return "SIGILL";
    case SIGFPE: return "SIGFPE";
    case SIGABRT: return "SIGABRT";
    case SIGALRM: return "SIGALRM";
    default: return "signal";
  }
}

static void describe(const gcase *g, char *buf, size_t len) {
  char ops[40] = "";
  if (g->ops != OPS_RANDOM) snprintf(ops, sizeof ops, " operands=%s", ops_names[g->ops]);
  snprintf(buf, len, "%sta=%c tb=%c M=%d N=%d K=%d lda=%d ldb=%d ldc=%d alpha=%g beta=%g%s",
           g->api == 'R' ? "cblas_sgemm(RowMajor) " : "", g->ta, g->tb, g->m, g->n, g->k,
           g->lda, g->ldb, g->ldc, (double)g->alpha, (double)g->beta, ops);
}

static void outcome(const gresult *r, char *buf, size_t len) {
  switch (r->st) {
    case ST_PASS: snprintf(buf, len, "ok"); break;
    case ST_WRONG: {
      int at = snprintf(buf, len, "wrong %" PRId64 "/%" PRId64, r->wrong, r->total);
      if (r->wrong)
        at += snprintf(buf + at, len - (size_t)at, " (C(%d,%d) = %.7g, reference %.7g)",
                       r->bad_i, r->bad_j, r->got, r->want);
      if (r->outside)
        at += snprintf(buf + at, len - (size_t)at, ", %" PRId64 " canaries around C changed",
                       r->outside);
      if (r->ab_changed)
        snprintf(buf + at, len - (size_t)at, ", A or B changed (%" PRId64 ")", r->ab_changed);
      break;
    }
    case ST_CRASH:
      if (r->fault_known && r->fault_op)
        snprintf(buf, len, "crash %s (address %+" PRId64 " elements from %c(0,0))",
                 signame(r->sig), r->fault_off, r->fault_op);
      else if (r->fault_known)
        snprintf(buf, len, "crash %s (address %#" PRIxPTR ")", signame(r->sig), r->fault_addr);
      else
        snprintf(buf, len, "crash %s", signame(r->sig));
      break;
    case ST_HANG: snprintf(buf, len, "hang (killed after %d s)", CHILD_SECONDS); break;
    case ST_NOMAP: snprintf(buf, len, "skipped: cannot map the operands (%s)", strerror(r->sig)); break;
    default: snprintf(buf, len, "lost (the child ended without a report)"); break;
  }
}

void print_case(const gcase *g, const gresult *r) {
  if (list_mode) {
    if (!failed(r)) return;
    const char *what = r->st == ST_WRONG ? "wrong" : r->st == ST_CRASH ? "crash"
                       : r->st == ST_HANG ? "hang" : "lost";
    char detail[32];
    if (r->st == ST_WRONG)
      snprintf(detail, sizeof detail, "%" PRId64 "/%" PRId64, r->wrong, r->total);
    else if (r->st == ST_CRASH)
      snprintf(detail, sizeof detail, "%s", signame(r->sig));
    else
      snprintf(detail, sizeof detail, "-");
    printf("%s %s %c %c %d %d %d %d %d %d %.9g %.9g %s %s %s\n", g->group,
           g->api == 'R' ? "cblas_row" : "sgemm_", g->ta, g->tb, g->m, g->n, g->k, g->lda,
           g->ldb, g->ldc, (double)g->alpha, (double)g->beta, ops_names[g->ops], what, detail);
    return;
  }
  if (!failed(r) && !all_mode) return;
  char d[256], o[256];
  describe(g, d, sizeof d);
  outcome(r, o, sizeof o);
  printf("%s %s: %s [%s]\n", failed(r) ? "FAIL" : "ok  ", d, o, g->group);
}

/* Human-mode lines only. */
void note(const char *fmt, ...) {
  if (list_mode) return;
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
}

/* Per group: cases, crashes, wrong, and disagreements with the model. */
typedef struct tally {
  const char *group;
  size_t cases, crash, wrong, hang, nomap, model_miss, model_extra;
  int64_t max_mnk_fail[4];  /* per transpose pair, -1: none */
} tally;

static tally tallies[32];
static int ntallies;
static size_t total_fail, total_nomap, total_sigill;
static int64_t max_mnk_fail[4] = {-1, -1, -1, -1};
static size_t model_disagree;

static int pair_index(char ta, char tb) { return (ta == 'T') * 2 + (tb == 'T'); }

static tally *tally_of(const char *group) {
  for (int i = 0; i < ntallies; i++)
    if (!strcmp(tallies[i].group, group)) return &tallies[i];
  tally *t = &tallies[ntallies++];
  *t = (tally){.group = group, .max_mnk_fail = {-1, -1, -1, -1}};
  return t;
}

void record(const gcase *g, const gresult *r) {
  tally *t = tally_of(g->group);
  t->cases++;
  t->crash += r->st == ST_CRASH;
  t->wrong += r->st == ST_WRONG;
  t->hang += r->st == ST_HANG || r->st == ST_LOST;
  t->nomap += r->st == ST_NOMAP;
  total_nomap += r->st == ST_NOMAP;
  /* SIGILL: the core (forced by OPENBLAS_CORETYPE) uses instructions this
   * CPU lacks (Bulldozer's FMA4, Opteron's 3DNow! on a Zen): not the
   * defect, and not a model disagreement */
  bool sigill = r->st == ST_CRASH && r->sig == SIGILL;
  total_sigill += sigill;
  if (failed(r)) {
    total_fail++;
    int64_t mnk = (int64_t)g->m * g->n * g->k;
    /* the pair as sgemm_ sees it (row-major swaps A and B) */
    int p = g->api == 'R' ? pair_index(g->tb, g->ta) : pair_index(g->ta, g->tb);
    if (mnk > t->max_mnk_fail[p]) t->max_mnk_fail[p] = mnk;
    if (g->ops == OPS_RANDOM && g->alpha != 0.0f && mnk > max_mnk_fail[p]) max_mnk_fail[p] = mnk;
  }
  if (r->st != ST_NOMAP && !sigill) {
    bool predicted = model_fails(g);
    if (predicted && !failed(r)) t->model_extra++, model_disagree++;
    if (!predicted && failed(r)) t->model_miss++, model_disagree++;
    if (predicted != failed(r) && !list_mode) {
      char d[256];
      describe(g, d, sizeof d);
      printf("MODEL %s: model says %s, measured %s [%s]\n", d, predicted ? "fail" : "pass",
             failed(r) ? "fail" : "pass", g->group);
    }
  }
}

/* ---- summary ---- */

int summary(const char *coretype, double t0) {
  note("\nSummary (core %s, OPENBLAS_CORETYPE=%s):\n", host_core, coretype ? coretype : "(unset)");
  note("  %-14s %7s %7s %7s %7s  %s\n", "group", "cases", "crash", "wrong", "hang",
       "largest failing M*N*K per pair NN NT TN TT");
  for (int i = 0; i < ntallies; i++) {
    const tally *t = &tallies[i];
    note("  %-14s %7zu %7zu %7zu %7zu ", t->group, t->cases, t->crash, t->wrong, t->hang);
    for (int p = 0; p < 4; p++) {
      if (t->max_mnk_fail[p] < 0)
        note("  %8s", "-");
      else
        note("  %8" PRId64, t->max_mnk_fail[p]);
    }
    note("\n");
  }
  note("  largest failing M*N*K (random operands, alpha != 0): NN %" PRId64 ", NT %" PRId64
       ", TN %" PRId64 ", TT %" PRId64 " (-1: none)\n",
       max_mnk_fail[0], max_mnk_fail[1], max_mnk_fail[2], max_mnk_fail[3]);
  note("  model (0.3.21 small kernels, %s for core %s): %zu disagreement%s\n",
       model_applies ? "applied" : "predicts no failure", host_core, model_disagree,
       model_disagree == 1 ? "" : "s");
  note("  %.1f s\n", now() - t0);
  if (total_nomap) {
    printf("%sSKIP: %zu cases could not map their operands\n", list_mode ? "# " : "",
           total_nomap);
    return SKIP;
  }
  if (total_fail && total_fail == total_sigill)
    printf("%sdefect not measured: every failing call (%zu) died with SIGILL, core %s uses "
           "instructions this CPU lacks\n",
           list_mode ? "# " : "", total_fail, host_core);
  else if (total_fail)
    printf("%sdefect present: %zu failing calls (core %s)%s\n", list_mode ? "# " : "",
           total_fail, host_core, total_sigill ? "; some died with SIGILL" : "");
  else
    printf("%sdefect absent: the guard in lib/ can be dropped (core %s%s)\n",
           list_mode ? "# " : "", host_core,
           coretype ? "; OPENBLAS_CORETYPE is set, check the default core too" : "");
  return 0;
}
