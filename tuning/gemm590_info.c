/* gemm590-info: what libgemm590 sees and would do (`gemm590-info --help`).
 *
 * Prints the OpenCL platforms and devices, each with the decision-table
 * entry that would serve it, the device libgemm590 would use
 * (GEMM590_DEVICE applies), the entry that serves it and whether that
 * entry decides (or why not), and, for a shape given as in a column-major
 * call, which path and kernel would run and why.  --table prints every
 * entry leaf by leaf, each leaf's condition in words; --learned what the
 * online choice learned for the device, --forget removes it. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapt.h"
#include "cl_engine.h"
#include "cli.h"
#include "gemm590.h"
#include "table.h"

enum { MAX_LISTED = 64, OPT_TABLE = 0x200, OPT_FP16, OPT_LEARNED, OPT_FORGET };

static const char help[] =
    "usage: gemm590-info [OPTION]... [M N K [TA TB]]\n"
    "What libgemm590 sees and would do: the OpenCL devices, each with the decision-table\n"
    "entry that would serve it; the device libgemm590 uses (GEMM590_DEVICE applies); the\n"
    "table entry that decides for it, or why none does; and for a shape M N K (sizes of a\n"
    "column-major call, 1 to 2147483647; TA, TB: N or T, default N N) which path and\n"
    "kernel would run and why.\n"
    "\n"
    "  --table               print every table entry (the user file's, then the embedded ones)\n"
    "                        leaf by leaf, each leaf's condition in words; * marks the entry of\n"
    "                        libgemm590's device, + the entry of another listed device\n"
    "  --fp16                the shape with binary16 operands (gemm590_hgemm, or cblas_sgemm\n"
    "                        with the fp16 opt-in)\n"
    "  --learned             what the online choice (GEMM590_ADAPT) learned for the device:\n"
    "                        one line per shape class, its chosen path and its time in ms,\n"
    "                        then each path tried with its best time (path@ms|...)\n"
    "  --forget              remove what was learned for the device (its file in the cache\n"
    "                        directory); later processes learn again\n"
    CLI_STANDARD_HELP
    "Exit status: 0, 1 when --forget fails, or 2 for a bad command line.\n";

static const struct option long_options[] = {{"table", no_argument, NULL, OPT_TABLE},
                                             {"fp16", no_argument, NULL, OPT_FP16},
                                             {"learned", no_argument, NULL, OPT_LEARNED},
                                             {"forget", no_argument, NULL, OPT_FORGET},
                                             CLI_STANDARD_OPTIONS};
static const cli info_cli = {"gemm590-info", help, "h", long_options};

static const char *const match_names[] = {"device name", "vendor and type", "device type"};

/* An OpenCL device as listed, and the entry that would serve it. */
typedef struct listed {
  unsigned platform, device;
  char name[256];
  const g590_table_entry *entry;
} listed;

/* What this machine and the environment make of the tables. */
typedef struct world {
  g590_engine *e;                  /* NULL: no usable device */
  char engine_why[192];            /* why e is NULL */
  const g590_table_entry *entry;   /* the entry of e's device, or NULL */
  const char *off;                 /* why `entry` decides nothing; NULL when it decides */
  char off_buf[256];
  listed devices[MAX_LISTED];
  int n_devices;
} world;

/* ---- the devices ---- */

/* What g590_table_find looks at (name, vendor, type) of one device. */
static void read_device(cl_device_id id, g590_device_info *info, char *driver, size_t driver_len) {
  cl_device_type type = 0;
  memset(info, 0, sizeof *info);
  clGetDeviceInfo(id, CL_DEVICE_NAME, sizeof info->name - 1, info->name, NULL);
  clGetDeviceInfo(id, CL_DEVICE_VENDOR, sizeof info->vendor - 1, info->vendor, NULL);
  clGetDeviceInfo(id, CL_DRIVER_VERSION, driver_len - 1, driver, NULL);
  clGetDeviceInfo(id, CL_DEVICE_TYPE, sizeof type, &type, NULL);
  info->is_gpu = (type & CL_DEVICE_TYPE_GPU) != 0;
  info->is_cpu = (type & CL_DEVICE_TYPE_CPU) != 0;
}

static void list_platform(world *w, cl_platform_id platform, unsigned p) {
  cl_device_id ids[MAX_LISTED];
  cl_uint nd = 0;
  if (clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, MAX_LISTED, ids, &nd) != CL_SUCCESS) nd = 0;
  if (nd > MAX_LISTED) nd = MAX_LISTED;
  for (cl_uint d = 0; d < nd; d++) {
    g590_device_info info;
    char driver[128] = "";
    read_device(ids[d], &info, driver, sizeof driver);
    const g590_table_entry *entry = g590_table_find(&info);
    printf("  device %u:%u  %s  \"%s\" (%s, driver %s), table entry %s\n", p, d,
           info.is_gpu ? "GPU" : info.is_cpu ? "CPU" : "other", info.name, info.vendor, driver,
           entry ? entry->id : "none");
    if (w->n_devices < MAX_LISTED) {
      listed *l = &w->devices[w->n_devices++];
      *l = (listed){.platform = p, .device = d, .entry = entry};
      snprintf(l->name, sizeof l->name, "%s", info.name);
    }
  }
}

static void list_devices(world *w) {
  cl_platform_id platforms[16];
  cl_uint np = 0;
  if (clGetPlatformIDs(16, platforms, &np) != CL_SUCCESS || np == 0) {
    printf("OpenCL: no platform\n");
    return;
  }
  if (np > 16) np = 16;
  for (cl_uint p = 0; p < np; p++) {
    char pname[256] = "";
    clGetPlatformInfo(platforms[p], CL_PLATFORM_NAME, sizeof pname - 1, pname, NULL);
    printf("platform %u: %s\n", p, pname);
    list_platform(w, platforms[p], p);
  }
}

/* Why the entry of libgemm590's device decides nothing, in the order
 * libgemm590 itself gives way: the device switched off or missing, a
 * forced family, the tables off, the rules asked for, no entry.  NULL
 * when the entry decides. */
static const char *table_off_reason(world *w) {
  const g590_config *cfg = g590_config_get();
  char *b = w->off_buf;
  size_t n = sizeof w->off_buf;
  if (cfg->disable_device)
    snprintf(b, n, "GEMM590_DISABLE_DEVICE=1 or GEMM590_DEVICE=none: every call runs on the "
                   "host BLAS");
  else if (!w->e)
    snprintf(b, n, "%s: every call runs on the host BLAS", w->engine_why);
  else if (cfg->kernel)
    snprintf(b, n, "GEMM590_KERNEL=%s forces a kernel family on every call the device can take",
             cfg->kernel);
  else if (cfg->table && strcmp(cfg->table, "off") == 0)
    snprintf(b, n, "GEMM590_TABLE=off: the rules of lib/core/select.c decide");
  else if (cfg->min_device_flops_set)
    snprintf(b, n, "GEMM590_MIN_DEVICE_FLOPS is set: the rules of lib/core/select.c decide");
  else if (!w->entry)
    snprintf(b, n, "no entry matches this device: the rules of lib/core/select.c decide");
  else
    return NULL;
  return b;
}

static void print_device(world *w) {
  w->e = g590_cl_engine_get(w->engine_why, sizeof w->engine_why);
  if (!w->e) {
    printf("libgemm590's device: none (%s)\n", w->engine_why);
  } else {
    const g590_device_info *d = &w->e->info;
    printf("libgemm590's device: \"%s\" (%s, driver %s), %u compute units, %zu work-items, "
           "%llu KiB local memory%s%s\n",
           d->name, d->vendor, d->driver, d->compute_units, d->max_work_group,
           (unsigned long long)(d->local_mem >> 10),
           d->tensor_cores ? ", tensor cores (tensor_f16)" : "",
           d->f64_mma_16x8x8 ? ", float64 m16n8k8" : "");
    w->entry = g590_table_find(d);
  }
  w->off = table_off_reason(w);
  const char *file = g590_table_file(NULL, NULL);
  printf("user table file: %s\n", file ? file : "none (GEMM590_TABLE or <cache dir>/table.txt)");
  if (w->entry)
    printf("table entry: %s (matched by %s)%s%s\n", w->entry->id, match_names[w->entry->match],
           w->off ? ", not in use: " : ": decides where each call runs",
           w->off ? w->off : "");
  else
    printf("table entry: none in use: %s\n", w->off);
  if (w->e && !w->off) {
    /* The entry above decides sgemm (and binary16); the other routines
     * have entries of their own where they were tuned. */
    printf("other routines:");
    for (int i = 1; i < G590_ROUTINES; i++) {
      const g590_routine *r = &g590_routines[i];
      const g590_table_entry *t = g590_table_find_routine(&w->e->info, r->type, r->op);
      printf(" %s %s%s", r->name, t ? "table " : "rules", t ? t->id : "");
    }
    printf("\n");
  }
}

/* ---- a leaf's condition in words ---- */

/* Appends to a fixed buffer, cutting what does not fit. */
typedef struct text {
  char *buf;
  size_t len, used;
} text;

static void add(text *t, const char *format, ...) __attribute__((format(printf, 2, 3)));
static void add(text *t, const char *format, ...) {
  if (t->used + 1 >= t->len) return;
  va_list ap;
  va_start(ap, format);
  int w = vsnprintf(t->buf + t->used, t->len - t->used, format, ap);
  va_end(ap);
  if (w > 0) t->used += (size_t)w < t->len - t->used ? (size_t)w : t->len - t->used - 1;
}

/* lo < value <= hi per feature on the way to a node (lo = -1, hi =
 * INT64_MAX: unbounded). */
typedef struct bounds {
  int64_t lo[G590_FEATURES], hi[G590_FEATURES];
} bounds;

/* The bounds of every node.  A child's index is always above its
 * parent's (lib/core/table.h), so one pass in index order narrows each parent's
 * bounds into its children before they are read. */
static bounds *node_bounds(const g590_table_entry *t) {
  bounds *b = calloc((size_t)t->n_nodes, sizeof *b);
  if (!b) {
    perror("gemm590-info");
    exit(1);
  }
  for (int f = 0; f < G590_FEATURES; f++) {
    b[0].lo[f] = -1;
    b[0].hi[f] = INT64_MAX;
  }
  for (int i = 0; i < t->n_nodes; i++) {
    const g590_table_node *n = &t->nodes[i];
    if (n->feature == G590_FEATURE_LEAF) continue;
    b[n->left] = b[n->right] = b[i];
    if (n->le < b[i].hi[n->feature]) b[n->left].hi[n->feature] = n->le;
    if (n->le > b[i].lo[n->feature]) b[n->right].lo[n->feature] = n->le;
  }
  return b;
}

/* A flop count to three digits, "2.9e6" rather than printf's "2.9e+06". */
static void flops_text(double flops, char *buf, size_t len) {
  char raw[16]; /* "%.3g" of a double: at most 10 characters */
  snprintf(raw, sizeof raw, "%.3g", flops);
  char *e = strstr(raw, "e+");
  if (e) *e = '\0';
  if (e) snprintf(buf, len, "%se%d", raw, atoi(e + 2));
  else snprintf(buf, len, "%s", raw);
}

/* "M from 100 to 724", "K up to 169", "2*M*N*K above 2.9e6 flops",
 * "A transposed". */
static void add_bound(text *t, const bounds *b, int f) {
  static const char *const names[] = {"M", "N", "K", "A", "B", "2*M*N*K"};
  bool lo = b->lo[f] >= 0, hi = b->hi[f] < INT64_MAX;
  if (!lo && !hi) return;
  add(t, "%s%s", t->used ? " and " : "", names[f]);
  if (f == G590_FEATURE_TA || f == G590_FEATURE_TB) {
    add(t, lo ? " transposed" : " not transposed");
  } else if (f == G590_FEATURE_MNK) {
    char a[32], z[32];
    flops_text(2.0 * (double)b->lo[f], a, sizeof a);
    flops_text(2.0 * (double)b->hi[f], z, sizeof z);
    if (lo) add(t, " above %s", a);
    if (hi) add(t, " up to %s", z);
    add(t, " flops");
  } else if (lo && hi) {
    add(t, " from %lld to %lld", (long long)b->lo[f] + 1, (long long)b->hi[f]);
  } else {
    add(t, lo ? " above %lld" : " up to %lld", (long long)(lo ? b->lo[f] : b->hi[f]));
  }
}

/* The condition of a leaf in words, the sizes first. */
static void leaf_words(const bounds *leaf, char *buf, size_t len) {
  static const int order[] = {G590_FEATURE_M,   G590_FEATURE_N,  G590_FEATURE_K,
                              G590_FEATURE_MNK, G590_FEATURE_TA, G590_FEATURE_TB};
  text out = {buf, len, 0};
  buf[0] = '\0';
  for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) add_bound(&out, leaf, order[i]);
  if (!out.used) add(&out, "every shape");
}

static void print_choice(const g590_table_choice *c) {
  char options[G590_OPTIONS_MAX];
  g590_params_options(&c->params, options, sizeof options);
  if (c->family) printf("%s %s", c->family->name, options);
  else printf("host BLAS");
}

/* ---- --table ---- */

/* The line under an entry's header that says whose it is and whether it
 * decides; nothing for an entry no device here matches. */
static void entry_role(const world *w, const g590_table_entry *t) {
  if (t == w->entry) {
    printf("    the entry of libgemm590's device: %s%s\n", w->off ? "not in use: " : "",
           w->off ? w->off : "decides where each call runs");
    return;
  }
  for (int i = 0; i < w->n_devices; i++)
    if (w->devices[i].entry == t)
      printf("    the entry of device %u:%u \"%s\", which libgemm590 does not use "
             "(GEMM590_DEVICE=%u:%u selects it)\n",
             w->devices[i].platform, w->devices[i].device, w->devices[i].name,
             w->devices[i].platform, w->devices[i].device);
}

static char entry_mark(const world *w, const g590_table_entry *t) {
  if (t == w->entry) return '*';
  for (int i = 0; i < w->n_devices; i++)
    if (w->devices[i].entry == t) return '+';
  return ' ';
}

static void dump_entry(const world *w, const g590_table_entry *t) {
  printf("%c entry %s: %s", entry_mark(w, t), t->id, match_names[t->match]);
  if (t->key) printf(" \"%s\"", t->key);
  printf(", %s\n", t->type == G590_TYPE_GPU ? "GPU" : "CPU");
  entry_role(w, t);
  if (!t->host_measured) {
    char f[32];
    flops_text(g590_config_get()->min_device_flops, f, sizeof f);
    printf("    no host timings behind it: below %s flops (GEMM590_MIN_DEVICE_FLOPS) the host "
           "BLAS, whatever the leaf\n", f);
  }
  bounds *all = node_bounds(t);
  for (int i = 0; i < t->n_nodes; i++) {
    if (t->nodes[i].feature != G590_FEATURE_LEAF) continue;
    char words[256];
    leaf_words(&all[i], words, sizeof words);
    printf("    leaf %d: %s -> ", i, words);
    print_choice(&t->choices[t->nodes[i].choice]);
    printf("\n");
  }
  free(all);
}

static void dump_tables(const world *w) {
  const g590_table_entry *user_entries;
  int n_user;
  const char *file = g590_table_file(&user_entries, &n_user);
  printf("\ntables, in lookup order (* = the entry of libgemm590's device, + = the entry of "
         "another device listed above):\n");
  if (!w->entry) printf("no entry is in use: %s\n", w->off);
  for (int i = 0; file && i < n_user; i++) dump_entry(w, &user_entries[i]);
  for (int i = 0; i < g590_embedded_table_count; i++) dump_entry(w, &g590_embedded_tables[i]);
}

/* ---- a shape ---- */

static void explain_shape(const world *w, g590_job *call) {
  if (w->entry) {
    int leaf = g590_table_leaf(w->entry, call, NULL, 0);
    bounds *all = node_bounds(w->entry);
    char words[256];
    leaf_words(&all[leaf], words, sizeof words);
    free(all);
    printf("%lldx%lldx%lld %c%c: entry %s, leaf %d: %s -> ", (long long)call->m,
           (long long)call->n, (long long)call->k, call->user_ta, call->user_tb, w->entry->id,
           leaf, words);
    print_choice(&w->entry->choices[w->entry->nodes[leaf].choice]);
    printf("%s\n", w->off ? " (not in use)" : "");
  }
  g590_plan plan;
  char why[192];
  if (!w->e || g590_config_get()->disable_device)
    printf("would run: host BLAS (%s)\n", w->off);
  else if (g590_select(call, &w->e->info, &plan, why, sizeof why)) {
    char options[G590_OPTIONS_MAX];
    g590_plan_options(&plan, options, sizeof options);
    printf("would run: device, kernel %s params \"%s\" (%s)\n", plan.family->name, options,
           plan.rule);
  } else
    printf("would run: host BLAS (%s)\n", why);
}

static bool parse_trans(const char *what, const char *s) {
  if (!strcmp(s, "N") || !strcmp(s, "n")) return false;
  if (!strcmp(s, "T") || !strcmp(s, "t") || !strcmp(s, "C") || !strcmp(s, "c")) return true;
  cli_fail(&info_cli, "%s '%s': must be N or T", what, s);
}

/* The operands M N K [TA TB] into *call; false when there are none. */
static bool parse_shape(int argc, char **argv, g590_job *call) {
  int n = argc - optind;
  if (n == 0) return false;
  if (n != 3 && n != 5) cli_fail(&info_cli, "expected M N K [TA TB], got %d operands", n);
  call->m = call->user_m = cli_long(&info_cli, "M", argv[optind], 1, INT_MAX);
  call->n = call->user_n = cli_long(&info_cli, "N", argv[optind + 1], 1, INT_MAX);
  call->k = cli_long(&info_cli, "K", argv[optind + 2], 1, INT_MAX);
  if (n == 5) {
    call->trans_a = parse_trans("TA", argv[optind + 3]);
    call->trans_b = parse_trans("TB", argv[optind + 4]);
  }
  call->user_ta = call->trans_a ? 'T' : 'N';
  call->user_tb = call->trans_b ? 'T' : 'N';
  return true;
}

int main(int argc, char **argv) {
  bool table = false, learned = false, forget = false;
  g590_job call = {.entry = "gemm590-info", .layout = 'C', .user_ta = 'N', .user_tb = 'N',
                    .alpha = 1.0f, .beta = 0.0f};
  for (int opt; (opt = cli_next(&info_cli, argc, argv)) != -1;) {
    if (opt == OPT_TABLE) table = true;
    else if (opt == OPT_FP16) call.fp16_ok = true;
    else if (opt == OPT_LEARNED) learned = true;
    else if (opt == OPT_FORGET) forget = true;
  }
  bool shape = parse_shape(argc, argv, &call);

  world w = {.e = NULL};
  printf("libgemm590 %s\n", gemm590_version());
  list_devices(&w);
  print_device(&w);
  if (shape) explain_shape(&w, &call);
  if (table) dump_tables(&w);
  if (w.e) {
    char name[320];
    g590_adapt_file_name(&w.e->info, name, sizeof name);
    printf("online choice (GEMM590_ADAPT): %s; learned file %s in the cache directory\n",
           g590_adapt_enabled(&w.e->info) ? "learning" : "off", name);
  }
  if (learned) {
    printf("learned (shape class, chosen path, ms, paths tried):\n");
    int n = g590_adapt_list(stdout);
    if (n <= 0) printf("  %s\n", n < 0 ? "no device" : "nothing learned yet");
  }
  if (forget) {
    char why[256];
    if (!g590_adapt_forget(why, sizeof why)) {
      fprintf(stderr, "gemm590-info: --forget: %s\n", why);
      return 1;
    }
    printf("forgot what was learned for this device\n");
  }
  return 0;
}
