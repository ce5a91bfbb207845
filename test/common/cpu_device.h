/* Whether the OpenCL CPU device the device-path tests run on exists: the
 * device, half and reliability tests skip without one instead of failing. */
#ifndef CPU_DEVICE_H
#define CPU_DEVICE_H

/* Exits 77 (meson: skipped), saying why, unless an OpenCL platform offers a
 * CPU device (what GEMM590_DEVICE=cpu selects).  Call before any SGEMM. */
void dev_require_cpu_device(void);

#endif
