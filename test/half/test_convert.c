/* The host binary16 conversions (lib/host/fp16.c, lib/host/fp16_f16c.c), portable
 * and F16C, against references computed here from bit fields and float64
 * arithmetic:
 *
 * - half -> float: every one of the 65536 patterns, exact (NaN: a quiet
 *   NaN of the same sign and payload), and half -> float -> half gives the
 *   pattern back (NaN: stays NaN, quietened).
 * - float -> half: round to nearest even, overflow to +-Inf at 65520,
 *   subnormals kept, NaN -> quiet NaN with the top payload bits, for named
 *   cases (ties, overflow, subnormals, NaN, Inf, zeros) and for every float
 *   whose low 13 bits take one of the rounding-critical patterns (any
 *   exponent, sign and high mantissa), plus random floats.
 * - the portable and F16C sets agree bit for bit on every one of the 2^32
 *   floats with --exhaustive (about 6 s of CPU), on every 7th without.
 * - pack: the "does not fit binary16" flag for each out-of-range kind at
 *   every position of arrays of several lengths (vector body and tail).
 *
 * The F16C part runs where the CPU has F16C and says so otherwise. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp16.h"

static long failures;

#define FAIL(...)                           \
  do {                                      \
    if (failures++ < 20) printf(__VA_ARGS__); \
  } while (0)

static uint32_t bits_of(float f) {
  uint32_t x;
  memcpy(&x, &f, sizeof x);
  return x;
}

static float float_of(uint32_t x) {
  float f;
  memcpy(&f, &x, sizeof f);
  return f;
}

static bool half_is_nan(uint16_t h) { return (h & 0x7c00) == 0x7c00 && (h & 0x3ff); }

/* ---- references ---- */

/* The float32 pattern of binary16 pattern h, from its fields. */
static uint32_t ref_to_float(uint16_t h) {
  int sign = h >> 15, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  uint32_t s = (uint32_t)sign << 31;
  if (exponent == 0x1f) /* Inf, or NaN made quiet with the payload kept */
    return s | 0x7f800000u | ((uint32_t)mantissa << 13) | (mantissa ? 0x400000u : 0);
  double v = exponent ? ldexp(1024 + mantissa, exponent - 25) : ldexp(mantissa, -24);
  return s | bits_of((float)v); /* exact: every binary16 value is a float */
}

/* The binary16 pattern of float f, from float64 arithmetic: the value in
 * units of the binary16 spacing at its exponent, rounded to nearest even
 * by nearbyint (default rounding mode). */
static uint16_t ref_to_half(float f) {
  uint32_t x = bits_of(f);
  uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
  if (isnan(f)) return sign | 0x7e00 | ((x >> 13) & 0x3ff);
  double a = fabs((double)f);
  if (a >= 65520.0) return sign | 0x7c00; /* 65504 + half its spacing of 32 */
  if (a == 0.0) return sign;
  int e;
  frexp(a, &e); /* a = q * 2^e, q in [0.5, 1): the exponent of a is e - 1 */
  int exponent = e - 1 < -14 ? -14 : e - 1;
  double units = nearbyint(ldexp(a, 10 - exponent)); /* spacing 2^(exponent - 10) */
  if (exponent == -14 && units < 1024) return sign | (uint16_t)units; /* subnormal or zero */
  /* units in [1024, 2048]; 2048 (a carry) is the next binade's 1024. */
  return sign | (uint16_t)(((exponent + 15) << 10) + (int)units - 1024);
}

/* ---- half -> float ---- */

static void check_to_float(const g590_fp16_ops *ops) {
  static uint16_t all[65536], back[65536];
  static float f[65536];
  for (int h = 0; h < 65536; h++) all[h] = (uint16_t)h;
  ops->to_float(f, all, 65536);
  ops->to_half(back, f, 65536);
  for (int h = 0; h < 65536; h++) {
    uint32_t want = ref_to_float((uint16_t)h), got = bits_of(f[h]);
    if (got != want)
      FAIL("%s to_float FAIL: 0x%04x -> 0x%08x, want 0x%08x\n", ops->name, h, got, want);
    if (g590_host_half_to_float((uint16_t)h) != f[h] && !half_is_nan((uint16_t)h))
      FAIL("scalar half_to_float FAIL: 0x%04x\n", h);
    bool ok = half_is_nan((uint16_t)h) ? half_is_nan(back[h]) && (back[h] & 0x8000) == (h & 0x8000)
                                       : back[h] == h;
    if (!ok) FAIL("%s round trip FAIL: 0x%04x -> 0x%04x\n", ops->name, h, back[h]);
  }
}

/* ---- float -> half ---- */

typedef struct named {
  const char *what;
  uint32_t f; /* float32 pattern */
  uint16_t h; /* expected binary16 pattern */
} named;

static const named cases[] = {
    {"1", 0x3f800000, 0x3c00},
    {"1 + 2^-11 (tie): even 1", 0x3f801000, 0x3c00},
    {"1 + 2^-11 + 2^-23: up", 0x3f801001, 0x3c01},
    {"1 + 3 * 2^-11 (tie): even 1 + 2^-9", 0x3f803000, 0x3c02},
    {"1 + 2^-11 - 2^-23: down", 0x3f800fff, 0x3c00},
    {"-1 - 2^-11 (tie): even -1", 0xbf801000, 0xbc00},
    {"2047.5 (tie): even 2048", 0x44fff000, 0x6800},
    {"65504: the largest finite", 0x477fe000, 0x7bff},
    {"65519.996: still 65504", 0x477fefff, 0x7bff},
    {"65520 (tie with 65536): overflow to +Inf", 0x477ff000, 0x7c00},
    {"-65520: -Inf", 0xc77ff000, 0xfc00},
    {"1e5: +Inf", 0x47c35000, 0x7c00},
    {"FLT_MAX: +Inf", 0x7f7fffff, 0x7c00},
    {"+Inf", 0x7f800000, 0x7c00},
    {"-Inf", 0xff800000, 0xfc00},
    {"2^-14: the smallest normal", 0x38800000, 0x0400},
    {"2^-14 - 2^-25 (tie 0x3ff / 0x400): even 0x400", 0x387fe000, 0x0400},
    {"2^-14 - 3 * 2^-25 (tie 0x3fe / 0x3ff): even 0x3fe", 0x387fa000, 0x03fe},
    {"2^-24: the smallest subnormal", 0x33800000, 0x0001},
    {"1.5 * 2^-24 (tie): even 2 * 2^-24", 0x33c00000, 0x0002},
    {"2.5 * 2^-24 (tie): even 2 * 2^-24", 0x34200000, 0x0002},
    {"2^-25 (tie with 0): even 0", 0x33000000, 0x0000},
    {"2^-25 + 2^-48: up to 2^-24", 0x33000001, 0x0001},
    {"-2^-25 (tie): -0", 0xb3000000, 0x8000},
    {"1e-30: +0", 0x0da24260, 0x0000},
    {"float subnormal: +0", 0x00000001, 0x0000},
    {"-float subnormal: -0", 0x80000001, 0x8000},
    {"+0", 0x00000000, 0x0000},
    {"-0", 0x80000000, 0x8000},
    {"quiet NaN", 0x7fc00000, 0x7e00},
    {"-quiet NaN", 0xffc00000, 0xfe00},
    {"signalling NaN, low payload: quiet NaN", 0x7f800001, 0x7e00},
    {"NaN payload: top 9 bits kept", 0x7fa3e000, 0x7f1f},
};

static void check_named(const g590_fp16_ops *ops) {
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    float in = float_of(cases[i].f);
    uint16_t got;
    ops->to_half(&got, &in, 1);
    if (got != cases[i].h)
      FAIL("%s to_half FAIL \"%s\": 0x%08x -> 0x%04x, want 0x%04x\n", ops->name, cases[i].what,
           cases[i].f, got, cases[i].h);
    if (ref_to_half(in) != cases[i].h)
      FAIL("reference FAIL \"%s\": 0x%04x\n", cases[i].what, ref_to_half(in));
  }
}

/* splitmix64: reproducible random bits. */
static uint64_t next_random(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

enum { BATCH = 1 << 16 };

/* Converts n floats with `ops` and with the scalar portable function;
 * both must match the reference. */
static void compare_batch(const g590_fp16_ops *ops, const float *in, size_t n) {
  static uint16_t got[BATCH];
  ops->to_half(got, in, n);
  for (size_t i = 0; i < n; i++) {
    uint16_t want = ref_to_half(in[i]);
    if (got[i] != want)
      FAIL("%s to_half FAIL: 0x%08x -> 0x%04x, want 0x%04x\n", ops->name, bits_of(in[i]),
           got[i], want);
    if (g590_host_float_to_half(in[i]) != want)
      FAIL("scalar float_to_half FAIL: 0x%08x -> 0x%04x, want 0x%04x\n", bits_of(in[i]),
           g590_host_float_to_half(in[i]), want);
  }
}

/* Rounding of normal binary16 results depends on the 13 float mantissa
 * bits binary16 drops: every sign, exponent and kept mantissa (the high 19
 * bits) with the low 13 bits on a binary16 value, just past it, either
 * side of the tie, on the tie, the largest, and two random patterns.
 * Subnormal results drop 14 to 23 bits: there, random high bits with the
 * dropped bits on either side of the tie, on it, zero and all ones.  Then
 * random floats. */
static void check_rounding(const g590_fp16_ops *ops) {
  static float in[BATCH];
  uint64_t state = 590;
  size_t n = 0;
  for (uint32_t high = 0; high < (1u << 19); high++) {
    uint32_t lows[8] = {0x0000, 0x0001, 0x0fff, 0x1000, 0x1001, 0x1fff,
                        (uint32_t)next_random(&state) & 0x1fff,
                        (uint32_t)next_random(&state) & 0x1fff};
    for (int i = 0; i < 8; i++) {
      in[n++] = float_of(high << 13 | lows[i]);
      if (n == BATCH) compare_batch(ops, in, n), n = 0;
    }
  }
  for (uint32_t exponent = 103; exponent <= 112; exponent++) {
    uint32_t drop = 126 - exponent, tie = 1u << (drop - 1), mask = (1u << drop) - 1;
    uint32_t lows[5] = {0, tie - 1, tie, tie + 1, mask};
    for (int r = 0; r < 4096; r++) {
      uint32_t x = (uint32_t)next_random(&state);
      for (int i = 0; i < 5; i++) {
        uint32_t mant = (x & 0x7fffffu & ~mask) | lows[i];
        in[n++] = float_of((x & 0x80000000u) | exponent << 23 | mant);
        if (n == BATCH) compare_batch(ops, in, n), n = 0;
      }
    }
  }
  for (int r = 0; r < 16 * BATCH; r++) {
    in[n++] = float_of((uint32_t)next_random(&state));
    if (n == BATCH) compare_batch(ops, in, n), n = 0;
  }
  compare_batch(ops, in, n);
}

/* Portable and F16C sets agree on every `stride`-th float32 pattern. */
static void check_agree(const g590_fp16_ops *f16c, uint64_t stride) {
  static float in[BATCH];
  static uint16_t a[BATCH], b[BATCH];
  uint64_t checked = 0;
  for (uint64_t x = 0; x < (1ull << 32);) {
    size_t n = 0;
    for (; n < BATCH && x < (1ull << 32); x += stride) in[n++] = float_of((uint32_t)x);
    g590_host_fp16_portable.to_half(a, in, n);
    f16c->to_half(b, in, n);
    for (size_t i = 0; i < n; i++)
      if (a[i] != b[i])
        FAIL("portable/f16c disagree: 0x%08x -> 0x%04x / 0x%04x\n", bits_of(in[i]), a[i], b[i]);
    checked += n;
  }
  if (stride == 1)
    printf("portable and f16c agree on all %llu float32 patterns\n", (unsigned long long)checked);
  else
    printf("portable and f16c agree on %llu float32 patterns (every %lluth)\n",
           (unsigned long long)checked, (unsigned long long)stride);
}

/* ---- pack: the fit flag ---- */

static void check_pack(const g590_fp16_ops *ops) {
  static const uint32_t unfit[] = {
      0x477fe001, /* 65504 * (1 + 2^-23): above 65504 */
      0x47c35000, /* 1e5 */
      0xc7c35000, /* -1e5 */
      0x337fffff, /* just below 2^-24 */
      0x0da24260, /* 1e-30 */
      0x80000001, /* -float subnormal */
  };
  static const uint32_t fit[] = {
      0x477fe000, /* 65504 */
      0x33800000, /* 2^-24 */
      0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001,
  };
  static const size_t lengths[] = {1, 7, 8, 9, 16, 21};
  float in[21];
  uint16_t packed[21], plain[21];
  for (size_t li = 0; li < sizeof lengths / sizeof lengths[0]; li++) {
    size_t len = lengths[li];
    for (size_t p = 0; p < len; p++) {
      for (size_t kind = 0; kind < sizeof unfit / sizeof unfit[0] + sizeof fit / sizeof fit[0];
           kind++) {
        bool want_fit = kind >= sizeof unfit / sizeof unfit[0];
        uint32_t special = want_fit ? fit[kind - sizeof unfit / sizeof unfit[0]] : unfit[kind];
        for (size_t i = 0; i < len; i++) in[i] = 0.5f + (float)i;
        in[p] = float_of(special);
        bool got = ops->pack(packed, in, len);
        ops->to_half(plain, in, len);
        if (got != want_fit)
          FAIL("%s pack FAIL: 0x%08x at %zu of %zu: fits=%d, want %d\n", ops->name, special, p,
               len, got, want_fit);
        if (memcmp(packed, plain, len * sizeof *packed) != 0)
          FAIL("%s pack FAIL: converts 0x%08x at %zu of %zu unlike to_half\n", ops->name,
               special, p, len);
      }
    }
  }
}

static void check_set(const g590_fp16_ops *ops) {
  long before = failures;
  check_to_float(ops);
  check_named(ops);
  check_rounding(ops);
  check_pack(ops);
  printf("%s: %s\n", ops->name, failures == before ? "ok" : "FAILED");
}

int main(int argc, char **argv) {
  bool exhaustive = argc > 1 && strcmp(argv[1], "--exhaustive") == 0;
  check_set(&g590_host_fp16_portable);
  const g590_fp16_ops *f16c = g590_host_fp16_f16c();
  if (f16c) {
    check_set(f16c);
    check_agree(f16c, exhaustive ? 1 : 7);
  } else {
    printf("f16c: this CPU has no F16C; only the portable set was checked\n");
  }
  /* The library's choice (and so g590_host_pack_half) is F16C wherever it exists. */
  if (g590_host_fp16() != (f16c ? f16c : &g590_host_fp16_portable))
    FAIL("g590_host_fp16() chose %s\n", g590_host_fp16()->name);
  printf("g590_host_fp16(): %s; %ld failures\n", g590_host_fp16()->name, failures);
  return failures ? 1 : 0;
}
