/* Kernel families, plans and the device facts they are checked against
 * (lib/families.c). */
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
} g590_device_info;

typedef struct g590_family {
  const char *name;       /* kernels/<name>.cl, kernel gemm590_<name> */
  int operand_bytes;      /* 4 (float) or 2 (binary16) on the device */
  bool lowers_precision;  /* never chosen for cblas_sgemm unless opted in or forced */
  bool padded;            /* operands zero-padded to whole tiles; no bounds checks inside */
  const char *defaults;   /* default tunables as -D options */
  /* Work-group shape, and the tile per work-group: tile[0] rows and
   * tile[1] columns of C, tile[2] the padding unit of K (the K step,
   * times the slices of split K). */
  void (*geometry)(const char *defines, size_t local[2], size_t tile[3]);
} g590_family;

typedef struct g590_plan {
  const g590_family *family;
  char defines[160];      /* tunables, e.g. "-DWG=12 -DKS=16" */
  size_t local[2];
  size_t tile[3];
  int splits;             /* split K into this many slices (regblock -DSPLITK) */
  const char *rule;       /* why this choice, for the verbose line */
  char rule_buf[96];      /* where a table's rule is formatted (rule points here) */
  bool half_operands;     /* float32 family, A and B sent as binary16 (fp16 opt-in) */
} g590_plan;

/* Every family, NULL-terminated. */
extern const g590_family *const g590_families[];
const g590_family *g590_family_find(const char *name);

/* A plan for `f` with the given tunables (NULL: the family's defaults). */
void g590_plan_family(g590_plan *plan, const g590_family *f, const char *defines,
                      const char *rule);

/* The two families the rules name (lib/select.c). */
extern const g590_family g590_regblock, g590_tensor_f16;

/* The plan's tunables as the build options of its kernel ("-DTM=128 ..."),
 * also the verbose line's params="..." (the pipeline adds the options of
 * the call: transposes, beta = 0, binary16 C). */
void g590_plan_options(const g590_plan *plan, char *out, size_t len);

/* Local memory a plan's kernel declares, in bytes (mirrors the __local
 * arrays in kernels/<family>.cl). */
size_t g590_plan_local_bytes(const g590_plan *plan);

/* True when `plan` fits the device's work-group and local-memory limits. */
bool g590_plan_fits(const g590_plan *plan, const g590_device_info *dev);

#endif
