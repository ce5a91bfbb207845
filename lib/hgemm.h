/* Internal interfaces of gemm590_hgemm (binary16 GEMM).  Not exported. */
#ifndef G590_HGEMM_H
#define G590_HGEMM_H

#include "g590.h"

/* One gemm590_hgemm call after argument checking, normalised to
 * column-major like g590_call.  `shape` carries everything but the data:
 * entry and log fields, transposes, sizes, alpha, beta, leading
 * dimensions; its float pointers are NULL.  The selector and the logs take
 * it as they take an SGEMM call of the same shape. */
typedef struct g590_hcall {
  g590_call shape;
  const uint16_t *a; /* binary16 bit patterns */
  const uint16_t *b;
  uint16_t *c;
} g590_hcall;

/* Runs a checked, normalised call (lib/api_half.c): quick returns, device,
 * host; one verbose line, counters. */
void g590_hgemm(const g590_hcall *call);

/* Tries the call on the OpenCL device (lib/cl_hgemm.c); same contract as
 * g590_device_sgemm: on G590_NOT_HANDLED the first *cols_done columns of C
 * are final and the others untouched. */
g590_status g590_device_hgemm(const g590_hcall *call, int64_t *cols_done, char *what,
                              size_t what_len, char *why, size_t why_len);

/* The host path (lib/hgemm_host.c): blocks of A, B and C converted to
 * float32, the host SGEMM on each, C converted back once.  `how` names the
 * host BLAS and the conversion set, for the verbose line. */
void g590_hgemm_host(const g590_hcall *call, char *how, size_t how_len);
/* The same with explicit block sizes (rows x depth of A, depth x columns of
 * B, rows x columns of C): tests reach every block edge with small calls. */
void g590_hgemm_host_blocked(const g590_hcall *call, int64_t mb, int64_t nb, int64_t kb,
                             char *how, size_t how_len);

/* C = beta * C, rounded once to binary16 (beta == 0 writes zeros, never reads). */
void g590_hscale_c(const g590_hcall *call);

#endif
