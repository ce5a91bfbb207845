/* transpose: a K slice of a transposed operand turned on the device.
 *
 * A slice of op(A) = A^T crosses as A's rows (K along its columns'
 * contiguous direction); regblock reads a tile of that layout along K,
 * which NVIDIA's memory system serves slower than the untransposed one
 * (dsyrk T at n = k = 8192 on the H200: 31.6-32.9 ms against 27.6-28.0
 * for N).  The device turns each slice in a few hundredths of its
 * kernels' time instead.
 *   dst (cols x rows, ld dst_ld, from dst_off) = src^T (rows x cols, ld
 *   src_ld, from src_off), both column-major, every element copied
 *   (the slice's padding holds zeros already).
 * One TS x TS tile per work-group of TS x ROWS_PER items, through local
 * memory so that both the reads and the writes are along columns. */
#define TS 32
#define ROWS_PER 8

__kernel __attribute__((reqd_work_group_size(TS, ROWS_PER, 1))) void gemm590_transpose(
    __global const real_t *src, const long src_off, const int src_ld, __global real_t *dst,
    const long dst_off, const int dst_ld, const int rows, const int cols) {
  __local real_t tile[TS][TS + 1]; /* + 1: a column of the tile spans every bank */
  src += src_off;
  dst += dst_off;
  const int r0 = get_group_id(0) * TS, c0 = get_group_id(1) * TS;
  const int tx = get_local_id(0), ty = get_local_id(1);
  for (int j = ty; j < TS; j += ROWS_PER)
    if (r0 + tx < rows && c0 + j < cols) tile[j][tx] = src[r0 + tx + (size_t)(c0 + j) * src_ld];
  barrier(CLK_LOCAL_MEM_FENCE);
  /* dst(c, r) = src(r, c): item tx writes row c0 + tx of dst. */
  for (int j = ty; j < TS; j += ROWS_PER)
    if (c0 + tx < cols && r0 + j < rows) dst[c0 + tx + (size_t)(r0 + j) * dst_ld] = tile[tx][j];
}
