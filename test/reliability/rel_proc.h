/* Process facts for the reliability tests: is there an OpenCL CPU device,
 * how much memory and how many threads does this process have. */
#ifndef REL_PROC_H
#define REL_PROC_H

/* VmRSS of this process in KiB (from /proc/self/status), or -1. */
long rel_rss_kib(void);
/* Threads of this process (from /proc/self/status), or -1. */
long rel_threads(void);

#endif
