/* The decision table: for one device and one shape, which kernel family
 * with which parameters, or the host BLAS.
 *
 * Tables are trained offline (tuning/train.py) from the tuner's
 * measurements (tuning/gemm590-tune) and compiled in
 * (lib/core/tables_generated.c).  A user table file, written by
 * `train.py --emit-text`, is read from GEMM590_TABLE or
 * <cache dir>/table.txt and consulted before the embedded tables.
 *
 * Each entry is a depth-limited decision tree over M, N, K, M*N*K and the
 * transposes of the normalised (column-major) call, stored as a flat node
 * array: node 0 is the root, every child index is larger than its
 * parent's, so a walk always ends. */
#ifndef G590_TABLE_H
#define G590_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "g590.h"
#include "families.h"

/* How an entry is matched to a device, most specific first. */
typedef enum {
  G590_MATCH_NAME = 0,   /* exact device name (see g590_table_find) */
  G590_MATCH_VENDOR = 1, /* vendor string and device type */
  G590_MATCH_TYPE = 2,   /* generic entry for a device type */
} g590_table_match;

typedef enum { G590_TYPE_GPU = 0, G590_TYPE_CPU = 1 } g590_table_type;

/* A routine a table entry decides, by the name table files, the tuner's
 * --routine and its CSV use: sgemm (binary16 calls follow it too), dgemm,
 * ssyrk, dsyrk. */
typedef struct g590_routine {
  const char *name;
  g590_type type;
  g590_op op;
} g590_routine;
enum { G590_ROUTINES = 4 };
extern const g590_routine g590_routines[G590_ROUTINES]; /* sgemm first */
/* The routine called `name`, or NULL. */
const g590_routine *g590_routine_find(const char *name);

/* Tree features: the sizes and their product compare as integers, the
 * transposes as 0/1.  The product M*N*K (half the flops) lets one split
 * draw the host/device line that separate splits on M, N and K could only
 * approximate as a staircase. */
typedef enum {
  G590_FEATURE_LEAF = -1,
  G590_FEATURE_M = 0,
  G590_FEATURE_N = 1,
  G590_FEATURE_K = 2,
  G590_FEATURE_TA = 3,
  G590_FEATURE_TB = 4,
  G590_FEATURE_MNK = 5,
  G590_FEATURES = 6
} g590_table_feature;

/* Inner node: go to `left` when feature <= `le`, else to `right`.
 * Leaf (feature G590_FEATURE_LEAF): run choices[choice]. */
typedef struct g590_table_node {
  int8_t feature;
  int64_t le;
  int16_t left, right;
  int16_t choice;
} g590_table_node;

/* A leaf's choice: a family with its tunables, or (family NULL) the
 * host BLAS. */
typedef g590_choice g590_table_choice;

typedef struct g590_table_entry {
  const char *id;          /* short name for logs, e.g. "h100", "generic-gpu" */
  g590_table_match match;
  const char *key;         /* device name (NAME) or vendor (VENDOR); unused for TYPE */
  g590_table_type type;
  /* False when the data behind the entry had no host timings (the RX 590
   * seed): the host/device split is then GEMM590_MIN_DEVICE_FLOPS. */
  bool host_measured;
  const g590_table_choice *choices;
  int n_choices;
  const g590_table_node *nodes;
  int n_nodes;
  /* The routine it decides: sgemm (G590_F32, G590_GEMM; binary16 calls
   * use it too), dgemm, ssyrk or dsyrk.  A routine without an entry for
   * the device is decided by the rules (lib/core/select.c). */
  g590_type data_type;
  g590_op op;
} g590_table_entry;

/* The embedded tables (lib/core/tables_generated.c). */
extern const g590_table_entry g590_embedded_tables[];
extern const int g590_embedded_table_count;

/* The entry that serves `dev`: the user table file's entries first, then
 * the embedded ones; within each, exact name, then vendor + type, then
 * type.  Names match exactly, except that a trailing " (...)" (Mesa puts
 * kernel and DRM versions there) is ignored on both sides.  NULL when
 * none matches or GEMM590_TABLE=off.  Entries of the file have ids
 * starting "user:". */
const g590_table_entry *g590_table_find(const g590_device_info *dev);
/* The same for one routine's entries (g590_table_find: sgemm's). */
const g590_table_entry *g590_table_find_routine(const g590_device_info *dev, g590_type type,
                                                g590_op op);


/* Frees the user table file's entries (a rejected file; unload, lib/unload.c). */
void g590_table_release(void);

/* The user table file that was loaded, or NULL (none, off, or rejected);
 * its entries in *entries, *count (either may be NULL). */
const char *g590_table_file(const g590_table_entry **entries, int *count);

/* Walks `t` for the call's shape; returns the leaf's node index.  When
 * `rule` is given, writes "table <id>, leaf <n>: <conditions>". */
int g590_table_leaf(const g590_table_entry *t, const g590_job *call, char *rule,
                    size_t rule_len);

/* Describes the path from the root to node `leaf` ("M<=724 K>2896 ta=1")
 * into buf. */
void g590_table_describe(const g590_table_entry *t, int leaf, char *buf, size_t len);

/* The selector's table step.  Returns 1 with `plan` filled (device),
 * 0 with `why` filled (host), or -1 when no table decides: no entry for
 * the device, GEMM590_TABLE=off, GEMM590_MIN_DEVICE_FLOPS set (the user
 * chose the rule-based split), or the chosen parameters exceed the
 * device's work-group or local-memory limits. */
int g590_table_select(const g590_job *call, const g590_device_info *dev, g590_plan *plan,
                      char *why, size_t why_len);

/* The smallest M*N*K (half the flops) for which entry `t` runs a kernel
 * on `dev`; INFINITY when it never does.  *rules_decide is set when some
 * of its device leaves would defer to the rules (lib/core/select.c). */
double g590_table_device_floor(const g590_table_entry *t, const g590_device_info *dev,
                               bool *rules_decide);

#endif
