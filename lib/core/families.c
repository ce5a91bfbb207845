/* The kernel families as data: each one's source, tunables, defaults,
 * work sizes and local memory; the one parser of tunables from text and
 * the one renderer of build options; plans and whether they fit a
 * device.  Shared by the selector (lib/core/select.c), the decision table
 * (lib/core/table.c), the device pipeline and the tools. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "families.h"

/* ---- tunables ---- */

/* One bit per tunable in g590_family.tunables, in rendering order. */
enum {
  P_EMULATE_MMA,
  P_WG,
  P_TM,
  P_TN,
  P_KS,
  P_WM,
  P_WN,
  P_WARPS_M,
  P_WARPS_N,
  P_NO_REQD_WG,
  P_MAXRREGCOUNT,
  P_SPLITK,
  P_MMA,
  P_ASYNC,
  P_STAGES,
  P_SWIZZLE,
  P_PROBE,
  P_COUNT
};
#define BIT(p) (1u << (p))

/* Each tunable's option (up to and including '='), field and range.  The
 * order is the one every option string of the project already used (the
 * defaults, the rules, the tuner, the tables), so rendering gives back
 * the same text.  The ranges are far beyond what any device runs (the
 * work-group and local-memory checks reject the rest), and keep the
 * host's size arithmetic far from overflow; the flags take 1 only, since
 * the kernels test NO_REQD_WG with #ifdef (=0 would still define it). */
static const struct tunable {
  const char *option;
  size_t offset;
  int min, max;
} tunables[P_COUNT] = {
    [P_EMULATE_MMA] = {"-DEMULATE_MMA=", offsetof(g590_params, emulate_mma), 1, 1},
    [P_WG] = {"-DWG=", offsetof(g590_params, wg), 1, 1024},
    [P_TM] = {"-DTM=", offsetof(g590_params, tm), 1, 1024},
    [P_TN] = {"-DTN=", offsetof(g590_params, tn), 1, 1024},
    [P_KS] = {"-DKS=", offsetof(g590_params, ks), 1, 1024},
    [P_WM] = {"-DWM=", offsetof(g590_params, wm), 1, 1024},
    [P_WN] = {"-DWN=", offsetof(g590_params, wn), 1, 1024},
    [P_WARPS_M] = {"-DWARPS_M=", offsetof(g590_params, warps_m), 1, 1024},
    [P_WARPS_N] = {"-DWARPS_N=", offsetof(g590_params, warps_n), 1, 1024},
    [P_NO_REQD_WG] = {"-DNO_REQD_WG=", offsetof(g590_params, no_reqd_wg), 1, 1},
    [P_MAXRREGCOUNT] = {"-cl-nv-maxrregcount=", offsetof(g590_params, maxrregcount), 1, 255},
    [P_SPLITK] = {"-DSPLITK=", offsetof(g590_params, splitk), 1, 16},
    [P_MMA] = {"-DMMA=", offsetof(g590_params, mma), 1, 3},
    [P_ASYNC] = {"-DASYNC=", offsetof(g590_params, async), 1, 1},
    [P_STAGES] = {"-DSTAGES=", offsetof(g590_params, stages), 2, 4},
    [P_SWIZZLE] = {"-DSWIZZLE=", offsetof(g590_params, swizzle), 1, 1},
    [P_PROBE] = {"-DPROBE=", offsetof(g590_params, probe), 1, 2},
};

static int *field(g590_params *p, int t) { return (int *)((char *)p + tunables[t].offset); }
static int value(const g590_params *p, int t) {
  return *(const int *)((const char *)p + tunables[t].offset);
}

const char *g590_params_parse(const g590_family *f, const char *text, g590_params *out) {
  memset(out, 0, sizeof *out);
  if (strlen(text) >= G590_OPTIONS_MAX) return "parameters too long";
  for (const char *s = text;;) {
    while (*s == ' ') s++;
    if (!*s) return NULL;
    size_t len = strcspn(s, " ");
    const char *eq = memchr(s, '=', len);
    if (!eq) return "parameters: expected -DNAME=value";
    size_t name_len = (size_t)(eq - s) + 1;
    int t = 0;
    while (t < P_COUNT && !(strlen(tunables[t].option) == name_len &&
                            strncmp(tunables[t].option, s, name_len) == 0))
      t++;
    if (t == P_COUNT) return "parameters: unknown name";
    if (!(f->tunables & BIT(t))) return "parameters: a name this family does not take";
    if (*field(out, t)) return "parameters: a name given twice";
    /* Decimal digits only: what the kernel's preprocessor and the host's
     * work sizes would both read as the same number. */
    long v = 0;
    const char *d = eq + 1;
    if (d == s + len) return "parameters: a name without a value";
    /* A leading zero would make it octal to the preprocessor. */
    if (*d == '0' && d + 1 < s + len) return "parameters: a value with a leading zero";
    for (; d < s + len; d++) {
      if (*d < '0' || *d > '9') return "parameters: a value that is not a decimal number";
      v = v * 10 + (*d - '0');
      if (v > tunables[t].max) break;
    }
    if (v < tunables[t].min || v > tunables[t].max) return "parameters: a value out of range";
    *field(out, t) = (int)v;
    s += len;
  }
}

void g590_params_options(const g590_params *p, char *out, size_t len) {
  size_t used = 0;
  if (len) out[0] = '\0';
  for (int t = 0; t < P_COUNT && used < len; t++) {
    if (!value(p, t)) continue;
    int w = snprintf(out + used, len - used, "%s%s%d", used ? " " : "", tunables[t].option,
                     value(p, t));
    used += w > 0 ? (size_t)w : 0;
  }
}

bool g590_params_equal(const g590_params *a, const g590_params *b) {
  for (int t = 0; t < P_COUNT; t++)
    if (value(a, t) != value(b, t)) return false;
  return true;
}

/* ---- the families ---- */

/* The seed families: a WG x WG work-group computing a 2WG x 2WG tile. */
static void square_2x2_geometry(const g590_params *p, size_t local[2], size_t tile[3]) {
  local[0] = local[1] = (size_t)p->wg;
  tile[0] = tile[1] = 2 * (size_t)p->wg;
  tile[2] = (size_t)p->ks;
}

/* As and Bs: KS rows of 2 WG elements plus padding (one float; two
 * binary16 for fp16_mixed, keeping rows 4-byte aligned). */
static size_t square_2x2_local_bytes(const g590_params *p) {
  return 2 * (size_t)p->ks * (2 * (size_t)p->wg + 1) * sizeof(float);
}
static size_t square_2x2_half_local_bytes(const g590_params *p) {
  return 2 * (size_t)p->ks * (2 * (size_t)p->wg + 2) * sizeof(uint16_t);
}

/* regblock: a 1-D work-group of (TM/WM)*(TN/WN) items per TM x TN tile
 * (with -DMMA=1, WARPS_M x WARPS_N warps); with split K each slice takes
 * a whole number of K steps.  WM > TM, or MMA without warps, gives an
 * empty work-group, which g590_plan_fits rejects. */
static void regblock_geometry(const g590_params *p, size_t local[2], size_t tile[3]) {
  local[0] = p->mma ? 32 * (size_t)p->warps_m * (size_t)p->warps_n
                    : (size_t)((p->tm / p->wm) * (p->tn / p->wn));
  local[1] = 1;
  tile[0] = (size_t)p->tm;
  tile[1] = (size_t)p->tn;
  tile[2] = (size_t)p->ks * (size_t)p->splitk;
}

/* As4/Bs4: two K steps of (TM + 4) and (TN + 4) floats per k.  With
 * -DASYNC=1, STAGES (default 3) K steps, and an operand whose K index is
 * contiguous is kept TM (TN) rows of KS + 4: the larger of the two.  No
 * padding (the + 4) with -DSWIZZLE=1. */
static size_t regblock_local_bytes(const g590_params *p) {
  size_t tm = (size_t)p->tm, tn = (size_t)p->tn, ks = (size_t)p->ks, pad = p->swizzle ? 0 : 4;
  if (!p->async) return 2 * ks * (tm + pad + tn + pad) * sizeof(float);
  size_t a = ks * tm + pad * (tm > ks ? tm : ks), b = ks * tn + pad * (tn > ks ? tn : ks);
  return (size_t)(p->stages ? p->stages : 3) * (a + b) * sizeof(float);
}

/* tensor_f16: WARPS_M x WARPS_N warps of 32 items per TM x TN tile. */
static void tensor_geometry(const g590_params *p, size_t local[2], size_t tile[3]) {
  local[0] = 32 * (size_t)p->warps_m * (size_t)p->warps_n;
  local[1] = 1;
  tile[0] = (size_t)p->tm;
  tile[1] = (size_t)p->tn;
  tile[2] = (size_t)p->ks * (size_t)p->splitk;
}

/* As2/Bs2: two K steps of TM and TN rows of KS/2 + 4 words of binary16
 * pairs. */
static size_t tensor_local_bytes(const g590_params *p) {
  return 2 * ((size_t)p->tm + (size_t)p->tn) * ((size_t)p->ks / 2 + 4) * sizeof(uint32_t);
}

#define SQUARE_2X2 (BIT(P_WG) | BIT(P_KS))

const g590_family g590_tile20_v3 = {
    "tile20_v3", "tile20_v3", 4, false, false, SQUARE_2X2, {.wg = 10, .ks = 20},
    square_2x2_geometry, square_2x2_local_bytes, false, false};
const g590_family g590_tile24 = {
    "tile24", "tile24", 4, false, false, SQUARE_2X2, {.wg = 12, .ks = 16},
    square_2x2_geometry, square_2x2_local_bytes, false, false};
const g590_family g590_fp16_mixed = {
    "fp16_mixed", "fp16_mixed", 2, true, false, SQUARE_2X2, {.wg = 16, .ks = 16},
    square_2x2_geometry, square_2x2_half_local_bytes, false, false};
const g590_family g590_regblock = {
    "regblock", "regblock", 4, false, true,
    BIT(P_TM) | BIT(P_TN) | BIT(P_KS) | BIT(P_WM) | BIT(P_WN) | BIT(P_NO_REQD_WG) |
        BIT(P_MAXRREGCOUNT) | BIT(P_SPLITK) | BIT(P_MMA) | BIT(P_WARPS_M) | BIT(P_WARPS_N) |
        BIT(P_EMULATE_MMA) | BIT(P_ASYNC) | BIT(P_STAGES) | BIT(P_SWIZZLE) | BIT(P_PROBE),
    {.tm = 128, .tn = 128, .ks = 8, .wm = 8, .wn = 8},
    regblock_geometry, regblock_local_bytes, true, true};
/* Reads float32 copies that binary16 holds exactly (lowers precision of
 * any other input): gemm590_hgemm and the fp16 opt-in only. */
const g590_family g590_tensor_f16 = {
    "tensor_f16", "tensor_f16", 4, true, true,
    BIT(P_EMULATE_MMA) | BIT(P_TM) | BIT(P_TN) | BIT(P_KS) | BIT(P_WARPS_M) | BIT(P_WARPS_N) |
        BIT(P_NO_REQD_WG) | BIT(P_MAXRREGCOUNT) | BIT(P_SPLITK),
    {.tm = 128, .tn = 128, .ks = 32, .warps_m = 2, .warps_n = 4},
    tensor_geometry, tensor_local_bytes, false, false};

const g590_family *const g590_families[] = {&g590_tile20_v3, &g590_tile24,     &g590_fp16_mixed,
                                            &g590_regblock,  &g590_tensor_f16, NULL};

const g590_family *g590_family_find(const char *name) {
  for (int i = 0; g590_families[i]; i++)
    if (strcmp(g590_families[i]->name, name) == 0) return g590_families[i];
  return NULL;
}

const char *g590_choice_parse(const char *text, char sep, g590_choice *out) {
  const char *end = strchr(text, sep);
  size_t len = end ? (size_t)(end - text) : strlen(text);
  out->family = NULL;
  for (int i = 0; g590_families[i]; i++)
    if (strlen(g590_families[i]->name) == len && strncmp(g590_families[i]->name, text, len) == 0)
      out->family = g590_families[i];
  if (!out->family) return "not a kernel family";
  if (!end) {
    out->params = out->family->defaults;
    return NULL;
  }
  return g590_params_parse(out->family, end + 1, &out->params);
}

/* ---- plans ---- */

/* The tunables the kernel compiles with: the given ones, the family's
 * defaults (its kernel's #ifndef values) for the others, one slice of K
 * unless split. */
static g590_params complete(const g590_family *f, const g590_params *p) {
  g590_params c = *p;
  for (int t = 0; t < P_COUNT; t++)
    if (!value(&c, t)) *field(&c, t) = value(&f->defaults, t);
  if (!c.splitk) c.splitk = 1;
  return c;
}

void g590_plan_family(g590_plan *plan, const g590_family *f, const g590_params *params,
                      const char *rule) {
  plan->family = f;
  plan->params = params ? *params : f->defaults;
  g590_params c = complete(f, &plan->params);
  f->geometry(&c, plan->local, plan->tile);
  plan->splits = c.splitk;
  plan->rule = rule;
  plan->half_operands = false;
  plan->f64 = false;
}

void g590_plan_options(const g590_plan *plan, char *out, size_t len) {
  g590_params_options(&plan->params, out, len);
}

size_t g590_plan_local_bytes(const g590_plan *plan) {
  g590_params c = complete(plan->family, &plan->params);
  return plan->family->local_bytes(&c) * (plan->f64 ? 2 : 1);
}

bool g590_plan_fits(const g590_plan *plan, const g590_device_info *dev) {
  size_t items = plan->local[0] * plan->local[1];
  return items >= 1 && items <= dev->max_work_group &&
         g590_plan_local_bytes(plan) <= dev->local_mem;
}
