/* See cpu_device.h.  Its own file, so that test programs that do not link
 * libgemm590 (test/reliability/test_dlopen.c) can use it too. */
#define CL_TARGET_OPENCL_VERSION 120
#include "cpu_device.h"

#include <CL/cl.h>
#include <stdio.h>
#include <stdlib.h>

void dev_require_cpu_device(void) {
  cl_platform_id platforms[16];
  cl_uint np = 0;
  cl_int err = clGetPlatformIDs(16, platforms, &np);
  if (err != CL_SUCCESS || np == 0) {
    printf("SKIP: no OpenCL platform (clGetPlatformIDs: %d, %u platforms); "
           "install pocl-opencl-icd for the CPU device these tests run on\n",
           (int)err, (unsigned)np);
    exit(77);
  }
  if (np > 16) np = 16;
  for (cl_uint p = 0; p < np; p++) {
    cl_uint nd = 0;
    if (clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_CPU, 0, NULL, &nd) == CL_SUCCESS && nd > 0)
      return;
  }
  printf("SKIP: %u OpenCL platform(s) but no CPU device; install pocl-opencl-icd\n",
         (unsigned)np);
  exit(77);
}
