/* Math mode: whether SGEMM may run with binary16 operands (float32
 * accumulation).  Off unless asked for: a drop-in never lowers precision
 * unasked.  GEMM590_MATH=fp16 sets the process default; a thread's own
 * gemm590_set_math_mode overrides it for that thread. */
#include "gemm590.h"
#include "g590.h"

#define G590_API __attribute__((visibility("default")))

/* -1: this thread follows the process default. */
static G590_THREAD_LOCAL int thread_mode = -1;

bool g590_api_math_fp16(void) {
  if (thread_mode >= 0) return thread_mode == GEMM590_MATH_FP16;
  return g590_config_get()->math_fp16;
}

G590_API enum gemm590_math gemm590_get_math_mode(void) {
  return g590_api_math_fp16() ? GEMM590_MATH_FP16 : GEMM590_MATH_FP32;
}

G590_API enum gemm590_math gemm590_set_math_mode(enum gemm590_math mode) {
  enum gemm590_math old = gemm590_get_math_mode();
  if (mode == GEMM590_MATH_FP32 || mode == GEMM590_MATH_FP16) thread_mode = (int)mode;
  else if (mode == GEMM590_MATH_DEFAULT) thread_mode = -1;
  return old;
}
