/* Kernel families as data (lib/core/families.c): each family's kernel source,
 * typed tunables and their defaults, the element size it serves, and how
 * its work sizes and local memory follow from its tunables; plans, and
 * the device facts they are checked against. */
#ifndef G590_FAMILIES_H
#define G590_FAMILIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct g590_device_info {
  bool is_gpu;
  bool is_cpu;
  char name[256];
  char vendor[128];
  char driver[128];
  size_t max_work_group;
  uint64_t local_mem;   /* bytes */
  uint64_t max_alloc;   /* bytes, largest single buffer */
  uint64_t global_mem;  /* bytes */
  unsigned compute_units;
  bool tensor_cores;    /* NVIDIA, compute capability 8.0 or later: tensor_f16 runs */
  bool f64_mma_16x8x8;  /* NVIDIA, 9.0 or later: mma.sync m16n8k8 .f64 (regblock -DMMA=2) */
  bool fp64;            /* double precision (cl_khr_fp64): float64 jobs can run */
} g590_device_info;

/* A family's tunables.  0 means "not given": the option is left out of
 * the kernel's build options, so the kernel's own #ifndef default applies
 * (always the family's default below, which the host's work sizes then
 * use).  Each family takes only some of them (g590_params_parse). */
typedef struct g590_params {
  int emulate_mma;      /* -DEMULATE_MMA=1: tensor_f16's mma emulated (tests off NVIDIA) */
  int wg;               /* -DWG: the 2x2 families' WG x WG work-group, 2WG x 2WG tile */
  int tm, tn;           /* -DTM, -DTN: rows and columns of C per work-group */
  int ks;               /* -DKS: the K step (depth of one local-memory slab) */
  int wm, wn;           /* -DWM, -DWN: regblock's rows and columns per work-item */
  int warps_m, warps_n; /* -DWARPS_M, -DWARPS_N: tensor_f16's warps per tile */
  int no_reqd_wg;       /* -DNO_REQD_WG=1: no reqd_work_group_size (NVIDIA runs faster) */
  int maxrregcount;     /* -cl-nv-maxrregcount: NVIDIA's register cap per item */
  int splitk;           /* -DSPLITK: K cut into this many slices, summed after */
  int mma;              /* -DMMA=1: regblock on the tensor cores (WARPS_M x WARPS_N warps); 2, 3: float64 m16n8k8, m16n8k16 */
  int async;            /* -DASYNC=1: regblock float64 MMA tiles loaded by cp.async */
  int stages;           /* -DSTAGES: K steps in flight with ASYNC (default 3) */
  int swizzle;          /* -DSWIZZLE=1: regblock float64 MMA tiles unpadded, swizzled */
  int probe;            /* -DPROBE=1|2: regblock diagnostic, wrong results (GEMM590_PROBE=1) */
} g590_params;

typedef struct g590_family {
  const char *name;       /* as GEMM590_KERNEL, tables and logs name it */
  const char *source;     /* kernels/<source>.cl, kernel gemm590_<source> */
  int operand_bytes;      /* 4 (float) or 2 (binary16) on the device */
  bool lowers_precision;  /* never chosen for cblas_sgemm unless opted in or forced */
  bool padded;            /* operands zero-padded to whole tiles; no bounds checks inside */
  unsigned tunables;      /* which g590_params it takes (one bit each, lib/core/families.c) */
  g590_params defaults;   /* what runs when only the family is named */
  /* Work-group shape, and the tile per work-group: tile[0] rows and
   * tile[1] columns of C, tile[2] the padding unit of K (the K step,
   * times the slices of split K), for complete tunables (no zeros). */
  void (*geometry)(const g590_params *p, size_t local[2], size_t tile[3]);
  /* Local memory the kernel declares, in bytes (mirrors the __local
   * arrays in kernels/<source>.cl), for complete tunables. */
  size_t (*local_bytes)(const g590_params *p);
  /* Also serves float64 jobs, built with -DREAL_DOUBLE=1 (its arithmetic,
   * operands and local tiles in double: twice the local bytes). */
  bool float64;
  /* Serves syrk and operands sent in K slices: takes the col0 argument
   * (the launch's first column of op(B)), a_off and b_off (where op(A)
   * and op(B) start in their buffers) and -DSYRK_UPPER / -DSYRK_LOWER. */
  bool syrk;
} g590_family;

/* Every family, NULL-terminated, and each by name for code that means
 * one (the selector's rules, the tuner, the generated tables). */
extern const g590_family *const g590_families[];
extern const g590_family g590_tile20_v3, g590_tile24, g590_fp16_mixed, g590_regblock,
    g590_tensor_f16;
/* The family a user's text names, or NULL. */
const g590_family *g590_family_find(const char *name);

/* What runs: a family with its tunables; family NULL is the host BLAS
 * (table leaves only). */
typedef struct g590_choice {
  const g590_family *family;
  g590_params params;
} g590_choice;

/* Longest option text accepted or rendered, terminator included. */
enum { G590_OPTIONS_MAX = 160 };

/* The one parser of tunables: "-DNAME=value ..." (and
 * -cl-nv-maxrregcount=N) into *out, for family f.  Only options f takes,
 * each at most once, with a decimal value in its range; NULL on success,
 * else what is wrong (then *out is unspecified).  Empty text gives no
 * tunables (all the kernel's defaults). */
const char *g590_params_parse(const g590_family *f, const char *text, g590_params *out);

/* "family" (its defaults) or "family<sep>options": GEMM590_KERNEL and
 * the tools' family lists.  NULL on success; else the error, with
 * out->family NULL when the family is unknown. */
const char *g590_choice_parse(const char *text, char sep, g590_choice *out);

/* Renders tunables as build options, in one fixed order ("-DTM=128
 * -DTN=128 -DKS=8 -DWM=8 -DWN=8"): the text g590_params_parse reads back. */
void g590_params_options(const g590_params *p, char *out, size_t len);
bool g590_params_equal(const g590_params *a, const g590_params *b);

typedef struct g590_plan {
  const g590_family *family;
  g590_params params;     /* as chosen: 0 = not given (see g590_params) */
  size_t local[2];
  size_t tile[3];
  int splits;             /* split K into this many slices (params.splitk, at least 1) */
  const char *rule;       /* why this choice, for the verbose line */
  char rule_buf[96];      /* where a table's rule is formatted (rule points here) */
  bool half_operands;     /* float32 family, A and B sent as binary16 (fp16 opt-in) */
  bool f64;               /* a float64 job: the family built with -DREAL_DOUBLE=1 */
} g590_plan;

/* A plan for `f` with the given tunables (NULL: the family's defaults). */
void g590_plan_family(g590_plan *plan, const g590_family *f, const g590_params *params,
                      const char *rule);

/* The plan's tunables as the build options of its kernel ("-DTM=128 ..."),
 * also the verbose line's params="..." (the pipeline adds the options of
 * the call: transposes, beta = 0, binary16 C). */
void g590_plan_options(const g590_plan *plan, char *out, size_t len);

/* Local memory a plan's kernel declares, in bytes. */
size_t g590_plan_local_bytes(const g590_plan *plan);

/* True when `plan` fits the device's work-group and local-memory limits. */
bool g590_plan_fits(const g590_plan *plan, const g590_device_info *dev);

#endif
