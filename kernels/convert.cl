/* convert: binary16 <-> float32 copies on the device, for gemm590_hgemm.
 *
 * The operands cross the host link as binary16 (half the bytes) and are
 * widened here into the float32 layout a float32 family reads, zero-padded
 * to whole tiles; the float32 C is narrowed back with one rounding to
 * nearest even.  The device does in microseconds what would cost the host
 * a pass over every element.
 *   default  dst (dst_rows x dst_cols, float, ld dst_ld) = src (rows x cols,
 *            binary16, ld src_ld), zeros outside
 *   NARROW   dst (rows x cols, binary16, ld dst_ld) = src (float, ld src_ld) */
#ifndef NARROW
#define NARROW 0
#endif

#if NARROW
__kernel void gemm590_convert(__global const float *src, const int src_ld, __global half *dst,
                              const int dst_ld, const int rows, const int cols,
                              const int dst_rows, const int dst_cols) {
  const int r = get_global_id(0), c = get_global_id(1);
  (void)dst_rows, (void)dst_cols;
  if (r >= rows || c >= cols) return;
  vstore_half_rte(src[(size_t)c * src_ld + r], (size_t)c * dst_ld + r, dst);
}
#else
__kernel void gemm590_convert(__global const half *src, const int src_ld, __global float *dst,
                              const int dst_ld, const int rows, const int cols,
                              const int dst_rows, const int dst_cols) {
  const int r = get_global_id(0), c = get_global_id(1);
  if (r >= dst_rows || c >= dst_cols) return;
  dst[(size_t)c * dst_ld + r] =
      (r < rows && c < cols) ? vload_half((size_t)c * src_ld + r, src) : 0.0f;
}
#endif
