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

/* The paths worth trying for this call (the online choice, lib/core/adapt.c;
 * the regret bench): the selector's own choice first, then a few tiles
 * of the families that serve the call, split K, and the host last
 * (family NULL); each fits the device.  Returns how many, at most `max`. */
/* Sets plan->f64 for a job of `type` and says whether the plan's family
 * and tiles can serve a job of `type` and `op`: float64 needs a family
 * built for it; a syrk reads op(B) from A's padded buffer, so it needs a
 * syrk family, square tiles and no split K.  (The device's limits are
 * g590_plan_fits's.) */
bool g590_plan_serves(g590_plan *plan, g590_type type, g590_op op);

int g590_select_candidates(const g590_job *call, const g590_device_info *dev, g590_choice *out,
                           int max);

#endif
