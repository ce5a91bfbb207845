/* A guard around a known host BLAS defect: huge leading dimensions on
 * small products.
 *
 * OpenBLAS (0.3.21 in Debian 12, and 0.3.34, the newest wheel) on hosts
 * with AVX-512 picks small-matrix SGEMM kernels
 * (sgemm_small_kernel_*_SKYLAKEX / _COOPERLAKE) for small products.  They
 * index the operands with 32-bit products such as i * ldc: when an
 * operand's last element lies 2^31 or more elements past its first, they
 * read or write the wrong place (a crash, or wrong elements of C).
 * test/correctness/openblas_defect.c reproduces it with OpenBLAS alone;
 * test_host_guard checks that every case it finds is one this guard
 * diverts.  Once a fixed OpenBLAS is the oldest one in use, this file
 * can go.
 *
 * Such calls are computed on compact copies (leading dimension = rows), so
 * the host BLAS never sees the huge stride.  Products whose copies would
 * be large are not small, and the host BLAS's general path, which indexes
 * in 64 bits, gets them unchanged. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "g590.h"

/* The copies' bound, in elements of A, B and C together (64 MiB of float32,
 * 128 MiB of float64).  Each
 * of M*K, K*N and M*N is at most M*N*K, so every product up to a third of
 * this (5.6e6 multiply-adds, above any small-kernel threshold) is
 * covered. */
enum { GUARD_MAX_ELEMENTS = 1 << 24 };

/* Offset of the last element of a rows x cols operand with leading
 * dimension ld, past INT_MAX (and no empty operand). */
static bool spans_32bit(int64_t rows, int64_t cols, int64_t ld) {
  return rows > 0 && cols > 0 && (double)ld * (double)(cols - 1) + (double)rows > INT_MAX;
}

bool g590_host_guard_needed(const g590_job *c) {
  /* Every call of everyday size leaves here: no offset can pass INT_MAX
   * when the largest leading dimension times the largest size does not
   * (each offset is at most ld * cols, and rows <= ld). */
  int64_t ld = c->lda > c->ldb ? c->lda : c->ldb, dim = c->m > c->n ? c->m : c->n, reach;
  ld = ld > c->ldc ? ld : c->ldc;
  dim = dim > c->k ? dim : c->k;
  if (!__builtin_mul_overflow(ld, dim, &reach) && reach <= INT_MAX) return false;
  int64_t ar = c->trans_a ? c->k : c->m, ac = c->trans_a ? c->m : c->k;
  int64_t br = c->trans_b ? c->n : c->k, bc = c->trans_b ? c->k : c->n;
  if (!spans_32bit(ar, ac, c->lda) && !spans_32bit(br, bc, c->ldb) &&
      !spans_32bit(c->m, c->n, c->ldc))
    return false;
  double elements = (double)c->m * (double)c->k + (double)c->k * (double)c->n +
                    (double)c->m * (double)c->n;
  return elements <= GUARD_MAX_ELEMENTS;
}

/* Copies a rows x cols block of `bytes`-byte elements between leading
 * dimensions (in elements). */
static void copy_block(void *dst, int64_t ldd, const void *src, int64_t lds, int64_t rows,
                       int64_t cols, size_t bytes) {
  for (int64_t j = 0; j < cols; j++)
    memcpy((char *)dst + (size_t)(j * ldd) * bytes, (const char *)src + (size_t)(j * lds) * bytes,
           (size_t)rows * bytes);
}

void g590_host_guarded(const g590_job *call, void (*host)(const g590_job *), const char **how) {
  g590_job compact = *call;
  size_t bytes = g590_type_bytes(call->type);
  bool syrk = call->op == G590_SYRK; /* B is A: one copy serves both */
  int64_t ar = call->trans_a ? call->k : call->m, ac = call->trans_a ? call->m : call->k;
  int64_t br = call->trans_b ? call->n : call->k, bc = call->trans_b ? call->k : call->n;
  size_t na = (size_t)(ar * ac), nb = syrk ? 0 : (size_t)(br * bc);
  size_t nc = (size_t)(call->m * call->n);
  char *buf = malloc((na + nb + nc) * bytes);
  if (!buf) {
    /* Never the defective path: the built-in loop indexes in 64 bits. */
    *how = "builtin(guard: no memory for compact copies)";
    g590_host_builtin(call);
    return;
  }
  char *a = buf, *b = syrk ? a : a + na * bytes, *c = a + (na + nb) * bytes;
  copy_block(a, ar, call->a, call->lda, ar, ac, bytes);
  if (!syrk) copy_block(b, br, call->b, call->ldb, br, bc, bytes);
  /* beta = 0: C is not read, as the reference never reads it. */
  if (call->beta != 0.0) copy_block(c, call->m, call->c, call->ldc, call->m, call->n, bytes);
  compact.a = a, compact.lda = ar;
  compact.b = b, compact.ldb = syrk ? ar : br;
  compact.c = c, compact.ldc = call->m;
  host(&compact);
  /* Back only the rows the job writes: a syrk's other triangle of C stays
   * untouched. */
  for (int64_t j = 0; j < call->n; j++) {
    int64_t i0, i1;
    g590_job_rows(call, j, &i0, &i1);
    copy_block((char *)call->c + (size_t)(i0 + j * call->ldc) * bytes, 0,
               c + (size_t)(i0 + j * call->m) * bytes, 0, i1 - i0, 1, bytes);
  }
  free(buf);
  *how = "compact copies (huge leading dimension, lib/host/guard.c)";
}
