/* Device path for builds without OpenCL: every call is "not handled". */
#include <stdio.h>

#include "g590.h"

g590_status g590_cl_job(const g590_job *call, g590_done *done, char *what, size_t what_len,
                        char *why, size_t why_len) {
  (void)call, (void)what, (void)what_len;
  done->count = 0;
  snprintf(why, why_len, "no device: built without OpenCL");
  return G590_NOT_HANDLED;
}

bool g590_cl_declines(const g590_job *call) {
  (void)call;
  return true;
}

void g590_cl_release(void) {}
