/* Process facts for the reliability tests (see rel_proc.h). */
#define CL_TARGET_OPENCL_VERSION 120
#include "rel_proc.h"

#include <CL/cl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SKIP = 77 };

void rel_require_cpu_device(void) {
  cl_platform_id platforms[16];
  cl_uint np = 0;
  if (clGetPlatformIDs(16, platforms, &np) == CL_SUCCESS)
    for (cl_uint p = 0; p < np && p < 16; p++) {
      cl_uint nd = 0;
      if (clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_CPU, 0, NULL, &nd) == CL_SUCCESS && nd)
        return;
    }
  printf("SKIP: no OpenCL CPU device (install pocl-opencl-icd)\n");
  exit(SKIP);
}

static long status_field(const char *field) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  long value = -1;
  size_t len = strlen(field);
  while (fgets(line, sizeof line, f))
    if (strncmp(line, field, len) == 0 && line[len] == ':') {
      value = strtol(line + len + 1, NULL, 10);
      break;
    }
  fclose(f);
  return value;
}

long rel_rss_kib(void) { return status_field("VmRSS"); }
long rel_threads(void) { return status_field("Threads"); }
