/* fp16_mixed: A and B arrive as IEEE binary16 (the host converts them, so
 * half the bytes cross the host link), stay binary16 in local memory, and
 * are widened with vload_half for float32 multiply-accumulate.  C is float32,
 * or binary16 with -DC_HALF=1 (gemm590_hgemm): read with vload_half and
 * written with vstore_half_rte, one rounding to nearest even of the float32
 * result.
 *
 * Only the core vload_half/vstore_half built-ins touch half data: no
 * cl_khr_fp16 is needed (NVIDIA's OpenCL and PoCL do not offer it).  half
 * may only be pointed to without that extension, so tiles are stored as
 * the raw 16-bit patterns (ushort) and read back through a half pointer.
 * A 32x32 tile of C per 16x16 work-group, 2x2 results per item. */
#ifndef WG
#define WG 16
#endif
#ifndef KS
#define KS 16
#endif
#ifndef C_HALF
#define C_HALF 0
#endif
#define TS (2 * WG)

#if C_HALF
#define C_ELEM half

/* store_c (common.cl) for binary16 C: the update in float32, then one rounding. */
void store_c_half(__global half *C, int ldc, int M, int N, int i, int j, float acc, float alpha,
                  float beta) {
  if (i >= M || j >= N) return;
  size_t idx = (size_t)j * (size_t)ldc + (size_t)i;
#if BETA_ZERO
  vstore_half_rte(alpha * acc, idx, C);
#else
  vstore_half_rte(alpha * acc + beta * vload_half(idx, C), idx, C);
#endif
}
#define STORE_C store_c_half
#else
#define C_ELEM float
#define STORE_C store_c
#endif

__kernel __attribute__((reqd_work_group_size(WG, WG, 1))) void
gemm590_fp16_mixed(const int M, const int N, const int K, const float alpha,
                   __global const half *A, const int lda, __global const half *B, const int ldb,
                   const float beta, __global C_ELEM *C, const int ldc) {
  __local ushort As[KS][TS + 2];
  __local ushort Bs[KS][TS + 2];
  __global const ushort *Abits = (__global const ushort *)A;
  __global const ushort *Bbits = (__global const ushort *)B;
  const int tx = get_local_id(0), ty = get_local_id(1), lid = ty * WG + tx;
  const int i0 = get_group_id(0) * TS, j0 = get_group_id(1) * TS;
  float c00 = 0.0f, c01 = 0.0f, c10 = 0.0f, c11 = 0.0f;

  for (int l0 = 0; l0 < K; l0 += KS) {
    for (int e = lid; e < TS * KS; e += WG * WG) {
      /* 0x0000 is +0.0 in binary16: the padding of edge tiles. */
      int r = tile_row(e, TS, KS, !TRANS_A), q = tile_col(e, TS, KS, !TRANS_A);
      int i = i0 + r, l = l0 + q;
      As[q][r] = (i < M && l < K) ? Abits[A_INDEX(i, l, lda)] : (ushort)0;
      int qb = tile_row(e, KS, TS, !TRANS_B), s = tile_col(e, KS, TS, !TRANS_B);
      int lb = l0 + qb, j = j0 + s;
      Bs[qb][s] = (lb < K && j < N) ? Bbits[B_INDEX(lb, j, ldb)] : (ushort)0;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int q = 0; q < KS; q++) {
      float a0 = vload_half(0, (__local const half *)&As[q][tx]);
      float a1 = vload_half(0, (__local const half *)&As[q][tx + WG]);
      float b0 = vload_half(0, (__local const half *)&Bs[q][ty]);
      float b1 = vload_half(0, (__local const half *)&Bs[q][ty + WG]);
      c00 = mad(a0, b0, c00);
      c10 = mad(a1, b0, c10);
      c01 = mad(a0, b1, c01);
      c11 = mad(a1, b1, c11);
    }
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  STORE_C(C, ldc, M, N, i0 + tx, j0 + ty, c00, alpha, beta);
  STORE_C(C, ldc, M, N, i0 + tx + WG, j0 + ty, c10, alpha, beta);
  STORE_C(C, ldc, M, N, i0 + tx, j0 + ty + WG, c01, alpha, beta);
  STORE_C(C, ldc, M, N, i0 + tx + WG, j0 + ty + WG, c11, alpha, beta);
}
