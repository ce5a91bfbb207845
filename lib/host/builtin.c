/* The built-in loops: the host path of last resort (no host BLAS, a
 * host BLAS that calls back into us, sizes past its 32-bit integers),
 * and C = beta * C for every element type but binary16 (lib/host/hgemm.c).
 * Slow, but exact in their contract: beta = 0 never reads C, a syrk job
 * writes only its triangle, every index is 64-bit. */
#include "g590.h"

static double load(g590_type type, const void *p, int64_t i) {
  return type == G590_F64 ? ((const double *)p)[i] : ((const float *)p)[i];
}

static void store(g590_type type, void *p, int64_t i, double v) {
  if (type == G590_F64) ((double *)p)[i] = v;
  else ((float *)p)[i] = (float)v;
}

/* Dot-product form, one C element at a time, summed in float64 (float32
 * results round once). */
void g590_host_builtin(const g590_job *call) {
  g590_type t = call->type;
  int64_t sa_i = call->trans_a ? call->lda : 1, sa_l = call->trans_a ? 1 : call->lda;
  int64_t sb_l = call->trans_b ? call->ldb : 1, sb_j = call->trans_b ? 1 : call->ldb;
  for (int64_t j = 0; j < call->n; j++) {
    int64_t i0, i1;
    g590_job_rows(call, j, &i0, &i1);
    for (int64_t i = i0; i < i1; i++) {
      double sum = 0.0;
      for (int64_t l = 0; l < call->k; l++)
        sum += load(t, call->a, i * sa_i + l * sa_l) * load(t, call->b, l * sb_l + j * sb_j);
      int64_t at = i + j * call->ldc;
      double c = call->beta == 0.0 ? 0.0 : call->beta * load(t, call->c, at);
      store(t, call->c, at, call->alpha * sum + c);
    }
  }
}

void g590_host_scale_c(const g590_job *call) {
  for (int64_t j = 0; j < call->n; j++) {
    int64_t i0, i1;
    g590_job_rows(call, j, &i0, &i1);
    for (int64_t i = i0; i < i1; i++) {
      int64_t at = i + j * call->ldc;
      store(call->type, call->c, at, call->beta == 0.0 ? 0.0 : call->beta * load(call->type, call->c, at));
    }
  }
}
