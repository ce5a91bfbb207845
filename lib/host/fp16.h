/* Host-side IEEE binary16 <-> float32 conversion (lib/host/fp16.c, lib/host/fp16_f16c.c).
 *
 * Every conversion here is exact or rounds once to nearest even: float to
 * half overflows to +-Inf, keeps subnormals and signs, and turns NaN into a
 * quiet NaN of the same sign with the top payload bits (what the F16C
 * instruction does); half to float is exact. */
#ifndef G590_FP16_H
#define G590_FP16_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One value, portable C. */
uint16_t g590_host_float_to_half(float f);
float g590_host_half_to_float(uint16_t h);

/* Array conversions, one implementation.  The portable and the F16C set
 * give bit-identical results (test/half checks it), so which one runs
 * changes only the speed. */
typedef struct g590_fp16_ops {
  const char *name; /* "portable" or "f16c", for logs and benchmarks */
  void (*to_float)(float *dst, const uint16_t *src, size_t n);
  void (*to_half)(uint16_t *dst, const float *src, size_t n);
  /* to_half, returning false when some finite nonzero value does not fit
   * binary16 (|x| > 65504 overflows, |x| < 2^-24 flushes to zero). */
  bool (*pack)(uint16_t *dst, const float *src, size_t n);
} g590_fp16_ops;

extern const g590_fp16_ops g590_host_fp16_portable;
/* The F16C set, or NULL when this CPU (or this build's target) lacks F16C. */
const g590_fp16_ops *g590_host_fp16_f16c(void);
/* The fastest set this CPU runs: F16C where present, else portable. */
const g590_fp16_ops *g590_host_fp16(void);

/* g590_host_fp16()->pack: the conversion pass of the SGEMM math-mode opt-in. */
bool g590_host_pack_half(uint16_t *dst, const float *src, size_t n);

#endif
