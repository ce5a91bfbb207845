/* Device-path tests: exits 77 (skip) unless an OpenCL CPU device exists. */
#ifndef HALF_DEVICE_H
#define HALF_DEVICE_H

void half_require_cpu_device(void);

#endif
