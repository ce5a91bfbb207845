/* Launching a GEMM kernel, with split K.
 *
 * When C has fewer tiles than the device has compute units (n = 1024 on
 * the H100: 64 tiles of 128x128 for 132 SMs), most of the GPU idles.  A
 * plan with splits S > 1 (regblock -DSPLITK=S) launches S slices along the
 * third NDRange dimension: slice z multiplies the z-th part of K into its
 * own partial C in e->split, and kernels/splitk_sum.cl then adds the
 * partials into C with alpha and beta.  The price is S extra passes over
 * C in device memory, small next to the product where splitting pays. */
#include <limits.h>
#include <stdio.h>

#include "cl_engine.h"

/* Beyond this much workspace C is large enough to fill the device alone. */
#define MAX_SPLIT_BYTES ((size_t)256 << 20)

bool g590_cl_set_args(cl_kernel k, const void *const *values, const size_t *sizes, cl_uint n,
                      char *why, size_t why_len) {
  for (cl_uint i = 0; i < n; i++) {
    cl_int err = G590_CL("clSetKernelArg", clSetKernelArg(k, i, sizes[i], values[i]));
    if (g590_cl_failed(err, "clSetKernelArg", why, why_len)) return false;
  }
  return true;
}

/* alpha and beta as the kernel's real_t. */
typedef struct scalars {
  float f[2];
  double d[2];
  size_t bytes;
} scalars;

static scalars kernel_scalars(const g590_gemm_args *g) {
  scalars s = {{(float)g->alpha, (float)g->beta}, {g->alpha, g->beta}, g->f64 ? 8 : 4};
  return s;
}
static const void *scalar_at(const scalars *s, int i) {
  return s->bytes == 8 ? (const void *)&s->d[i] : (const void *)&s->f[i];
}

/* The kernel's arguments; families that serve syrk take col0, a_off and
 * b_off as a 12th, 13th and 14th. */
static bool set_gemm_args(cl_kernel k, const g590_plan *plan, const g590_gemm_args *g,
                          const cl_mem *c, char *why, size_t why_len) {
  scalars s = kernel_scalars(g);
  cl_long a_off = (cl_long)g->a_off, b_off = (cl_long)g->b_off;
  const void *values[] = {&g->m, &g->n,   &g->k,            scalar_at(&s, 0), &g->a,   &g->lda,
                          &g->b, &g->ldb, scalar_at(&s, 1), c,                &g->ldc, &g->col0,
                          &a_off, &b_off};
  const size_t sizes[] = {sizeof(int),    sizeof(int), sizeof(int),   s.bytes,
                          sizeof(cl_mem), sizeof(int), sizeof(cl_mem), sizeof(int),
                          s.bytes,        sizeof(cl_mem), sizeof(int), sizeof(int),
                          sizeof(cl_long), sizeof(cl_long)};
  return g590_cl_set_args(k, values, sizes, plan->family->syrk ? 14 : 11, why, why_len);
}

static bool enqueue(cl_command_queue q, cl_kernel k, cl_uint dims, const size_t *global,
                    const size_t *local, cl_event wait, cl_event *done, char *why,
                    size_t why_len) {
  cl_int err = G590_CL("clEnqueueNDRangeKernel",
                       clEnqueueNDRangeKernel(q, k, dims, NULL, global, local, wait ? 1 : 0,
                                              wait ? &wait : NULL, done));
  return !g590_cl_failed(err, "clEnqueueNDRangeKernel", why, why_len);
}

/* How many slices this launch can use: the plan's, unless the partial
 * products would not fit the float4 layout or the workspace limit. */
static size_t usable_splits(const g590_plan *plan, const g590_gemm_args *g, size_t slice) {
  size_t s = plan->splits > 1 ? (size_t)plan->splits : 1;
  if (s == 1 || !plan->family->padded || g->ldc % 4 || plan->tile[0] % 4 ||
      s * slice * (g->f64 ? 8 : 4) > MAX_SPLIT_BYTES || s * slice / 4 > INT_MAX)
    return 1;
  return s;
}

bool g590_cl_gemm_enqueue(g590_engine *e, cl_command_queue q, cl_kernel kernel,
                       const g590_plan *plan, const g590_gemm_args *g, cl_event wait,
                       cl_event *done, char *why, size_t why_len) {
  size_t groups[2] = {((size_t)g->m + plan->tile[0] - 1) / plan->tile[0],
                      ((size_t)g->n + plan->tile[1] - 1) / plan->tile[1]};
  size_t global[3] = {groups[0] * plan->local[0], groups[1] * plan->local[1], 1};
  size_t local[3] = {plan->local[0], plan->local[1], 1};
  /* A slice covers every column the launch writes, rows up to ldc. */
  size_t slice = (size_t)g->ldc * groups[1] * plan->tile[1];
  size_t splits = usable_splits(plan, g, slice);
  if (splits == 1)
    return set_gemm_args(kernel, plan, g, &g->c, why, why_len) &&
           enqueue(q, kernel, 2, global, local, wait, done, why, why_len);

  const char *origin;
  char options[64];
  snprintf(options, sizeof options, "-DBETA_ZERO=%d%s", g->beta == 0.0,
           g->f64 ? " -DREAL_DOUBLE=1" : "");
  cl_kernel sum = g590_cl_program_kernel(e, "splitk_sum", options, &origin, why, why_len);
  scalars s = kernel_scalars(g);
  if (!sum ||
      !g590_cl_buffer_ensure(e, &e->split, splits * slice * s.bytes, why, why_len) ||
      !set_gemm_args(kernel, plan, g, &e->split.mem, why, why_len))
    return false;
  global[2] = splits;
  if (!enqueue(q, kernel, 3, global, local, wait, NULL, why, why_len)) return false;

  int slices = (int)splits, slice_vecs = (int)(slice / 4), ld4 = g->ldc / 4;
  const void *values[] = {&e->split.mem, &slices, &slice_vecs, &ld4,
                          scalar_at(&s, 0), scalar_at(&s, 1), &g->c};
  const size_t sizes[] = {sizeof(cl_mem), sizeof(int), sizeof(int),   sizeof(int),
                          s.bytes,        s.bytes,     sizeof(cl_mem)};
  /* Rows of C up to the padded m (a multiple of the tile, so of 4). */
  size_t sum_global[2] = {groups[0] * plan->tile[0] / 4, groups[1] * plan->tile[1]};
  return g590_cl_set_args(sum, values, sizes, 7, why, why_len) &&
         enqueue(q, sum, 2, sum_global, NULL, NULL, done, why, why_len);
}
