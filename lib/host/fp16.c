/* IEEE binary16 <-> float32 conversion on the host: the portable C set,
 * and the choice between it and the F16C set (lib/host/fp16_f16c.c).
 *
 * float -> half rounds to nearest even, overflows to +-Inf, keeps
 * subnormals; NaN becomes a quiet NaN of the same sign keeping the top 9
 * payload bits.  half -> float is exact, except that a signalling NaN comes
 * back quiet.  Both NaN rules are what the F16C instructions do, so the two
 * sets agree bit for bit. */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "fp16.h"

uint16_t g590_host_float_to_half(float f) {
  uint32_t x;
  memcpy(&x, &f, sizeof x);
  uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) /* Inf or NaN */
    return (uint16_t)(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u | ((abs >> 13) & 0x3ffu) : 0));
  if (abs >= 0x477ff000u) /* rounds to >= 65520: overflow */
    return (uint16_t)(sign | 0x7c00u);
  if (abs < 0x38800000u) { /* below the smallest normal half (2^-14): subnormal or zero */
    if (abs < 0x33000000u) return (uint16_t)sign; /* below half the smallest subnormal */
    /* value = mant24 * 2^(E-150) and the half unit is 2^-24: drop 126-E bits. */
    uint32_t mant = (abs & 0x7fffffu) | 0x800000u;
    uint32_t drop = 126u - (abs >> 23); /* 14..24 */
    uint32_t half = mant >> drop;
    uint32_t rem = mant & ((1u << drop) - 1), mid = 1u << (drop - 1);
    if (rem > mid || (rem == mid && (half & 1u))) half++;
    return (uint16_t)(sign | half);
  }
  /* Normal: rebias the exponent (127 -> 15) and round the mantissa 23 -> 10 bits;
   * a carry out of the mantissa correctly bumps the exponent. */
  uint32_t h = ((abs - 0x38000000u) >> 13);
  uint32_t rem = abs & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) h++;
  return (uint16_t)(sign | h);
}

float g590_host_half_to_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu, x;
  if (exp == 0x1f) {
    /* NaN comes back quiet (bit 22 set), as from F16C. */
    x = sign | 0x7f800000u | (mant << 13) | (mant ? 0x400000u : 0);
  } else if (exp != 0) {
    x = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant == 0) {
    x = sign;
  } else { /* subnormal half: normalise */
    int e = -1;
    do { mant <<= 1; e++; } while (!(mant & 0x400u));
    x = sign | ((uint32_t)(112 - e) << 23) | ((mant & 0x3ffu) << 13);
  }
  float f;
  memcpy(&f, &x, sizeof f);
  return f;
}

static void to_float_portable(float *dst, const uint16_t *src, size_t n) {
  for (size_t i = 0; i < n; i++) dst[i] = g590_host_half_to_float(src[i]);
}

static void to_half_portable(uint16_t *dst, const float *src, size_t n) {
  for (size_t i = 0; i < n; i++) dst[i] = g590_host_float_to_half(src[i]);
}

static bool pack_portable(uint16_t *dst, const float *src, size_t n) {
  bool fits = true;
  for (size_t i = 0; i < n; i++) {
    float a = src[i] < 0 ? -src[i] : src[i];
    /* NaN and Inf convert faithfully (NaN fails both tests); finite values
     * must neither overflow nor flush to zero. */
    if (a > 65504.0f && a < INFINITY) fits = false;
    if (a > 0.0f && a < 0x1p-24f) fits = false;
    dst[i] = g590_host_float_to_half(src[i]);
  }
  return fits;
}

const g590_fp16_ops g590_host_fp16_portable = {"portable", to_float_portable, to_half_portable,
                                          pack_portable};

/* Chosen once per process: g590_host_pack_half runs per column, and on a
 * virtual machine every CPUID traps to the hypervisor. */
static const g590_fp16_ops *chosen;
static pthread_once_t chosen_once = PTHREAD_ONCE_INIT;

static void choose(void) {
  const g590_fp16_ops *f16c = g590_host_fp16_f16c();
  chosen = f16c ? f16c : &g590_host_fp16_portable;
}

const g590_fp16_ops *g590_host_fp16(void) {
  pthread_once(&chosen_once, choose);
  return chosen;
}

bool g590_host_pack_half(uint16_t *dst, const float *src, size_t n) {
  return g590_host_fp16()->pack(dst, src, n);
}
