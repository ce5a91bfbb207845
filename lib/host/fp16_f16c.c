/* The F16C conversion set: 8 values per instruction.
 *
 * Compiled for the baseline target like the rest of the library; only the
 * functions below carry target("avx,f16c"), and they run only after CPUID
 * said the CPU has both and XGETBV that the OS saves the AVX registers.
 * (CPUID rather than __builtin_cpu_supports: clang rejects "f16c" there.)  Tails shorter than 8 go through an 8-wide buffer so that every
 * value meets the same instruction (NaN payload rules included). */
#include "fp16.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#include <math.h>
#include <string.h>

#define F16C __attribute__((target("avx,f16c")))

F16C static __m256 load8_half(const uint16_t *src) {
  return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)src));
}

/* _MM_FROUND_TO_NEAREST_INT: round to nearest even, whatever MXCSR says. */
F16C static void store8_half(uint16_t *dst, __m256 v) {
  _mm_storeu_si128((__m128i *)dst, _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
}

F16C static void to_float_f16c(float *dst, const uint16_t *src, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, load8_half(src + i));
  if (i == n) return;
  uint16_t in[8] = {0};
  float out[8];
  memcpy(in, src + i, (n - i) * sizeof *in);
  _mm256_storeu_ps(out, load8_half(in));
  memcpy(dst + i, out, (n - i) * sizeof *out);
}

F16C static void to_half_f16c(uint16_t *dst, const float *src, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) store8_half(dst + i, _mm256_loadu_ps(src + i));
  if (i == n) return;
  float in[8] = {0};
  uint16_t out[8];
  memcpy(in, src + i, (n - i) * sizeof *in);
  store8_half(out, _mm256_loadu_ps(in));
  memcpy(dst + i, out, (n - i) * sizeof *out);
}

/* Lanes of v that do not fit binary16: 65504 < |x| < Inf, or 0 < |x| < 2^-24.
 * Ordered comparisons are false for NaN, which converts faithfully. */
F16C static __m256 unfit8(__m256 v) {
  __m256 a = _mm256_and_ps(v, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff)));
  __m256 big = _mm256_and_ps(_mm256_cmp_ps(a, _mm256_set1_ps(65504.0f), _CMP_GT_OQ),
                             _mm256_cmp_ps(a, _mm256_set1_ps(INFINITY), _CMP_LT_OQ));
  __m256 tiny = _mm256_and_ps(_mm256_cmp_ps(a, _mm256_setzero_ps(), _CMP_GT_OQ),
                              _mm256_cmp_ps(a, _mm256_set1_ps(0x1p-24f), _CMP_LT_OQ));
  return _mm256_or_ps(big, tiny);
}

F16C static bool pack_f16c(uint16_t *dst, const float *src, size_t n) {
  __m256 unfit = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 v = _mm256_loadu_ps(src + i);
    unfit = _mm256_or_ps(unfit, unfit8(v));
    store8_half(dst + i, v);
  }
  if (i < n) {
    float in[8] = {0}; /* zero fits: the padding lanes never count */
    uint16_t out[8];
    memcpy(in, src + i, (n - i) * sizeof *in);
    __m256 v = _mm256_loadu_ps(in);
    unfit = _mm256_or_ps(unfit, unfit8(v));
    store8_half(out, v);
    memcpy(dst + i, out, (n - i) * sizeof *out);
  }
  return _mm256_movemask_ps(unfit) == 0;
}

static const g590_fp16_ops f16c_ops = {"f16c", to_float_f16c, to_half_f16c, pack_f16c};

/* CPUID leaf 1, ECX: bit 27 OSXSAVE, bit 28 AVX, bit 29 F16C; XCR0 bits 1
 * and 2: the OS saves SSE and AVX state. */
static bool cpu_has_f16c(void) {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
  const unsigned need = (1u << 27) | (1u << 28) | (1u << 29);
  if ((ecx & need) != need) return false;
  unsigned xcr0_lo, xcr0_hi;
  __asm__("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  (void)xcr0_hi;
  return (xcr0_lo & 6u) == 6u;
}

const g590_fp16_ops *g590_host_fp16_f16c(void) { return cpu_has_f16c() ? &f16c_ops : NULL; }

#else

const g590_fp16_ops *g590_host_fp16_f16c(void) { return NULL; }

#endif
