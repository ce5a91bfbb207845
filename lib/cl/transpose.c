/* Turning a transposed operand's K slices on the device
 * (kernels/transpose.cl), so that the GEMM kernel reads them in its
 * faster untransposed layout (lib/cl/pipeline.c, run_slices). */
#include "cl_engine.h"

bool g590_cl_transpose_on_device(g590_engine *e, cl_command_queue q, cl_event wait, bool f64,
                                 cl_mem src, int64_t src_off, int src_ld, cl_mem dst,
                                 int64_t dst_off, int dst_ld, int rows, int cols, char *why,
                                 size_t why_len) {
  enum { TS = 32, ROWS_PER = 8 }; /* kernels/transpose.cl's tile and work-group */
  const char *origin;
  cl_kernel k = g590_cl_program_kernel(e, "transpose", f64 ? "-DREAL_DOUBLE=1" : "-DREAL_DOUBLE=0",
                                       &origin, why, why_len);
  if (!k) return false;
  cl_long so = (cl_long)src_off, doff = (cl_long)dst_off;
  const void *values[] = {&src, &so, &src_ld, &dst, &doff, &dst_ld, &rows, &cols};
  const size_t sizes[] = {sizeof src,  sizeof so,     sizeof src_ld, sizeof dst,
                          sizeof doff, sizeof dst_ld, sizeof rows,   sizeof cols};
  if (!g590_cl_set_args(k, values, sizes, 8, why, why_len)) return false;
  size_t global[2] = {((size_t)rows + TS - 1) / TS * TS, ((size_t)cols + TS - 1) / TS * ROWS_PER};
  size_t local[2] = {TS, ROWS_PER};
  cl_int err = G590_CL("clEnqueueNDRangeKernel",
                       clEnqueueNDRangeKernel(q, k, 2, NULL, global, local, wait ? 1 : 0,
                                              wait ? &wait : NULL, NULL));
  return !g590_cl_failed(err, "clEnqueueNDRangeKernel", why, why_len);
}
