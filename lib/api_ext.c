/* The libgemm590 extension API: counters and version. */
#include <pthread.h>
#include <string.h>

#include "gemm590.h"
#include "g590.h"

#define G590_API __attribute__((visibility("default")))

static pthread_mutex_t counters_lock = PTHREAD_MUTEX_INITIALIZER;
static struct gemm590_counters counters;

void g590_count(int path, double flops) {
  pthread_mutex_lock(&counters_lock);
  counters.calls[path]++;
  counters.flops[path] += flops;
  pthread_mutex_unlock(&counters_lock);
}

G590_API void gemm590_get_counters(struct gemm590_counters *out) {
  if (!out) return;
  pthread_mutex_lock(&counters_lock);
  *out = counters;
  pthread_mutex_unlock(&counters_lock);
}

G590_API void gemm590_reset_counters(void) {
  pthread_mutex_lock(&counters_lock);
  memset(&counters, 0, sizeof counters);
  pthread_mutex_unlock(&counters_lock);
}

G590_API const char *gemm590_version(void) { return G590_VERSION; }
