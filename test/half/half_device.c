/* Whether an OpenCL CPU device exists (what GEMM590_DEVICE=cpu selects):
 * the device-path tests skip without one instead of failing. */
#include <CL/cl.h>
#include <stdio.h>
#include <stdlib.h>

#include "half_device.h"

void half_require_cpu_device(void) {
  cl_platform_id platforms[16];
  cl_uint np = 0;
  if (clGetPlatformIDs(16, platforms, &np) == CL_SUCCESS)
    for (cl_uint p = 0; p < np && p < 16; p++) {
      cl_uint nd = 0;
      if (clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_CPU, 0, NULL, &nd) == CL_SUCCESS && nd)
        return;
    }
  printf("SKIP: no OpenCL CPU device (Debian: pocl-opencl-icd)\n");
  exit(77);
}
