/* Column copies (and float -> binary16 conversions) split across
 * persistent host threads.
 *
 * Staging copies between the caller's memory and pinned chunks run at
 * host memory speed only when several cores copy at once, and calls of a
 * few megabytes cannot afford to create threads each time.  So workers
 * are started on first use (up to GEMM590_LINK_THREADS - 1 of them) and
 * wait for shares of the next copy; the calling thread copies shares too.
 * Unloading the library stops and joins them first (g590_cl_copy_pool_stop,
 * from lib/core/unload.c): no thread may be left in code that dlclose unmaps.
 * After fork() the child has no workers, and never copies through the
 * pool: only the device path does, and a forked child never uses the
 * device. */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
/* Streaming stores where the CPU has them, except under AddressSanitizer:
 * there its memcpy interceptor checks each column's range at once, where
 * the loop below would be checked 16 bytes at a time (the device fuzz run
 * took 6x longer). */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define G590_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define G590_ASAN 1
#endif
#if defined(__SSE2__) && !defined(G590_ASAN)
#define G590_STREAM_COPY 1
#include <emmintrin.h>
#endif
#include <sys/types.h>
#include <unistd.h>

#include "cl_engine.h"
#include "fp16.h"

enum { MAX_SHARES = 32, BYTES_PER_SHARE = 256 << 10, MAX_WORKERS = 256 };

/* Columns [col0, col1): copied (row_bytes each), or with `to_half`
 * converted from float to binary16 (row_bytes float bytes in, half out). */
typedef struct copy_share {
  char *dst;
  const char *src;
  size_t row_bytes, dst_pitch, src_pitch;
  int64_t col0, col1;
  bool to_half;
} copy_share;

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work_ready = PTHREAD_COND_INITIALIZER;
static pthread_cond_t work_done = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t caller_lock = PTHREAD_MUTEX_INITIALIZER; /* one copy at a time */
static copy_share shares[MAX_SHARES];
static int share_count, next_share, unfinished, workers;
static pthread_t worker_ids[MAX_WORKERS];
static pid_t workers_pid; /* the process that started them: not a forked child */
static bool stopping;
static _Atomic bool all_fit; /* of the current conversion */

/* Copies one column with non-temporal stores where the CPU has them (SSE2,
 * every x86-64): a staging copy writes far more than the caches hold, and
 * plain stores first read each destination line into the cache (glibc's
 * memcpy streams only above a size of the order of the last-level cache,
 * far above one column).  Measured on the 2-core development machine,
 * 256 MiB in 64 KiB columns: 10-13 GB/s with memcpy, 14-18 with streaming
 * stores (bench/NOTES.md, streaming staging copies).  The caller fences
 * (copy_share_run) before anyone may read what was written. */
static void copy_column(char *dst, const char *src, size_t bytes) {
#ifdef G590_STREAM_COPY
  enum { STREAM_MIN = 4096 }; /* below, the head and tail would cost more than streaming saves */
  if (bytes >= STREAM_MIN) {
    size_t head = (16 - ((uintptr_t)dst & 15)) & 15, i = 0;
    memcpy(dst, src, head);
    dst += head, src += head, bytes -= head;
    for (; i + 64 <= bytes; i += 64) {
      __m128i x0 = _mm_loadu_si128((const __m128i *)(src + i));
      __m128i x1 = _mm_loadu_si128((const __m128i *)(src + i + 16));
      __m128i x2 = _mm_loadu_si128((const __m128i *)(src + i + 32));
      __m128i x3 = _mm_loadu_si128((const __m128i *)(src + i + 48));
      _mm_stream_si128((__m128i *)(dst + i), x0);
      _mm_stream_si128((__m128i *)(dst + i + 16), x1);
      _mm_stream_si128((__m128i *)(dst + i + 32), x2);
      _mm_stream_si128((__m128i *)(dst + i + 48), x3);
    }
    memcpy(dst + i, src + i, bytes - i);
    return;
  }
#endif
  memcpy(dst, src, bytes);
}

static void copy_share_run(const copy_share *s) {
  bool fits = true;
  for (int64_t c = s->col0; c < s->col1; c++) {
    char *dst = s->dst + (size_t)c * s->dst_pitch;
    const char *src = s->src + (size_t)c * s->src_pitch;
    if (s->to_half)
      fits = g590_host_pack_half((uint16_t *)dst, (const float *)src, s->row_bytes / sizeof(float)) &&
             fits;
    else
      copy_column(dst, src, s->row_bytes);
  }
#ifdef G590_STREAM_COPY
  _mm_sfence(); /* streaming stores are weakly ordered: done before the share is reported */
#endif
  if (!fits) all_fit = false;
}

/* Takes shares until none is left; called and returns with pool_lock held. */
static void take_shares(void) {
  while (next_share < share_count) {
    int i = next_share++;
    pthread_mutex_unlock(&pool_lock);
    copy_share_run(&shares[i]);
    pthread_mutex_lock(&pool_lock);
    if (--unfinished == 0) pthread_cond_signal(&work_done);
  }
}

static void *worker(void *arg) {
  (void)arg;
  pthread_mutex_lock(&pool_lock);
  for (;;) {
    while (!stopping && next_share >= share_count) pthread_cond_wait(&work_ready, &pool_lock);
    if (stopping) break;
    take_shares();
  }
  pthread_mutex_unlock(&pool_lock);
  return NULL;
}

static void start_workers(int wanted) {
  if (wanted > MAX_WORKERS) wanted = MAX_WORKERS;
  workers_pid = getpid();
  while (workers < wanted) {
    /* Fewer helpers when this fails: the caller copies more itself. */
    if (pthread_create(&worker_ids[workers], NULL, worker, NULL) != 0) return;
    workers++;
  }
}

void g590_cl_copy_pool_stop(void) {
  pthread_mutex_lock(&pool_lock);
  /* A forked child inherits the count, not the threads. */
  int n = workers_pid == getpid() ? workers : 0;
  stopping = true;
  pthread_cond_broadcast(&work_ready);
  pthread_mutex_unlock(&pool_lock);
  for (int i = 0; i < n; i++) pthread_join(worker_ids[i], NULL);
  pthread_mutex_lock(&pool_lock);
  workers = 0;
  stopping = false;
  pthread_mutex_unlock(&pool_lock);
}

/* Runs a copy or conversion of `cols` columns, split into shares. */
static void run_columns(void *dst, size_t dst_pitch, const void *src, size_t src_pitch,
                        size_t row_bytes, int64_t cols, bool to_half) {
  static long cpus;
  if (!cpus) cpus = sysconf(_SC_NPROCESSORS_ONLN);
  int64_t n = (int64_t)(row_bytes * (size_t)cols / BYTES_PER_SHARE);
  if (n > g590_config_get()->link_threads) n = g590_config_get()->link_threads;
  if (n > cpus) n = cpus;
  if (n > cols) n = cols;
  if (n <= 1) {
    copy_share all = {dst, src, row_bytes, dst_pitch, src_pitch, 0, cols, to_half};
    copy_share_run(&all);
    return;
  }
  pthread_mutex_lock(&caller_lock);
  pthread_mutex_lock(&pool_lock);
  start_workers((int)n - 1);
  int64_t per = (cols + n - 1) / n;
  share_count = 0;
  for (int64_t c0 = 0; c0 < cols; c0 += per)
    shares[share_count++] = (copy_share){dst, src, row_bytes, dst_pitch, src_pitch, c0,
                                         c0 + per < cols ? c0 + per : cols, to_half};
  next_share = 0;
  unfinished = share_count;
  pthread_cond_broadcast(&work_ready);
  take_shares();
  while (unfinished > 0) pthread_cond_wait(&work_done, &pool_lock);
  share_count = next_share = 0;
  pthread_mutex_unlock(&pool_lock);
  pthread_mutex_unlock(&caller_lock);
}

void g590_cl_copy_columns(void *dst, size_t dst_pitch, const void *src, size_t src_pitch,
                       size_t row_bytes, int64_t cols) {
  run_columns(dst, dst_pitch, src, src_pitch, row_bytes, cols, false);
}

bool g590_cl_pack_half_columns(uint16_t *dst, size_t dst_pitch, const float *src, size_t src_pitch,
                            int64_t rows, int64_t cols) {
  /* One conversion at a time: callers hold the engine lock. */
  all_fit = true;
  run_columns(dst, dst_pitch, src, src_pitch, (size_t)rows * sizeof(float), cols, true);
  return all_fit;
}
