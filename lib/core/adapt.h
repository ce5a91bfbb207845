/* Online choice (GEMM590_ADAPT): the library learns, per shape class, which
 * path is fastest on the device it runs on, and keeps what it learned in
 * the cache directory for later processes.
 *
 * When it learns: GEMM590_ADAPT=1 on any device (PoCL included), =0
 * never; unset, on GPUs for which no decision-table entry was trained on
 * that exact device name.  Never with GEMM590_KERNEL (the user chose) or
 * with the device disabled, never for products below G590_ADAPT_MIN_FLOPS,
 * never in a forked child.
 *
 * A shape class is the operation, element type, math mode, transposes
 * (syrk: trans and uplo) and M, N, K each rounded to a half-octave (a
 * power of sqrt 2).  The candidates of a class are the selector's own
 * choice, a few regblock tiles, split K and the host (g590_select_candidates,
 * lib/core/select.c).  The first calls of a class try them in turn: one
 * sample each, then a second one for each that is not more than twice as
 * slow as the best so far (those are not tried again), and the
 * host is tried only when its measured (or assumed) rate says it could
 * win.  At most ADAPT_MAX_EXPLORE calls explore; then the class settles on
 * the fastest by its best sample, keeping the selector's choice unless
 * another is faster by more than the margin.  Every path is a correct
 * path: what runs only changes the time.
 *
 * The verbose line of a learning call ends with " adapt=explore:I/N" (it
 * ran candidate I of N, timed), " adapt=explore:best" (the candidates
 * left are running in other threads: the best so far, untimed) or
 * " adapt=learned". */
#ifndef G590_ADAPT_H
#define G590_ADAPT_H

#include <stdbool.h>
#include <stdio.h>

#include "families.h"
#include "g590.h"

/* Products below this many flops never explore (their choice costs less
 * than the learning would). */
#define G590_ADAPT_MIN_FLOPS 1e7

/* A call's ticket: which candidate it runs, to be reported back with the
 * time it took. */
typedef struct g590_adapt_ticket {
  int cls;            /* index of the class, -1: not learning */
  int cand;           /* index of the candidate this call runs */
  bool sample;        /* exploring: its time counts */
  g590_choice choice; /* what job->pick points at */
  char rule[48];      /* the verbose line's rule (job->pick_rule) */
  char tag[32];       /* the verbose line's " adapt=..." field */
} g590_adapt_ticket;

/* True when learning is on for this device (GEMM590_ADAPT and the table,
 * as above): g590_select_floor then lets calls of G590_ADAPT_MIN_FLOPS
 * and more reach the dispatcher's long path. */
bool g590_adapt_enabled(const g590_device_info *dev);

/* Before a call of at least G590_ADAPT_MIN_FLOPS: when its class is being
 * explored or has settled, fills the ticket and points job->pick at the
 * path to run (family NULL: the host); returns false (job unchanged) when
 * the call is not learning. */
bool g590_adapt_begin(g590_job *job, g590_adapt_ticket *t);

/* How a call's time relates to its path. */
typedef enum {
  G590_SAMPLE_OK = 0, /* the path ran: its time counts */
  G590_SAMPLE_BUILT,  /* a program was built during the call: the next call samples again */
  G590_SAMPLE_FAILED, /* the device path fell back to the host: after two, not tried again */
} g590_sample;

/* After the call: its wall time in ms, and what that time says. */
void g590_adapt_end(const g590_adapt_ticket *t, double ms, g590_sample sample);

/* gemm590-info --learned: one line per class of the current device
 * (class, chosen path, the measured best time of each candidate).
 * Returns the number of classes, -1 when there is no device. */
int g590_adapt_list(FILE *out);

/* gemm590-info --forget: removes the current device's learned file and
 * what this process learned.  Returns false (with `why`) on failure. */
bool g590_adapt_forget(char *why, size_t why_len);

/* The regret bench: forgets what this process learned or read, in memory
 * only (the file is kept and not read again): the next call of every
 * class explores. */
void g590_adapt_reset(void);

/* A path as the learned file writes it: "host" or "family:options". */
void g590_adapt_path_text(const g590_choice *c, char *out, size_t len);

/* The learned file's name in the cache directory for `dev`:
 * "learned-<device name, [A-Za-z0-9._-] kept, others '_'>.txt". */
void g590_adapt_file_name(const g590_device_info *dev, char *out, size_t len);

#endif
