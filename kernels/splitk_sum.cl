/* splitk_sum: the second half of a split-K GEMM (see kernels/regblock.cl).
 *
 * W holds `slices` partial products, each laid out like C (leading
 * dimension ldc, in float4s ld4), slice_vecs float4s apart.  One item
 * per float4 of C:  C = alpha * (W_0 + ... + W_{slices-1}) + beta * C,
 * C not read when BETA_ZERO.  Rows of C are padded to whole tiles, so
 * float4 accesses need no bounds checks. */
__kernel void gemm590_splitk_sum(__global const real4_t *W, const int slices, const int slice_vecs,
                                 const int ld4, const real_t alpha, const real_t beta,
                                 __global real4_t *C) {
  const size_t i = get_global_id(0) + get_global_id(1) * (size_t)ld4;
  real4_t s = W[i];
  for (int z = 1; z < slices; z++) s += W[i + (size_t)z * (size_t)slice_vecs];
#if BETA_ZERO
  C[i] = alpha * s;
#else
  C[i] = alpha * s + beta * C[i];
#endif
}
