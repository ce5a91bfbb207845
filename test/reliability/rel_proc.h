/* Process facts for the reliability tests: is there an OpenCL CPU device,
 * how much memory and how many threads does this process have. */
#ifndef REL_PROC_H
#define REL_PROC_H

/* Exits 77 (meson: skipped), saying why, unless an OpenCL platform offers
 * a CPU device (what GEMM590_DEVICE=cpu selects). */
void rel_require_cpu_device(void);

/* VmRSS of this process in KiB (from /proc/self/status), or -1. */
long rel_rss_kib(void);
/* Threads of this process (from /proc/self/status), or -1. */
long rel_threads(void);

#endif
