/* Host-side binary16 conversion (see lib/fp16.c). */
#ifndef G590_FP16_H
#define G590_FP16_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

uint16_t g590_float_to_half(float f);
float g590_half_to_float(uint16_t h);

/* Converts n floats; false when some finite nonzero value does not fit
 * binary16 (|x| > 65504 overflows, |x| < 2^-24 flushes to zero). */
bool g590_pack_half(uint16_t *dst, const float *src, size_t n);

#endif
