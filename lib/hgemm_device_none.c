/* gemm590_hgemm's device path for builds without OpenCL: every call is
 * "not handled", so the host computes it. */
#include <stdio.h>

#include "hgemm.h"

g590_status g590_device_hgemm(const g590_hcall *call, int64_t *cols_done, char *what,
                              size_t what_len, char *why, size_t why_len) {
  (void)call, (void)what, (void)what_len;
  *cols_done = 0;
  snprintf(why, why_len, "no device: built without OpenCL");
  return G590_NOT_HANDLED;
}
