/* The online choice's process state, shared by lib/core/adapt.c (learning)
 * and lib/core/adapt_file.c (the learned file).  Guarded by one mutex. */
#ifndef G590_ADAPT_STATE_H
#define G590_ADAPT_STATE_H

#include <pthread.h>

#include "adapt.h"

enum { G590_ADAPT_MAX_CANDS = 8, G590_ADAPT_KEY_MAX = 80, G590_ADAPT_TIMES_MAX = 1024 };

typedef struct g590_adapt_cand {
  g590_choice choice; /* family NULL: the host */
  double best_ms;     /* best valid sample */
  int samples;        /* valid samples */
  int attempts;       /* calls that ran it while exploring */
  int inflight;       /* of those, still running */
  bool dropped;       /* too slow (or failing) to try again */
} g590_adapt_cand;

typedef struct g590_adapt_class {
  char key[G590_ADAPT_KEY_MAX]; /* "gemm f32 NT m1024 n1448 k512" */
  double flops;                 /* of the call that opened the class */
  int n;                        /* candidates; cand[0] is the selector's choice */
  g590_adapt_cand cand[G590_ADAPT_MAX_CANDS];
  int explored;                 /* calls that explored */
  int chosen;                   /* once settled */
  bool settled, single;         /* single: one candidate, nothing to learn */
  bool dirty;                   /* settled here, not yet written */
  /* Read from the learned file: its candidates' times as written there
   * (cand[0] is the chosen path). */
  char *file_times;
} g590_adapt_class;

typedef struct g590_adapt_state {
  pthread_mutex_t lock;
  g590_adapt_class *classes;
  int count, cap;
  bool loaded;        /* the learned file was read (or found missing or bad) */
  double host_gflops; /* best host rate measured while exploring */
} g590_adapt_state;

extern g590_adapt_state g590_adapt;

/* Under the lock (lib/core/adapt.c). */
void g590_adapt_class_key(const g590_job *job, char *key, size_t len);
g590_adapt_class *g590_adapt_find(const char *key);
g590_adapt_class *g590_adapt_add(const char *key);

/* lib/core/adapt_file.c.  load: under the lock, once per process, reads
 * the learned file into settled classes.  save: without the lock held,
 * merges this process's settled classes into the file under a file lock. */
void g590_adapt_load(const g590_device_info *dev);
void g590_adapt_save(const g590_device_info *dev);

#endif
