/* tile20_v3: a 20x20 tile of C per 10x10 work-group, 2x2 results per item,
 * K in slabs of KS through local memory.  Operand tiles are read two
 * neighbouring elements at a time (vload2) along the direction that is
 * contiguous in memory; pairs that would cross the matrix edge fall back
 * to masked scalar loads. */
#ifndef WG
#define WG 10
#endif
#ifndef KS
#define KS 20
#endif
#define TS (2 * WG)

#if (TS % 2) || (KS % 2)
#error "tile20_v3 reads pairs: TS and KS must be even"
#endif

/* Reads elements (r, q) and the next one along the contiguous direction
 * of a tile whose origin is (row0, col0) inside a rows_total x cols_total
 * operand; `idx` is the memory offset of (r, q). */
float2 load_pair(__global const float *X, size_t idx, int row, int col,
                 int along_rows, int rows_total, int cols_total) {
  int row1 = along_rows ? row + 1 : row, col1 = along_rows ? col : col + 1;
  if (row1 < rows_total && col1 < cols_total) return vload2(0, X + idx);
  float2 v = (float2)(0.0f, 0.0f);
  if (row < rows_total && col < cols_total) v.x = X[idx];
  return v;
}

__kernel __attribute__((reqd_work_group_size(WG, WG, 1))) void
gemm590_tile20_v3(const int M, const int N, const int K, const float alpha,
                  __global const float *A, const int lda, __global const float *B, const int ldb,
                  const float beta, __global float *C, const int ldc) {
  __local float As[KS][TS + 1];
  __local float Bs[KS][TS + 1];
  const int tx = get_local_id(0), ty = get_local_id(1), lid = ty * WG + tx;
  const int i0 = get_group_id(0) * TS, j0 = get_group_id(1) * TS;
  float c00 = 0.0f, c01 = 0.0f, c10 = 0.0f, c11 = 0.0f;

  for (int l0 = 0; l0 < K; l0 += KS) {
    for (int p = lid; p < TS * KS / 2; p += WG * WG) {
      /* Pair p holds tile elements 2p and 2p+1 in memory order. */
      int r = tile_row(2 * p, TS, KS, !TRANS_A), q = tile_col(2 * p, TS, KS, !TRANS_A);
      float2 a = load_pair(A, A_INDEX(i0 + r, l0 + q, lda), i0 + r, l0 + q, !TRANS_A, M, K);
      As[q][r] = a.x;
      if (TRANS_A) As[q + 1][r] = a.y; else As[q][r + 1] = a.y;

      int qb = tile_row(2 * p, KS, TS, !TRANS_B), s = tile_col(2 * p, KS, TS, !TRANS_B);
      float2 b = load_pair(B, B_INDEX(l0 + qb, j0 + s, ldb), l0 + qb, j0 + s, !TRANS_B, K, N);
      Bs[qb][s] = b.x;
      if (TRANS_B) Bs[qb][s + 1] = b.y; else Bs[qb + 1][s] = b.y;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int q = 0; q < KS; q++) {
      float2 a = (float2)(As[q][tx], As[q][tx + WG]);
      float2 b = (float2)(Bs[q][ty], Bs[q][ty + WG]);
      c00 = mad(a.x, b.x, c00);
      c10 = mad(a.y, b.x, c10);
      c01 = mad(a.x, b.y, c01);
      c11 = mad(a.y, b.y, c11);
    }
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  store_c(C, ldc, M, N, i0 + tx, j0 + ty, c00, alpha, beta);
  store_c(C, ldc, M, N, i0 + tx + WG, j0 + ty, c10, alpha, beta);
  store_c(C, ldc, M, N, i0 + tx, j0 + ty + WG, c01, alpha, beta);
  store_c(C, ldc, M, N, i0 + tx + WG, j0 + ty + WG, c11, alpha, beta);
}
