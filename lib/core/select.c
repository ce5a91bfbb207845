/* The selector: GEMM590_KERNEL forces a family; then the decision table
 * (lib/core/table.c) decides where it has an entry for the device.  Otherwise
 * rules: GPUs run regblock above a size threshold, with the largest tile
 * that still gives every compute unit work, and CPU OpenCL devices defer
 * to the host BLAS, which is faster on the same cores. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapt.h"
#include "select.h"
#include "table.h"

/* regblock's 128x128 tile as NVIDIA's compiler runs it fastest. */
static const g590_params nvidia_fast_tile = {
    .tm = 128, .tn = 128, .ks = 8, .wm = 8, .wn = 8, .no_reqd_wg = 1, .maxrregcount = 128};
static const g590_params regblock_64x128 = {.tm = 64, .tn = 128, .ks = 16, .wm = 4, .wn = 8};
static const g590_params regblock_64x64 = {.tm = 64, .tn = 64, .ks = 8, .wm = 4, .wn = 4};
static const g590_params tensor_128x256 = {
    .tm = 128, .tn = 256, .ks = 16, .warps_m = 2, .warps_n = 4};
static const g590_params tensor_64x128 = {
    .tm = 64, .tn = 128, .ks = 32, .warps_m = 2, .warps_n = 2};

/* float64 on regblock (-DREAL_DOUBLE=1).  Portable: 4x4 doubles per item
 * keep the accumulators in registers.  On NVIDIA, without the fixed
 * work-group size and with a register cap, larger tiles run faster:
 * dgemm n = 8192 end to end on the H200 took 139 ms with 64x64, 90 ms
 * with 64x128 (4x8 per item, 128 registers) and 92 ms with 128x128 (8x8,
 * 255 registers), level3-bench with GEMM590_KERNEL (bench/NOTES.md); the
 * square one serves dsyrk, which needs square tiles. */
static const g590_params regblock_f64 = {.tm = 64, .tn = 64, .ks = 8, .wm = 4, .wn = 4};
static const g590_params regblock_f64_nvidia = {
    .tm = 64, .tn = 128, .ks = 8, .wm = 4, .wn = 8, .no_reqd_wg = 1, .maxrregcount = 128};
static const g590_params regblock_f64_nvidia_square = {
    .tm = 128, .tn = 128, .ks = 8, .wm = 8, .wn = 8, .no_reqd_wg = 1, .maxrregcount = 255};
/* float64 on the tensor cores (regblock -DMMA=1, sm_80 and later): mma.sync
 * m8n8k4 .f64 fragments, warps of 64x32 (128x128), 32x32 (64x64, the
 * square tile dsyrk takes) or 64x32 (128x64, dgemm's).  Measured on an
 * H100 (level3-bench with GEMM590_KERNEL, bench/NOTES.md): dgemm n = 8192
 * end to end 89.8 ms on the FMA units (regblock_f64_nvidia), 58.9 ms with
 * 128x128, 57.0 with 64x64, 55.7 with 128x64; dsyrk 50.6 ms on the FMA
 * units, 36.1 with 128x128, 35.0 with 64x64. */
static const g590_params regblock_f64_mma = {.tm = 128, .tn = 128, .ks = 8, .warps_m = 2,
                                             .warps_n = 4, .no_reqd_wg = 1, .maxrregcount = 255,
                                             .mma = 1};
static const g590_params regblock_f64_mma_128x64 = {.tm = 128, .tn = 64, .ks = 8, .warps_m = 2,
                                                    .warps_n = 2, .no_reqd_wg = 1,
                                                    .maxrregcount = 255, .mma = 1};
/* Where float64 tensor-core tiles lose time (diagnostic -DPROBE, H100,
 * bench/NOTES.md): without global loads the 128x64 tile runs 59-62 TFLOPS,
 * with them 41-43, the rate at which L2 feeds every tile that runs two
 * groups per SM.  A 128x128 tile reads a third less per flop but fits one
 * group of 16 warps per SM, so its loads are fetched three K steps ahead
 * by cp.async, in unpadded swizzled tiles: 3 x 16 KiB, all the local
 * memory OpenCL gives.  44.5 / 45.8 TFLOPS at 2048 / 4096 against 40.6 /
 * 42.4 for 128x64 in the same run. */
static const g590_params regblock_f64_mma_async = {
    .tm = 128, .tn = 128, .ks = 8, .warps_m = 4, .warps_n = 4, .no_reqd_wg = 1,
    .maxrregcount = 128, .mma = 1, .async = 1, .stages = 3, .swizzle = 1};
/* The TF32 opt-in (regblock -DMMA=1 in float32: mma.sync m16n8k8 .tf32):
 * 8 warps of 64x32 per 128x128 tile, or 4 warps of 32x32 per 64x64. */
static const g590_params regblock_tf32 = {.tm = 128, .tn = 128, .ks = 16, .warps_m = 2,
                                          .warps_n = 4, .no_reqd_wg = 1, .maxrregcount = 255,
                                          .mma = 1};
static const g590_params regblock_tf32_64 = {.tm = 64, .tn = 64, .ks = 16, .warps_m = 2,
                                             .warps_n = 2, .no_reqd_wg = 1, .maxrregcount = 255,
                                             .mma = 1};
static const g590_params regblock_f64_mma_64 = {.tm = 64, .tn = 64, .ks = 8, .warps_m = 2,
                                                .warps_n = 2, .no_reqd_wg = 1,
                                                .maxrregcount = 255, .mma = 1};

/* Every float64 tensor-core tile (the rules', a table's, a learned or
 * tuned pick, a candidate) takes the m16n8k8 shape (-DMMA=2) where the
 * device has it, and m8n8k4 (-DMMA=1) elsewhere; m16n8k16 (-DMMA=3)
 * stays where it runs.  On the H200 the same tiles ran 1.41-1.45x faster
 * resident with m16n8k8 (dgemm 128x64 at 2048 and 4096;
 * bench/NOTES.md), and a table trained on one device may serve a device
 * of the other kind. */
static void f64_mma_form(g590_params *p, const g590_device_info *dev) {
  if (p->mma && !dev->f64_mma_16x8x8) p->mma = 1;
  else if (p->mma == 1) p->mma = 2;
}

/* GEMM590_KERNEL, parsed once: the forced family and its tunables, or
 * why it names none. */
static g590_choice forced;
static const char *forced_error;
static _Atomic bool forced_ready;
static pthread_once_t forced_once = PTHREAD_ONCE_INIT;

static void forced_parse(void) {
  const char *kernel = g590_config_get()->kernel;
  if (kernel) forced_error = g590_choice_parse(kernel, ':', &forced);
}

/* Slices of K (1, 2 or 4) for `tiles` tiles on `cu` compute units that
 * each run two groups at once.  A launch takes whole waves of 2 * cu
 * groups, so its efficiency is groups / (waves * 2 * cu): 64 tiles (n =
 * 1024 on the H100's 132 SMs) fill 24 % of one wave, in 4 slices 97 %.
 * More slices must gain 10 % and keep each slice at least 256 deep. */
static int split_k(const g590_job *call, double tiles, double cu) {
  int best = 1;
  double best_eff = 0;
  for (int s = 1; s <= 4; s *= 2) {
    double groups = tiles * s, waves = ceil(groups / (2 * cu));
    double eff = groups / (waves * 2 * cu);
    if (call->k >= 256 * s && eff > 1.1 * best_eff) {
      best = s;
      best_eff = eff;
    }
  }
  return best;
}

/* The float32 choice: the decision table for this device (lib/core/table.c)
 * first, the rules below for devices no entry matches. */
static bool select_fp32(const g590_job *call, const g590_device_info *dev, g590_plan *plan,
                        char *why, size_t why_len) {
  const g590_config *cfg = g590_config_get();
  int table = g590_table_select(call, dev, plan, why, why_len);
  if (table >= 0) return table == 1;
  if (!dev->is_gpu) {
    snprintf(why, why_len, "CPU OpenCL device: host BLAS is faster");
    return false;
  }
  double flops = 2.0 * (double)call->m * (double)call->n * (double)call->k;
  if (flops < cfg->min_device_flops) {
    snprintf(why, why_len, "below threshold (%.3g < %.3g flops)", flops, cfg->min_device_flops);
    return false;
  }
  /* On NVIDIA the 128x128 tile needs 131 registers with the work-group
   * size fixed, which halves the groups per SM; without it and capped at
   * 128 registers it runs 1.65x faster (45.4 vs 27.6 TFLOPS at n = 4096 on
   * the H100, bench/NOTES.md), and where its tiles fill too little of a
   * wave, K is split.  Other compilers get the portable form, and smaller
   * tiles when the 128x128 ones are fewer than the compute units. */
  bool nvidia = strstr(dev->vendor, "NVIDIA") != NULL;
  double cu = dev->compute_units ? dev->compute_units : 1;
  double tiles_128 = (double)((call->m + 127) / 128) * (double)((call->n + 127) / 128);
  int splits = split_k(call, tiles_128, cu);
  if (nvidia && (tiles_128 >= cu || splits > 1)) {
    g590_params fast = nvidia_fast_tile;
    if (splits > 1) fast.splitk = splits;
    g590_plan_family(plan, &g590_regblock, &fast,
                     splits > 1 ? "regblock 128x128, split K: too few tiles for whole waves"
                                : "regblock 128x128: enough tiles for every compute unit");
  } else if (tiles_128 >= cu) {
    g590_plan_family(plan, &g590_regblock, NULL,
                     "regblock 128x128: enough tiles for every compute unit");
  } else if (4 * tiles_128 >= cu)
    /* Measured on the H100 before split K, at n = 1024 (64 large tiles for
     * 132 SMs): 30.8 TFLOPS, vs 29.5 for 128x64 tiles, 24.5 for 64x64 and
     * 17.0 for 128x128. */
    g590_plan_family(plan, &g590_regblock, &regblock_64x128,
                     "regblock 64x128: fewer 128x128 tiles than compute units");
  else
    g590_plan_family(plan, &g590_regblock, &regblock_64x64,
                     "regblock 64x64: small product");
  return true;
}

/* The float64 choice: the device's dgemm table entry where one is trained,
 * else these rules, with the float32 threshold. */
static bool select_f64(const g590_job *call, const g590_device_info *dev, g590_plan *plan,
                       char *why, size_t why_len) {
  int table = g590_table_select(call, dev, plan, why, why_len);
  if (table >= 0) return table == 1;
  double flops = 2.0 * (double)call->m * (double)call->n * (double)call->k;
  double threshold = g590_config_get()->min_device_flops;
  if (!dev->is_gpu)
    snprintf(why, why_len, "CPU OpenCL device: host BLAS is faster");
  else if (flops < threshold)
    snprintf(why, why_len, "below threshold (%.3g < %.3g flops)", flops, threshold);
  else if (dev->tensor_cores && dev->f64_mma_16x8x8 &&
           (double)((call->m + 127) / 128) * (double)((call->n + 127) / 128) >= dev->compute_units)
    g590_plan_family(plan, &g590_regblock, &regblock_f64_mma_async,
                     "regblock 128x128 float64 on tensor cores, cp.async");
  else if (dev->tensor_cores)
    g590_plan_family(plan, &g590_regblock, &regblock_f64_mma_128x64,
                     "regblock 128x64 float64 on tensor cores");
  else if (strstr(dev->vendor, "NVIDIA"))
    g590_plan_family(plan, &g590_regblock, &regblock_f64_nvidia, "regblock 64x128 in float64");
  else
    g590_plan_family(plan, &g590_regblock, &regblock_f64, "regblock 64x64 in float64");
  return dev->is_gpu && flops >= threshold;
}

/* syrk: regblock with square tiles (the pipeline reads op(B) from A's
 * padded buffer), half the flops of the gemm.  The device's ssyrk or dsyrk
 * table entry where one is trained, else these rules. */
static bool select_syrk(const g590_job *call, const g590_device_info *dev, g590_plan *plan,
                        char *why, size_t why_len) {
  int table = g590_table_select(call, dev, plan, why, why_len);
  if (table >= 0) return table == 1;
  double flops = (double)call->n * (double)call->n * (double)call->k;
  double threshold = g590_config_get()->min_device_flops;
  double cu = dev->compute_units ? dev->compute_units : 1;
  double tiles_128 = (double)((call->n + 127) / 128) * (double)((call->n + 127) / 128) / 2;
  bool nvidia = strstr(dev->vendor, "NVIDIA") != NULL;
  if (!dev->is_gpu) {
    snprintf(why, why_len, "CPU OpenCL device: host BLAS is faster");
    return false;
  }
  if (flops < threshold) {
    snprintf(why, why_len, "below threshold (%.3g < %.3g flops)", flops, threshold);
    return false;
  }
  if (call->type == G590_F64 && dev->tensor_cores)
    g590_plan_family(plan, &g590_regblock, &regblock_f64_mma_64,
                     "syrk: regblock 64x64 float64 on tensor cores");
  else if (call->type == G590_F64 && nvidia && tiles_128 >= cu)
    g590_plan_family(plan, &g590_regblock, &regblock_f64_nvidia_square,
                     "syrk: regblock 128x128 in float64");
  else if (call->type == G590_F64)
    g590_plan_family(plan, &g590_regblock, &regblock_f64, "syrk: regblock 64x64 in float64");
  else if (tiles_128 >= cu)
    g590_plan_family(plan, &g590_regblock, nvidia ? &nvidia_fast_tile : NULL,
                     "syrk: regblock 128x128 on the triangle's tiles");
  else
    g590_plan_family(plan, &g590_regblock, &regblock_64x64, "syrk: regblock 64x64, small product");
  return true;
}

/* Binary16 operands (gemm590_hgemm, the fp16 opt-in) on tensor cores,
 * wherever the float32 choice is a device kernel.  Measured on the H100
 * (bench/NOTES.md), TFLOPS at n = 1024 / 2048 / 4096 / 8192:
 *   128x256, K step 16 (254 registers, 1 group per SM)   36 / 108 / 121 / 122
 *   128x128, K step 32 (172 registers, the default)       53 /  99 / 104 / 103
 *   64x128, K step 32 (200 registers, 2 groups per SM)    84 / 101 / 104 / 104
 * Splitting K made 64x128 slower at 1024 (72 and 61 in 2 and 4 slices).
 * The end-to-end path cuts C into column panels by tile counts, so the
 * wide tile only where it leaves several panels of whole waves. */
static void select_tensor(const g590_job *call, const g590_device_info *dev, g590_plan *plan) {
  double cu = dev->compute_units ? dev->compute_units : 1;
  double wide = (double)((call->m + 127) / 128) * (double)((call->n + 255) / 256);
  double tiles_128 = (double)((call->m + 127) / 128) * (double)((call->n + 127) / 128);
  if (wide >= 4 * cu)
    g590_plan_family(plan, &g590_tensor_f16, &tensor_128x256,
                     "tensor_f16 128x256: binary16 operands on tensor cores");
  else if (tiles_128 >= cu)
    g590_plan_family(plan, &g590_tensor_f16, NULL,
                     "tensor_f16 128x128: binary16 operands on tensor cores");
  else
    g590_plan_family(plan, &g590_tensor_f16, &tensor_64x128,
                     "tensor_f16 64x128: binary16 operands on tensor cores");
}

bool g590_select(const g590_job *call, const g590_device_info *dev, g590_plan *plan, char *why,
                 size_t why_len) {
  const g590_config *cfg = g590_config_get();
  bool f64 = call->type == G590_F64, forced_plan = false;
  if (f64 && !dev->fp64) {
    snprintf(why, why_len, "float64: the device has no double precision");
    return false;
  }
  if (call->pick && call->pick->family) {
    g590_plan_family(plan, call->pick->family, &call->pick->params, call->pick_rule);
  } else if (call->pick) {
    snprintf(why, why_len, "%s", call->pick_rule ? call->pick_rule : "picked: host");
    return false;
  } else if (cfg->kernel) {
    /* "family" or "family:-Dname=value ...": the family's defaults, or
     * the given tunables.  Text the parser refuses, like a kernel that
     * fails to build, sends every call to the host. */
    g590_once(&forced_ready, &forced_once, forced_parse);
    if (forced_error) {
      if (!forced.family)
        snprintf(why, why_len, "GEMM590_KERNEL=%s is not a kernel family", cfg->kernel);
      else
        snprintf(why, why_len, "GEMM590_KERNEL=%s: %s", cfg->kernel, forced_error);
      return false;
    }
    g590_plan_family(plan, forced.family, &forced.params, "forced by GEMM590_KERNEL");
    forced_plan = true;
  } else if (call->op == G590_SYRK) {
    if (!select_syrk(call, dev, plan, why, why_len)) return false;
  } else if (f64) {
    if (!select_f64(call, dev, plan, why, why_len)) return false;
  } else if (!select_fp32(call, dev, plan, why, why_len)) {
    return false;
  } else if (call->fp16_ok && dev->tensor_cores) {
    select_tensor(call, dev, plan);
  } else if (call->tf32_ok && dev->tensor_cores && call->op == G590_GEMM) {
    double tiles_128 = (double)((call->m + 127) / 128) * (double)((call->n + 127) / 128);
    g590_plan_family(plan, &g590_regblock,
                     tiles_128 >= dev->compute_units ? &regblock_tf32 : &regblock_tf32_64,
                     "regblock TF32 on tensor cores (math mode tf32)");
  }
  if (f64 && !plan->family->float64) {
    snprintf(why, why_len, "%s does not serve float64", plan->family->name);
    return false;
  }
  /* regblock's tensor-core form in float32 rounds A and B to TF32: never
   * for a call that did not opt in, forced or not. */
  if (!f64 && plan->params.mma && !call->tf32_ok) {
    snprintf(why, why_len, "regblock -DMMA=1 on float32 is TF32: math mode tf32 only");
    return false;
  }
  if (!f64 && plan->params.mma >= 2) {
    snprintf(why, why_len, "regblock -DMMA=%d is float64 only", plan->params.mma);
    return false;
  }
  if (plan->params.async && !(f64 && plan->params.mma)) {
    snprintf(why, why_len, "regblock -DASYNC=1 is a form of the float64 tensor-core tiles");
    return false;
  }
  if (plan->params.swizzle && (!f64 || !plan->params.mma || plan->params.tm % 16 ||
                               plan->params.tn % 16 || (plan->params.async && plan->params.ks % 8))) {
    snprintf(why, why_len, "regblock -DSWIZZLE=1 is a form of the float64 tensor-core tiles, "
                           "TM and TN multiples of 16");
    return false;
  }
  /* A diagnostic that computes wrong results: never without its own opt-in. */
  if (plan->params.probe && !(getenv("GEMM590_PROBE") && !strcmp(getenv("GEMM590_PROBE"), "1"))) {
    snprintf(why, why_len, "regblock -DPROBE computes wrong results: GEMM590_PROBE=1 only");
    return false;
  }
  /* A forced kernel keeps what it names, so both forms stay measurable. */
  if (f64 && !forced_plan) f64_mma_form(&plan->params, dev);
  plan->f64 = f64;
  /* fp16 opt-in: a float32 kernel (tensor_f16 where tensor cores exist),
   * with A and B crossing the host link as binary16 (half their bytes) and
   * widened on the device.  The fp16_mixed kernel computes the same values,
   * but at a quarter of regblock's speed on the H100 (11 vs 46 TFLOPS); it
   * runs when forced.  A forced float32 family gets the binary16 link too.
   * tensor_f16 (float32 copies, binary16 inside) always does: the host's
   * conversion checks the range, and data binary16 cannot hold goes to
   * float32 (opted in) or to the host (forced). */
  /* syrk reads op(B) from A's buffer as it is: never the binary16 link. */
  plan->half_operands = !f64 && call->op == G590_GEMM && plan->family->operand_bytes == 4 &&
                        (call->fp16_ok || plan->family->lowers_precision);
  return true;
}

static double select_floor(const g590_device_info *dev) {
  const g590_config *cfg = g590_config_get();
  if (cfg->kernel) return 0; /* forced: the device takes every call it can */
  /* The rules: CPU devices never, GPUs from the threshold. */
  double rules = dev->is_gpu ? cfg->min_device_flops / 2 : INFINITY;
  /* The smallest product any routine's entry (or the rules, for a routine
   * without one) sends to the device. */
  double floor = INFINITY;
  for (int i = 0; i < G590_ROUTINES; i++) {
    const g590_routine *r = &g590_routines[i];
    if (r->type == G590_F64 && !dev->fp64) continue;
    const g590_table_entry *t =
        cfg->min_device_flops_set ? NULL : g590_table_find_routine(dev, r->type, r->op);
    bool rules_decide = true;
    double f = t ? g590_table_device_floor(t, dev, &rules_decide) : rules;
    floor = fmin(floor, rules_decide ? fmin(f, rules) : f);
  }
  return floor;
}

double g590_select_floor(const g590_device_info *dev) {
  double floor = select_floor(dev);
  /* Learning (lib/core/adapt.c) tries the device on every class it explores. */
  return g590_adapt_enabled(dev) ? fmin(floor, G590_ADAPT_MIN_FLOPS / 2) : floor;
}

bool g590_plan_serves(g590_plan *plan, g590_type type, g590_op op) {
  const g590_family *f = plan->family;
  plan->f64 = type == G590_F64;
  if (plan->f64 && !f->float64) return false;
  return op != G590_SYRK ||
         (f->syrk && plan->tile[0] == plan->tile[1] && plan->splits == 1);
}

/* Adds `c` to the candidates unless it is there already or cannot serve the call. */
static void add_candidate(const g590_job *call, const g590_device_info *dev, const g590_family *f,
                          const g590_params *p, g590_choice *out, int *n, int max) {
  g590_choice c = {.family = f};
  if (f) {
    g590_plan plan;
    g590_plan_family(&plan, f, p, "");
    if (call->type == G590_F64) f64_mma_form(&plan.params, dev);
    c.params = plan.params;
    if (!g590_plan_serves(&plan, call->type, call->op) || !g590_plan_fits(&plan, dev)) return;
  }
  for (int i = 0; i < *n; i++)
    if (out[i].family == c.family && (!f || g590_params_equal(&out[i].params, &c.params))) return;
  if (*n < max) out[(*n)++] = c;
}

int g590_select_candidates(const g590_job *call, const g590_device_info *dev, g590_choice *out,
                           int max) {
  int n = 0;
  g590_job plain = *call;
  plain.pick = NULL;
  g590_plan plan;
  char why[192];
  bool device = g590_select(&plain, dev, &plan, why, sizeof why);
  add_candidate(call, dev, device ? plan.family : NULL, device ? &plan.params : NULL, out, &n, max);
  if (call->type == G590_F64 && !dev->fp64) return n;
  bool nvidia = strstr(dev->vendor, "NVIDIA") != NULL;
  bool tensor = (call->fp16_ok || call->type == G590_F16) && dev->tensor_cores &&
                call->op == G590_GEMM;
  if (call->type == G590_F64) {
    if (dev->tensor_cores) {
      add_candidate(call, dev, &g590_regblock, &regblock_f64_mma_async, out, &n, max);
      add_candidate(call, dev, &g590_regblock, &regblock_f64_mma_128x64, out, &n, max);
      add_candidate(call, dev, &g590_regblock, &regblock_f64_mma, out, &n, max);
      add_candidate(call, dev, &g590_regblock, &regblock_f64_mma_64, out, &n, max);
    }
    add_candidate(call, dev, &g590_regblock, &regblock_f64, out, &n, max);
    if (nvidia) add_candidate(call, dev, &g590_regblock, &regblock_f64_nvidia, out, &n, max);
    if (nvidia) add_candidate(call, dev, &g590_regblock, &regblock_f64_nvidia_square, out, &n, max);
  } else if (call->tf32_ok && dev->tensor_cores && call->op == G590_GEMM) {
    add_candidate(call, dev, &g590_regblock, &regblock_tf32, out, &n, max);
    add_candidate(call, dev, &g590_regblock, &regblock_tf32_64, out, &n, max);
  } else if (tensor) {
    add_candidate(call, dev, &g590_tensor_f16, &tensor_128x256, out, &n, max);
    add_candidate(call, dev, &g590_tensor_f16, &g590_tensor_f16.defaults, out, &n, max);
    add_candidate(call, dev, &g590_tensor_f16, &tensor_64x128, out, &n, max);
  } else {
    add_candidate(call, dev, &g590_regblock, nvidia ? &nvidia_fast_tile : &g590_regblock.defaults,
                  out, &n, max);
    add_candidate(call, dev, &g590_regblock, &regblock_64x128, out, &n, max);
    add_candidate(call, dev, &g590_regblock, &regblock_64x64, out, &n, max);
  }
  /* Split K on the selector's own tile, twice the slices it chose, where
   * K is deep enough for each slice. */
  if (device && call->op == G590_GEMM && plan.family == &g590_regblock) {
    g590_params split = plan.params;
    split.splitk = 2 * (plan.splits > 1 ? plan.splits : 1);
    if (split.splitk <= 4 && call->k >= 256 * split.splitk)
      add_candidate(call, dev, &g590_regblock, &split, out, &n, max);
  }
  add_candidate(call, dev, NULL, NULL, out, &n, max);
  return n;
}
