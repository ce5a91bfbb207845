/* The libgemm590 extension API: counters and version. */
#include <stdatomic.h>

#include "gemm590.h"
#include "g590.h"

#define G590_API __attribute__((visibility("default")))

/* Lock-free: counting runs on every call.  A reader racing with writers
 * may see a call counted before its flops; each value is exact once the
 * calls it covers have returned. */
static _Atomic uint64_t calls[GEMM590_PATH_COUNT];
static _Atomic double flops_sum[GEMM590_PATH_COUNT];

void g590_count(int path, double flops) {
  atomic_fetch_add_explicit(&calls[path], 1, memory_order_relaxed);
  double old = atomic_load_explicit(&flops_sum[path], memory_order_relaxed);
  while (!atomic_compare_exchange_weak_explicit(&flops_sum[path], &old, old + flops,
                                                memory_order_relaxed, memory_order_relaxed)) {
  }
}

G590_API void gemm590_get_counters(struct gemm590_counters *out) {
  if (!out) return;
  for (int p = 0; p < GEMM590_PATH_COUNT; p++) {
    out->calls[p] = atomic_load(&calls[p]);
    out->flops[p] = atomic_load(&flops_sum[p]);
  }
}

G590_API void gemm590_reset_counters(void) {
  for (int p = 0; p < GEMM590_PATH_COUNT; p++) {
    atomic_store(&calls[p], 0);
    atomic_store(&flops_sum[p], 0.0);
  }
}

G590_API const char *gemm590_version(void) { return G590_VERSION; }
