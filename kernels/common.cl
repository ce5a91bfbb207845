/* Shared by every kernel family (prepended to each family's source).
 *
 * Column-major throughout: op(A) is M x K, op(B) is K x N, C is M x N.
 * The host normalises row-major calls to this form before launching.
 * Compile-time switches (part of the program-cache key):
 *   TRANS_A, TRANS_B  op(X) = X^T when 1
 *   BETA_ZERO         C is written without being read (NaN in C must vanish)
 *   REAL_DOUBLE       real_t is double (float64 jobs; families that serve them)
 *   SYRK_UPPER, SYRK_LOWER  syrk: only the tiles that meet that triangle of C
 *                     are computed; the others exit at once (regblock) */
#ifndef TRANS_A
#define TRANS_A 0
#endif
#ifndef TRANS_B
#define TRANS_B 0
#endif
#ifndef BETA_ZERO
#define BETA_ZERO 0
#endif

#ifndef SYRK_UPPER
#define SYRK_UPPER 0
#endif
#ifndef SYRK_LOWER
#define SYRK_LOWER 0
#endif

#if REAL_DOUBLE
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
typedef double real_t;
typedef double4 real4_t;
#else
typedef float real_t;
typedef float4 real4_t;
#endif

/* Offsets of op(A)(i, l) and op(B)(l, j), in 64 bits: lda * K may pass 2^31. */
#if TRANS_A
#define A_INDEX(i, l, lda) ((size_t)(i) * (size_t)(lda) + (size_t)(l))
#else
#define A_INDEX(i, l, lda) ((size_t)(l) * (size_t)(lda) + (size_t)(i))
#endif
#if TRANS_B
#define B_INDEX(l, j, ldb) ((size_t)(l) * (size_t)(ldb) + (size_t)(j))
#else
#define B_INDEX(l, j, ldb) ((size_t)(j) * (size_t)(ldb) + (size_t)(l))
#endif

/* Tile coordinates of the e-th element of a rows x cols tile, ordered so
 * that consecutive work-items read consecutive addresses: along the rows
 * when the operand is stored column-major as used (contiguous_rows), along
 * the columns otherwise. */
int tile_row(int e, int rows, int cols, int contiguous_rows) {
  return contiguous_rows ? e % rows : e / cols;
}
int tile_col(int e, int rows, int cols, int contiguous_rows) {
  return contiguous_rows ? e / rows : e % cols;
}

/* C(i, j) = alpha * acc + beta * C(i, j) for elements inside the M x N block. */
void store_c(__global float *C, int ldc, int M, int N, int i, int j, float acc, float alpha,
             float beta) {
  if (i >= M || j >= N) return;
  size_t idx = (size_t)j * (size_t)ldc + (size_t)i;
#if BETA_ZERO
  C[idx] = alpha * acc;
#else
  C[idx] = alpha * acc + beta * C[idx];
#endif
}
