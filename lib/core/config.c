/* Configuration: every GEMM590_* environment variable, read once. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "gemm590.h"
#include "g590.h"

/* Written once by g590_config_read; g590_config_get (lib/core/g590.h) reads them. */
g590_config g590_config_values;
_Atomic bool g590_config_ready;
pthread_once_t g590_config_once = PTHREAD_ONCE_INIT;

static bool env_flag(const char *name) {
  const char *v = getenv(name);
  return v && *v && strcmp(v, "0") != 0 && strcmp(v, "off") != 0 && strcmp(v, "no") != 0;
}

/* Empty strings mean "unset", so `GEMM590_DEVICE= prog` restores the default. */
static const char *env_string(const char *name) {
  const char *v = getenv(name);
  return (v && *v) ? strdup(v) : NULL;
}

void g590_config_read(void) {
  g590_config *c = &g590_config_values;
  g590_unload_arm();
  c->verbose = env_flag("GEMM590_VERBOSE");
  c->trace = c->verbose && atoi(getenv("GEMM590_VERBOSE")) >= 2;
  c->disable_device = env_flag("GEMM590_DISABLE_DEVICE");
  c->fallback_lib = env_string("GEMM590_FALLBACK_LIB");
  c->device = env_string("GEMM590_DEVICE");
  c->kernel = env_string("GEMM590_KERNEL");
  c->cache_dir = env_string("GEMM590_CACHE_DIR");
  c->fault = env_string("GEMM590_FAULT");
  /* Default 1e9 flops (about 800^3 x 2): measured on the H100 machine,
   * smaller products finish sooner on its 16-core host than through a
   * device round trip (transfers from pageable memory dominate there). */
  c->min_device_flops = 1e9;
  const char *v = getenv("GEMM590_MIN_DEVICE_FLOPS");
  if (v && *v) {
    char *end = NULL;
    double d = strtod(v, &end);
    if (end != v && d >= 0) {
      c->min_device_flops = d;
      c->min_device_flops_set = true;
    }
  }
  c->table = env_string("GEMM590_TABLE");
  /* 32 MiB chunks: large enough for full link speed, small enough that
   * packing one overlaps the DMA of the other (measured on the H100 host). */
  c->link_chunk_bytes = (size_t)32 << 20;
  v = getenv("GEMM590_LINK_CHUNK");
  if (v && *v) {
    char *end = NULL;
    unsigned long long bytes = strtoull(v, &end, 10);
    if (end != v && bytes >= 4096) c->link_chunk_bytes = (size_t)bytes;
  }
  /* A device that seems smaller, so that tests reach the memory-bound
   * panel split with small matrices. */
  v = getenv("GEMM590_MAX_BUFFER");
  if (v && *v) c->max_buffer = strtoull(v, NULL, 10);
  c->link_threads = 16; /* capped by the core count where used */
  v = getenv("GEMM590_LINK_THREADS");
  if (v && atoi(v) >= 1) c->link_threads = atoi(v) > 32 ? 32 : atoi(v);
  /* A large syrk's A crosses in 4 slices of K, the kernels of one running
   * while the next crosses (lib/cl/pipeline.c); 1 sends it whole. */
  c->syrk_slices = 4;
  v = getenv("GEMM590_SYRK_SLICES");
  if (v && atoi(v) >= 1) c->syrk_slices = atoi(v) > 8 ? 8 : atoi(v);
  /* A large gemm's A and B likewise, in 2 slices: the kernels start
   * after half the operands crossed instead of A whole and B's first
   * panel.  On the H100 (bench/NOTES.md) 2 slices never lost to none
   * (0.82-0.95x the time), 4 lost at n = 2048 and 3000x5000x2500, 8
   * lost 4 ms everywhere below 8192 (short staged columns, which
   * plan_slices in lib/cl/pipeline.c now bounds). */
  c->gemm_slices = 2;
  v = getenv("GEMM590_GEMM_SLICES");
  if (v && atoi(v) >= 1) c->gemm_slices = atoi(v) > 8 ? 8 : atoi(v);
  /* A transposed A's slices turned on the device (kernels/transpose.cl),
   * so that the kernels read the faster untransposed layout. */
  v = getenv("GEMM590_TURN_A");
  c->turn_a = !v || !*v || env_flag("GEMM590_TURN_A");
  v = getenv("GEMM590_MATH");
  c->math = !v ? GEMM590_MATH_FP32
            : strcmp(v, "fp16") == 0 ? GEMM590_MATH_FP16
            : strcmp(v, "tf32") == 0 ? GEMM590_MATH_TF32 : GEMM590_MATH_FP32;
  v = getenv("GEMM590_ADAPT");
  c->adapt = !v || !*v ? -1 : env_flag("GEMM590_ADAPT");
  if (c->device && strcmp(c->device, "none") == 0) c->disable_device = true;
}

void g590_config_release(void) {
  g590_config *c = &g590_config_values;
  const char **strings[] = {&c->fallback_lib, &c->device, &c->kernel,
                            &c->cache_dir,    &c->fault,  &c->table};
  for (size_t i = 0; i < sizeof strings / sizeof *strings; i++) {
    free((void *)*strings[i]);
    *strings[i] = NULL;
  }
}
