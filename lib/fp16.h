/* Host-side binary16 conversion (see lib/fp16.c). */
#ifndef G590_FP16_H
#define G590_FP16_H

#include <stdint.h>

uint16_t g590_float_to_half(float f);
float g590_half_to_float(uint16_t h);

#endif
