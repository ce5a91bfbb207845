/* The libgemm590 extension API: counters and version. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "gemm590.h"
#include "g590.h"

#define G590_API __attribute__((visibility("default")))

/* Counting runs on every call, and an atomic read-modify-write costs
 * more than the rest of a small call's dispatch (15 ns of two atomic adds,
 * measured with bench/call-cost), so each thread counts in its own block
 * with plain loads and stores (relaxed atomics: one writer each).  Blocks
 * are listed for readers; a thread's block is folded into `retired` when
 * it exits.  Reset moves a baseline instead of writing other threads'
 * blocks, which would race with their increments.  Flops are counted as
 * the integer M*N*K; a value is exact once the calls it covers have
 * returned. */
G590_THREAD_LOCAL g590_thread_counts g590_api_mine;
static pthread_mutex_t counts_lock = PTHREAD_MUTEX_INITIALIZER;
static g590_thread_counts *listed;           /* live threads' blocks */
static uint64_t retired[2][GEMM590_PATH_COUNT]; /* exited threads: calls, mnk */
static uint64_t baseline[2][GEMM590_PATH_COUNT]; /* the sums at the last reset */
static pthread_key_t exit_key;
static bool exit_key_ok;
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;

/* Adds a block's calls and M*N*K to out; counts_lock held. */
static void add_block(uint64_t out[2][GEMM590_PATH_COUNT], const g590_thread_counts *t) {
  for (int i = 0; i < GEMM590_PATH_COUNT; i++) {
    out[0][i] += atomic_load_explicit(&t->calls[i], memory_order_relaxed);
    out[1][i] += atomic_load_explicit(&t->mnk[i], memory_order_relaxed);
  }
}

/* Thread exit: the block's counts go to `retired`, the block off the list. */
static void retire(void *p) {
  g590_thread_counts *t = p;
  pthread_mutex_lock(&counts_lock);
  add_block(retired, t);
  for (int i = 0; i < GEMM590_PATH_COUNT; i++) {
    atomic_store_explicit(&t->calls[i], 0, memory_order_relaxed);
    atomic_store_explicit(&t->mnk[i], 0, memory_order_relaxed);
  }
  if (t->prev) t->prev->next = t->next;
  else listed = t->next;
  if (t->next) t->next->prev = t->prev;
  t->listed = false;
  pthread_mutex_unlock(&counts_lock);
}

/* fork(): only the forking thread lives on in the child, and glibc hands
 * the other threads' stacks, their blocks included, to the child's next
 * threads, clearing them.  So the lock is held across the fork (nothing
 * is mid-update), and the child folds the other threads' counts into
 * `retired` while their memory is still intact, then lists only its own. */
static void before_fork(void) { pthread_mutex_lock(&counts_lock); }
static void after_fork_parent(void) { pthread_mutex_unlock(&counts_lock); }
static void after_fork_child(void) {
  for (g590_thread_counts *t = listed; t; t = t->next)
    if (t != &g590_api_mine) add_block(retired, t);
  listed = g590_api_mine.listed ? &g590_api_mine : NULL;
  g590_api_mine.prev = g590_api_mine.next = NULL;
  pthread_mutex_unlock(&counts_lock);
}

static void exit_key_create(void) {
  exit_key_ok = pthread_key_create(&exit_key, retire) == 0;
  if (exit_key_ok) pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}

/* First count of this thread: list its block.  Without a key (no thread
 * exit notice) the block stays listed, and a reader after the thread's
 * exit would read freed TLS: such a thread counts nothing instead. */
bool g590_api_list_mine(void) {
  pthread_once(&exit_key_once, exit_key_create);
  if (!exit_key_ok || pthread_setspecific(exit_key, &g590_api_mine) != 0) return false;
  pthread_mutex_lock(&counts_lock);
  g590_api_mine.prev = NULL;
  g590_api_mine.next = listed;
  if (listed) listed->prev = &g590_api_mine;
  listed = &g590_api_mine;
  g590_api_mine.listed = true;
  pthread_mutex_unlock(&counts_lock);
  return true;
}

void g590_api_count(int path, double flops) {
  g590_api_count_mnk(path, flops < 0x1p63 ? (uint64_t)(flops / 2) : UINT64_MAX / 4);
}

/* Calls and M*N*K since load, per path; counts_lock held. */
static void sums(uint64_t out[2][GEMM590_PATH_COUNT]) {
  memcpy(out, retired, sizeof retired);
  for (g590_thread_counts *t = listed; t; t = t->next) add_block(out, t);
}

/* Unload (lib/core/unload.c): no thread may run retire() once the code is
 * unmapped. */
void g590_api_counters_release(void) {
  if (exit_key_ok) pthread_key_delete(exit_key);
  exit_key_ok = false;
}

G590_API void gemm590_get_counters(struct gemm590_counters *out) {
  if (!out) return;
  uint64_t now[2][GEMM590_PATH_COUNT];
  pthread_mutex_lock(&counts_lock);
  sums(now);
  for (int p = 0; p < GEMM590_PATH_COUNT; p++) {
    out->calls[p] = now[0][p] - baseline[0][p];
    out->flops[p] = 2.0 * (double)(now[1][p] - baseline[1][p]);
  }
  pthread_mutex_unlock(&counts_lock);
}

G590_API void gemm590_reset_counters(void) {
  pthread_mutex_lock(&counts_lock);
  sums(baseline);
  pthread_mutex_unlock(&counts_lock);
}

G590_API const char *gemm590_version(void) { return G590_VERSION; }
