/* Live OpenCL buffers of this process, counted at the API boundary.
 *
 * cl_count.c defines clCreateBuffer and clReleaseMemObject in the test
 * program itself; linked with --export-dynamic, those definitions come
 * first in the symbol search order, so libgemm590's calls land there and
 * are passed on to the OpenCL loader (dlsym RTLD_NEXT: the program must
 * link libOpenCL).  No library internals are read: what the library
 * allocated and has not released is what it holds on the device. */
#ifndef CL_COUNT_H
#define CL_COUNT_H

#include <stddef.h>

typedef struct cl_count {
  long live;          /* buffers created and not released */
  size_t live_bytes;  /* their sizes */
  long created;       /* buffers created since start */
} cl_count;

cl_count cl_count_get(void);

#endif
