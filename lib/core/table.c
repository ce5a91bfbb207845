/* Decision-table lookup (see table.h): which entry serves the device, the
 * walk down its tree, and the user table file.
 *
 * The user file is read once, on the first lookup.  Anything wrong with
 * it (unreadable line, unknown family or parameters, child index out of
 * order, no entry for this device) gives one warning on stderr and the embedded tables:
 * a bad file must never cost more than its own benefit. */
#include <ctype.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "table.h"
#include "trusted_file.h"

/* Limits of a table file: far above what train.py writes, low enough
 * that a corrupt file cannot make the parser allocate much. */
enum {
  MAX_FILE_BYTES = 1 << 20,
  MAX_ENTRIES = 64,
  MAX_CHOICES = 64,
  MAX_NODES = 4096,
  MAX_LINE = 512,
};

static const char *const feature_names[G590_FEATURES] = {"M", "N", "K", "ta", "tb", "MNK"};
/* Order of the conditions in a rule: sizes, product, transposes. */
static const int feature_order[G590_FEATURES] = {0, 1, 2, 5, 3, 4};

static bool is_flag(int feature) {
  return feature == G590_FEATURE_TA || feature == G590_FEATURE_TB;
}

/* ---- matching ---- */

/* Length of a device name without a trailing " (...)" annotation. */
static size_t name_core_length(const char *s) {
  size_t n = strlen(s);
  while (n && s[n - 1] == ' ') n--;
  if (n && s[n - 1] == ')') {
    const char *open = NULL;
    for (const char *p = s; p + 1 < s + n; p++)
      if (p[0] == ' ' && p[1] == '(') open = p;
    if (open) n = (size_t)(open - s);
  }
  return n;
}

static bool same_name(const char *a, const char *b) {
  size_t na = name_core_length(a), nb = name_core_length(b);
  return na == nb && strncmp(a, b, na) == 0;
}

static bool entry_matches(const g590_table_entry *t, g590_table_match level,
                          const g590_device_info *dev) {
  if (t->match != level) return false;
  bool type_ok = t->type == G590_TYPE_GPU ? dev->is_gpu : dev->is_cpu;
  switch (level) {
  case G590_MATCH_NAME: return same_name(t->key, dev->name);
  case G590_MATCH_VENDOR: return type_ok && strcmp(t->key, dev->vendor) == 0;
  case G590_MATCH_TYPE: return type_ok;
  }
  return false;
}

static const g590_table_entry *find_in(const g590_table_entry *set, int n,
                                       const g590_device_info *dev, g590_type type, g590_op op) {
  for (int level = G590_MATCH_NAME; level <= G590_MATCH_TYPE; level++)
    for (int i = 0; i < n; i++)
      if (set[i].data_type == type && set[i].op == op &&
          entry_matches(&set[i], (g590_table_match)level, dev))
        return &set[i];
  return NULL;
}

const g590_routine g590_routines[G590_ROUTINES] = {{"sgemm", G590_F32, G590_GEMM},
                                                   {"dgemm", G590_F64, G590_GEMM},
                                                   {"ssyrk", G590_F32, G590_SYRK},
                                                   {"dsyrk", G590_F64, G590_SYRK}};

const g590_routine *g590_routine_find(const char *name) {
  for (int i = 0; i < G590_ROUTINES; i++)
    if (strcmp(g590_routines[i].name, name) == 0) return &g590_routines[i];
  return NULL;
}

/* ---- the user table file ---- */

typedef struct user_table {
  g590_table_entry entries[MAX_ENTRIES];
  int n_entries;
  char path[1024];
  bool loaded;
} user_table;

static user_table user;
static pthread_once_t user_once = PTHREAD_ONCE_INIT;
static atomic_flag foreign_warned = ATOMIC_FLAG_INIT;

static void free_entry(g590_table_entry *t) {
  free((char *)t->id);
  free((char *)t->key);
  free((void *)t->choices);
  free((void *)t->nodes);
  memset(t, 0, sizeof *t);
}

/* The entries read from the user's table file: dropped when the file is
 * rejected, and at unload. */
void g590_table_release(void) {
  for (int i = 0; i < user.n_entries; i++) free_entry(&user.entries[i]);
  user.n_entries = 0;
}

static char *dup_string(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

/* Characters allowed in an entry id: nothing that could garble a log
 * line. */
static bool all_chars(const char *s, const char *extra) {
  for (; *s; s++)
    if (!isalnum((unsigned char)*s) && !strchr(extra, *s)) return false;
  return true;
}

/* Parses one "choice" line's rest into c; NULL on success, else the
 * error.  The tunables are parsed here, once: a leaf then costs no text
 * on any call. */
static const char *parse_choice(char *rest, g590_table_choice *c) {
  char *family = rest, *options = strchr(rest, ' ');
  if (options) *options++ = '\0';
  if (strcmp(family, "host") == 0) {
    if (options && *options) return "host takes no parameters";
    *c = (g590_table_choice){NULL, {0}};
    return NULL;
  }
  const g590_family *f = g590_family_find(family);
  if (!f) return "unknown kernel family";
  if (f->lowers_precision) return "family lowers precision (never chosen for SGEMM)";
  if (!options) return "missing parameters";
  const char *err = g590_params_parse(f, options, &c->params);
  if (err) return err;
  static const g590_params none;
  if (g590_params_equal(&c->params, &none)) return "missing parameters";
  c->family = f;
  return NULL;
}

static const char *parse_node(const char *rest, g590_table_node *node, int index) {
  char feature[8];
  long long le;
  int left, right, used = 0;
  if (sscanf(rest, "%7s %lld %d %d%n", feature, &le, &left, &right, &used) != 4 || rest[used])
    return "node: expected <feature> <threshold> <left> <right>";
  node->feature = G590_FEATURE_LEAF;
  for (int f = 0; f < G590_FEATURES; f++)
    if (strcmp(feature, feature_names[f]) == 0) node->feature = (int8_t)f;
  if (node->feature == G590_FEATURE_LEAF) return "node: unknown feature";
  if (le < 0) return "node: negative threshold";
  /* Children after their parent: every walk ends. */
  if (left <= index || right <= index || left >= MAX_NODES || right >= MAX_NODES)
    return "node: children must come after their parent";
  node->le = le;
  node->left = (int16_t)left;
  node->right = (int16_t)right;
  node->choice = -1;
  return NULL;
}

/* Checks a finished entry; NULL when it is usable. */
static const char *check_entry(const g590_table_entry *t) {
  if (!t->id || !t->n_nodes || !t->n_choices) return "entry without id, nodes or choices";
  if (t->match != G590_MATCH_TYPE && !t->key) return "entry without key";
  for (int i = 0; i < t->n_nodes; i++) {
    const g590_table_node *n = &t->nodes[i];
    if (n->feature == G590_FEATURE_LEAF ? n->choice >= t->n_choices
                                        : n->left >= t->n_nodes || n->right >= t->n_nodes)
      return "node or leaf index out of range";
  }
  /* A tree, not only children after parents: the walks over a whole entry
   * (g590_table_describe, g590_table_device_floor) follow every path, and
   * children shared by several parents make the paths exponentially many. */
  unsigned char parents[MAX_NODES] = {0};
  for (int i = 0; i < t->n_nodes; i++) {
    const g590_table_node *n = &t->nodes[i];
    if (n->feature != G590_FEATURE_LEAF && (++parents[n->left] > 1 || ++parents[n->right] > 1))
      return "node: a child of two parents (the nodes must form a tree)";
  }
  return NULL;
}

/* Parses the text of a table file into user.entries; NULL on success,
 * else the error, with *line_no the line it concerns. */
static const char *parse_table(char *text, int *line_no) {
  g590_table_entry *t = NULL;
  g590_table_choice *choices = NULL;
  g590_table_node *nodes = NULL;
  bool header = false;
  *line_no = 0;
  for (char *line = text, *next; line; line = next) {
    next = strchr(line, '\n');
    if (next) *next++ = '\0';
    ++*line_no;
    size_t len = strlen(line);
    if (len > MAX_LINE) return "line too long";
    if (len && line[len - 1] == '\r') line[--len] = '\0';
    if (!len || line[0] == '#') continue;
    char *rest = strchr(line, ' ');
    if (rest) *rest++ = '\0';
    else rest = line + len;
    if (!header) {
      if (strcmp(line, "gemm590-table") != 0 || strcmp(rest, "1") != 0)
        return "not a gemm590 table (version 1)";
      header = true;
    } else if (strcmp(line, "entry") == 0) {
      if (t) return "entry inside an entry";
      if (user.n_entries == MAX_ENTRIES) return "too many entries";
      if (!*rest || strlen(rest) > 63 || !all_chars(rest, "_.:-")) return "bad entry id";
      t = &user.entries[user.n_entries++];
      t->match = G590_MATCH_TYPE;
      t->host_measured = true;
      /* "user:" marks decisions of the file in the verbose line. */
      char id[72];
      snprintf(id, sizeof id, "user:%s", rest);
      t->id = dup_string(id);
      t->choices = choices = calloc(MAX_CHOICES, sizeof *choices);
      t->nodes = nodes = calloc(MAX_NODES, sizeof *nodes);
      if (!t->id || !choices || !nodes) return "out of memory";
    } else if (!t) {
      return "expected 'entry'";
    } else if (strcmp(line, "match") == 0) {
      if (strcmp(rest, "name") == 0) t->match = G590_MATCH_NAME;
      else if (strcmp(rest, "vendor") == 0) t->match = G590_MATCH_VENDOR;
      else if (strcmp(rest, "type") == 0) t->match = G590_MATCH_TYPE;
      else return "match: expected name, vendor or type";
    } else if (strcmp(line, "key") == 0) {
      if (!*rest || strlen(rest) >= sizeof(((g590_device_info *)0)->name) || t->key)
        return "bad key";
      if (!(t->key = dup_string(rest))) return "out of memory";
    } else if (strcmp(line, "type") == 0) {
      if (strcmp(rest, "gpu") == 0) t->type = G590_TYPE_GPU;
      else if (strcmp(rest, "cpu") == 0) t->type = G590_TYPE_CPU;
      else return "type: expected gpu or cpu";
    } else if (strcmp(line, "routine") == 0) {
      const g590_routine *r = g590_routine_find(rest);
      if (!r) return "routine: expected sgemm, dgemm, ssyrk or dsyrk";
      t->data_type = r->type;
      t->op = r->op;
    } else if (strcmp(line, "host-measured") == 0) {
      if (strcmp(rest, "yes") && strcmp(rest, "no")) return "host-measured: expected yes or no";
      t->host_measured = strcmp(rest, "yes") == 0;
    } else if (strcmp(line, "choice") == 0) {
      if (t->n_choices == MAX_CHOICES) return "too many choices";
      const char *err = parse_choice(rest, &choices[t->n_choices]);
      if (err) return err;
      t->n_choices++;
    } else if (strcmp(line, "node") == 0 || strcmp(line, "leaf") == 0) {
      if (t->n_nodes == MAX_NODES) return "too many nodes";
      g590_table_node *node = &nodes[t->n_nodes];
      if (line[0] == 'n') {
        const char *err = parse_node(rest, node, t->n_nodes);
        if (err) return err;
      } else {
        char *end;
        long choice = strtol(rest, &end, 10);
        if (end == rest || *end || choice < 0 || choice >= MAX_CHOICES)
          return "leaf: expected a choice index";
        *node = (g590_table_node){G590_FEATURE_LEAF, 0, -1, -1, (int16_t)choice};
      }
      t->n_nodes++;
    } else if (strcmp(line, "end") == 0) {
      const char *err = check_entry(t);
      if (err) return err;
      t = NULL;
    } else {
      return "unknown keyword";
    }
  }
  if (!header) return "empty file";
  if (t) return "last entry has no 'end'";
  return user.n_entries ? NULL : "no entries";
}

/* Reads GEMM590_TABLE, else table.txt in the program cache's directory
 * (lib/trusted_file.c: GEMM590_CACHE_DIR, $XDG_CACHE_HOME/gemm590,
 * ~/.cache/gemm590; not created here, and not read from when others can
 * write it).  A file the user named may lie anywhere, but like the cache
 * directory's it must be theirs alone to write: it decides what runs. */
static void user_load(void) {
  const g590_config *cfg = g590_config_get();
  if (cfg->table && strcmp(cfg->table, "off") == 0) return;
  int dir = AT_FDCWD;
  const char *name = cfg->table;
  if (cfg->table) {
    snprintf(user.path, sizeof user.path, "%s", cfg->table);
  } else {
    char dir_path[1000];
    if ((dir = g590_cache_dir_open(false, dir_path, sizeof dir_path)) < 0) return;
    snprintf(user.path, sizeof user.path, "%s/table.txt", dir_path);
    name = "table.txt";
  }
  char *text = NULL, why[128];
  size_t len = 0;
  g590_file_status status = g590_file_read(dir, name, MAX_FILE_BYTES, &text, &len, why,
                                           sizeof why);
  if (dir != AT_FDCWD) close(dir);
  /* The cache directory's file is optional; a named one is not. */
  if (status == G590_FILE_MISSING && !cfg->table) return;
  int line_no = 0;
  const char *err = status == G590_FILE_MISSING ? "cannot be read"
                    : status != G590_FILE_OK    ? why
                    : memchr(text, '\0', len)   ? "binary data"
                                                : parse_table(text, &line_no);
  free(text);
  if (err) {
    fprintf(stderr, "gemm590: warning: table file %s", user.path);
    if (line_no) fprintf(stderr, ", line %d", line_no);
    fprintf(stderr, ": %s; using the embedded table\n", err);
    g590_table_release();
    return;
  }
  user.loaded = true;
}

const char *g590_table_file(const g590_table_entry **entries, int *count) {
  pthread_once(&user_once, user_load);
  if (entries) *entries = user.entries;
  if (count) *count = user.n_entries;
  return user.loaded ? user.path : NULL;
}

const g590_table_entry *g590_table_find(const g590_device_info *dev) {
  return g590_table_find_routine(dev, G590_F32, G590_GEMM);
}

const g590_table_entry *g590_table_find_routine(const g590_device_info *dev, g590_type type,
                                                g590_op op) {
  const g590_config *cfg = g590_config_get();
  if (cfg->table && strcmp(cfg->table, "off") == 0) return NULL;
  if (g590_table_file(NULL, NULL)) {
    const g590_table_entry *t = find_in(user.entries, user.n_entries, dev, type, op);
    if (t) return t;
    /* A file for the device may well leave the other routines to the
     * embedded table: only a file without sgemm's entry is foreign. */
    if (type == G590_F32 && op == G590_GEMM && !atomic_flag_test_and_set(&foreign_warned))
      fprintf(stderr,
              "gemm590: warning: table file %s has no entry for device \"%s\"; "
              "using the embedded table\n",
              user.path, dev->name);
  }
  return find_in(g590_embedded_tables, g590_embedded_table_count, dev, type, op);
}

/* ---- walking a tree ---- */

static int64_t feature_value(const g590_job *call, int feature) {
  switch (feature) {
  case G590_FEATURE_M: return call->m;
  case G590_FEATURE_N: return call->n;
  case G590_FEATURE_K: return call->k;
  case G590_FEATURE_TA: return call->trans_a;
  case G590_FEATURE_TB: return call->trans_b;
  default: {
    /* In double: the product of three 64-bit sizes can overflow int64. */
    double p = (double)call->m * (double)call->n * (double)call->k;
    return p < 9.2e18 ? (int64_t)p : INT64_MAX;
  }
  }
}

/* Conditions on the path to a leaf, tightest bound per feature:
 * lo < value <= hi (lo = -1 and hi = INT64_MAX mean unbounded). */
typedef struct bounds {
  int64_t lo[G590_FEATURES], hi[G590_FEATURES];
} bounds;

static void bounds_init(bounds *b) {
  for (int f = 0; f < G590_FEATURES; f++) {
    b->lo[f] = -1;
    b->hi[f] = INT64_MAX;
  }
}

static void bounds_step(bounds *b, const g590_table_node *n, bool left) {
  if (left && n->le < b->hi[n->feature]) b->hi[n->feature] = n->le;
  if (!left && n->le > b->lo[n->feature]) b->lo[n->feature] = n->le;
}

static void bounds_text(const bounds *b, char *buf, size_t len) {
  size_t used = 0;
  buf[0] = '\0';
  for (int i = 0; i < G590_FEATURES && used < len; i++) {
    int f = feature_order[i];
    const char *name = feature_names[f], *sep = used ? " " : "";
    bool lo = b->lo[f] >= 0, hi = b->hi[f] < INT64_MAX;
    int w = 0;
    if (is_flag(f) && (lo || hi))
      w = snprintf(buf + used, len - used, "%s%s=%d", sep, name, lo ? 1 : 0);
    else if (!is_flag(f) && lo && hi)
      w = snprintf(buf + used, len - used, "%s%lld<%s<=%lld", sep, (long long)b->lo[f], name,
                   (long long)b->hi[f]);
    else if (!is_flag(f) && lo)
      w = snprintf(buf + used, len - used, "%s%s>%lld", sep, name, (long long)b->lo[f]);
    else if (!is_flag(f) && hi)
      w = snprintf(buf + used, len - used, "%s%s<=%lld", sep, name, (long long)b->hi[f]);
    used += w > 0 ? (size_t)w : 0;
  }
  if (!used) snprintf(buf, len, "every shape");
}

int g590_table_leaf(const g590_table_entry *t, const g590_job *call, char *rule,
                    size_t rule_len) {
  bounds b;
  bounds_init(&b);
  int i = 0;
  while (t->nodes[i].feature != G590_FEATURE_LEAF) {
    const g590_table_node *n = &t->nodes[i];
    bool left = feature_value(call, n->feature) <= n->le;
    bounds_step(&b, n, left);
    i = left ? n->left : n->right;
  }
  if (rule) {
    char cond[80];
    bounds_text(&b, cond, sizeof cond);
    snprintf(rule, rule_len, "table %s, leaf %d: %s", t->id, i, cond);
  }
  return i;
}

/* Depth-first search for `target` from `node`, narrowing `b` on the way. */
static bool path_to(const g590_table_entry *t, int node, int target, bounds *b) {
  if (node == target) return true;
  const g590_table_node *n = &t->nodes[node];
  if (n->feature == G590_FEATURE_LEAF) return false;
  for (int side = 0; side < 2; side++) {
    bounds sub = *b;
    bounds_step(&sub, n, side == 0);
    if (path_to(t, side == 0 ? n->left : n->right, target, &sub)) {
      *b = sub;
      return true;
    }
  }
  return false;
}

void g590_table_describe(const g590_table_entry *t, int leaf, char *buf, size_t len) {
  bounds b;
  bounds_init(&b);
  path_to(t, 0, leaf, &b);
  bounds_text(&b, buf, len);
}

/* ---- the smallest product an entry sends to the device ---- */

/* Smallest M*N*K that satisfies `b` (a value > lo is at least lo + 1). */
static double bounds_min_mnk(const bounds *b) {
  double m = (double)(b->lo[G590_FEATURE_M] + 1), n = (double)(b->lo[G590_FEATURE_N] + 1);
  double k = (double)(b->lo[G590_FEATURE_K] + 1);
  return fmax((double)(b->lo[G590_FEATURE_MNK] + 1), m * n * k);
}

/* Depth-first over the tree from `node`, narrowing `b`: the smallest M*N*K
 * of a leaf that runs a kernel.  A device leaf whose plan the selector
 * would reject (beyond the device's limits) lets the rules decide there,
 * which *rules_decide reports. */
static double device_floor_from(const g590_table_entry *t, int node, const bounds *b,
                                const g590_device_info *dev, bool *rules_decide) {
  const g590_table_node *n = &t->nodes[node];
  if (n->feature == G590_FEATURE_LEAF) {
    const g590_table_choice *c = &t->choices[n->choice];
    if (!c->family) return INFINITY;
    g590_plan plan;
    g590_plan_family(&plan, c->family, &c->params, "");
    if (!g590_plan_fits(&plan, dev)) *rules_decide = true;
    return bounds_min_mnk(b);
  }
  bounds left = *b, right = *b;
  bounds_step(&left, n, true);
  bounds_step(&right, n, false);
  return fmin(device_floor_from(t, n->left, &left, dev, rules_decide),
              device_floor_from(t, n->right, &right, dev, rules_decide));
}

double g590_table_device_floor(const g590_table_entry *t, const g590_device_info *dev,
                               bool *rules_decide) {
  bounds b;
  bounds_init(&b);
  *rules_decide = false;
  double floor = device_floor_from(t, 0, &b, dev, rules_decide);
  /* Without host timings the entry sends nothing below the flops threshold. */
  if (!t->host_measured) floor = fmax(floor, g590_config_get()->min_device_flops / 2);
  return floor;
}

/* ---- the selector's step ---- */

int g590_table_select(const g590_job *call, const g590_device_info *dev, g590_plan *plan,
                      char *why, size_t why_len) {
  const g590_config *cfg = g590_config_get();
  if (cfg->min_device_flops_set) return -1;
  /* binary16 data and the fp16 opt-in follow sgemm's entry. */
  const g590_table_entry *t =
      g590_table_find_routine(dev, call->type == G590_F64 ? G590_F64 : G590_F32, call->op);
  if (!t) return -1;
  if (!t->host_measured) {
    double flops = 2.0 * (double)call->m * (double)call->n * (double)call->k;
    if (flops < cfg->min_device_flops) {
      snprintf(why, why_len, "below threshold (%.3g < %.3g flops; table %s has no host timings)",
               flops, cfg->min_device_flops, t->id);
      return 0;
    }
  }
  /* The leaf's conditions are spelled out only for the verbose line:
   * this runs on every call. */
  char *rule = plan->rule_buf;
  int leaf = g590_table_leaf(t, call, cfg->verbose ? rule : NULL, sizeof plan->rule_buf);
  if (!cfg->verbose) snprintf(rule, sizeof plan->rule_buf, "table %s, leaf %d", t->id, leaf);
  const g590_table_choice *c = &t->choices[t->nodes[leaf].choice];
  if (!c->family) {
    snprintf(why, why_len, "%s: host", rule);
    return 0;
  }
  g590_plan_family(plan, c->family, &c->params, rule);
  if (!g590_plan_fits(plan, dev)) return -1;
  return 1;
}
