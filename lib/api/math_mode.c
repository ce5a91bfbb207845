/* Math mode: whether SGEMM may run with binary16 operands, or TF32 inside
 * the kernel (float32 accumulation either way).  Off unless asked for: a
 * drop-in never lowers precision unasked.  GEMM590_MATH=fp16 or tf32 sets
 * the process default; a thread's own gemm590_set_math_mode overrides it
 * for that thread. */
#include "gemm590.h"
#include "g590.h"

#define G590_API __attribute__((visibility("default")))

/* -1: this thread follows the process default. */
static G590_THREAD_LOCAL int thread_mode = -1;

int g590_api_math(void) {
  return thread_mode >= 0 ? thread_mode : g590_config_get()->math;
}

G590_API enum gemm590_math gemm590_get_math_mode(void) { return (enum gemm590_math)g590_api_math(); }

G590_API enum gemm590_math gemm590_set_math_mode(enum gemm590_math mode) {
  enum gemm590_math old = gemm590_get_math_mode();
  if (mode == GEMM590_MATH_FP32 || mode == GEMM590_MATH_FP16 || mode == GEMM590_MATH_TF32)
    thread_mode = (int)mode;
  else if (mode == GEMM590_MATH_DEFAULT) thread_mode = -1;
  return old;
}
