/* The selector: for one call on one device, which kernel family with which
 * parameters, or the host BLAS. */
#ifndef G590_SELECT_H
#define G590_SELECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "families.h"
#include "g590.h"

/* Fills `plan` and returns true when the device should run the call;
 * otherwise writes the reason to `why` and returns false. */
bool g590_select(const g590_job *call, const g590_device_info *dev, g590_plan *plan, char *why,
                 size_t why_len);

/* The smallest M*N*K (half the flops) that g590_select could send to
 * `dev` without a forced kernel, 0 with one, INFINITY when nothing goes
 * there: computed once per device, so that calls below it go straight to
 * the host without a table walk (lib/cl_device.c). */
double g590_select_floor(const g590_device_info *dev);

#endif
