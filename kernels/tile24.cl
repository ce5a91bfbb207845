/* tile24: a 24x24 tile of C per 12x12 work-group, 2x2 results per item,
 * K in slabs of KS through local memory, scalar loads. */
#ifndef WG
#define WG 12
#endif
#ifndef KS
#define KS 16
#endif
#define TS (2 * WG)

__kernel __attribute__((reqd_work_group_size(WG, WG, 1))) void
gemm590_tile24(const int M, const int N, const int K, const float alpha, __global const float *A,
               const int lda, __global const float *B, const int ldb, const float beta,
               __global float *C, const int ldc) {
  /* +1 column of padding: items of one row read distinct banks. */
  __local float As[KS][TS + 1];
  __local float Bs[KS][TS + 1];
  const int tx = get_local_id(0), ty = get_local_id(1), lid = ty * WG + tx;
  const int i0 = get_group_id(0) * TS, j0 = get_group_id(1) * TS;
  float c00 = 0.0f, c01 = 0.0f, c10 = 0.0f, c11 = 0.0f;

  for (int l0 = 0; l0 < K; l0 += KS) {
    for (int e = lid; e < TS * KS; e += WG * WG) {
      /* A tile: TS rows (i) x KS columns (l); B tile: KS rows (l) x TS columns (j). */
      int r = tile_row(e, TS, KS, !TRANS_A), q = tile_col(e, TS, KS, !TRANS_A);
      int i = i0 + r, l = l0 + q;
      As[q][r] = (i < M && l < K) ? A[A_INDEX(i, l, lda)] : 0.0f;
      int qb = tile_row(e, KS, TS, !TRANS_B), s = tile_col(e, KS, TS, !TRANS_B);
      int lb = l0 + qb, j = j0 + s;
      Bs[qb][s] = (lb < K && j < N) ? B[B_INDEX(lb, j, ldb)] : 0.0f;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int q = 0; q < KS; q++) {
      float a0 = As[q][tx], a1 = As[q][tx + WG];
      float b0 = Bs[q][ty], b1 = Bs[q][ty + WG];
      c00 = mad(a0, b0, c00);
      c10 = mad(a1, b0, c10);
      c01 = mad(a0, b1, c01);
      c11 = mad(a1, b1, c11);
    }
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  /* Items of a row write consecutive i: coalesced stores. */
  store_c(C, ldc, M, N, i0 + tx, j0 + ty, c00, alpha, beta);
  store_c(C, ldc, M, N, i0 + tx + WG, j0 + ty, c10, alpha, beta);
  store_c(C, ldc, M, N, i0 + tx, j0 + ty + WG, c01, alpha, beta);
  store_c(C, ldc, M, N, i0 + tx + WG, j0 + ty + WG, c11, alpha, beta);
}
