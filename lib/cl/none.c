/* Device path for builds without OpenCL: every call is "not handled". */
#include <math.h>
#include <stdio.h>

#include "adapt.h"

g590_status g590_cl_job(const g590_job *call, g590_done *done, char *what, size_t what_len,
                        char *why, size_t why_len) {
  (void)call, (void)what, (void)what_len;
  done->count = 0;
  snprintf(why, why_len, "no device: built without OpenCL");
  return G590_NOT_HANDLED;
}

double g590_cl_floor_mnk(void) { return INFINITY; }

bool g590_cl_declines(const g590_job *call) {
  (void)call;
  return true;
}

const g590_device_info *g590_cl_device(void) { return NULL; }

/* Nothing to learn without a device (lib/core/adapt.c is built with OpenCL only). */
bool g590_adapt_begin(g590_job *job, g590_adapt_ticket *t) {
  (void)job, (void)t;
  return false;
}
void g590_adapt_release(void) {}
void g590_adapt_end(const g590_adapt_ticket *t, double ms, g590_sample sample) {
  (void)t, (void)ms, (void)sample;
}

void g590_cl_release(void) {}
