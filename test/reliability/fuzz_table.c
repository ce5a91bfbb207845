/* libFuzzer target over the decision-table file parser (lib/core/table.c).
 *
 * A table file decides which kernel, with which compiler options, runs on
 * the caller's data, and it comes from disk: whatever its bytes, the
 * parser must reject it with an error or accept a table every later use
 * can rely on.  The parser is static, so this file includes lib/core/table.c
 * (the library's other units come from its internal static library, which
 * then never needs its own table.o).
 *
 * Each input is the text of one file, up to its first NUL byte (the
 * loader refuses files that hold one).  After parse_table():
 *
 *   - rejected: an error message, and a line number within the text;
 *   - accepted: between 1 and MAX_ENTRIES entries, each with an id
 *     "user:<id>" of letters, digits and "_.:-", a key unless it matches by type,
 *     nodes whose children come after them and lie inside the entry, each
 *     node the child of at most one parent, leaves naming one of the
 *     entry's choices, and choices that are the host or a known family
 *     that keeps float32 precision with typed parameters that render to
 *     options of letters, digits and " _=-.," and parse back to the same
 *     parameters (and give a plan with whole tiles);  then each entry is
 *     walked for shapes drawn from the input and from the edges (0, 1,
 *     INT64_MAX), must end on a leaf, and every leaf's conditions are
 *     described (g590_table_describe);
 *   - either way g590_table_release() frees everything: leaks are checked
 *     after every input.
 *
 * Any broken expectation aborts, which libFuzzer reports as a crash with
 * the input saved; at exit one line gives the counts of accepted and
 * rejected inputs (fuzz.sh checks that both happened). */
#include <ctype.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table.c"

static uint64_t accepted, rejected;

static void fail(const char *what, int entry, int index) {
  fprintf(stderr, "FAIL: %s (entry %d, index %d)\n", what, entry, index);
  abort();
}

/* Letters, digits and `extra` only: nothing that could end an option or
 * quote on the way to the OpenCL compiler, or garble a log line. */
static bool only(const char *s, const char *extra) {
  for (; *s; s++)
    if (!isalnum((unsigned char)*s) && !strchr(extra, *s)) return false;
  return true;
}

static void check_choice(const g590_table_choice *c, int e, int i) {
  if (!c->family) {
    static const g590_params none;
    if (!g590_params_equal(&c->params, &none)) fail("host choice with parameters", e, i);
    return;
  }
  bool known = false;
  for (int f = 0; g590_families[f]; f++) known = known || g590_families[f] == c->family;
  if (!known || c->family->lowers_precision) fail("unknown or precision-lowering family", e, i);
  /* The options that reach the compiler: rendered from the typed
   * parameters, which they must give back. */
  char options[G590_OPTIONS_MAX + 1];
  g590_params_options(&c->params, options, sizeof options);
  g590_params back;
  if (!*options || strlen(options) >= G590_OPTIONS_MAX || !only(options, " _=-.,") ||
      g590_params_parse(c->family, options, &back) || !g590_params_equal(&back, &c->params))
    fail("missing, long, unsafe or unfaithful options", e, i);
  g590_plan plan;
  g590_plan_family(&plan, c->family, &c->params, "fuzz");
  if (plan.splits < 1 || !plan.tile[0] || !plan.tile[1] || !plan.tile[2])
    fail("empty tile or no K slice", e, i);
}

static void check_structure(const g590_table_entry *t, int e) {
  if (!t->id || strncmp(t->id, "user:", 5) != 0 || !t->id[5] || !only(t->id + 5, "_.:-"))
    fail("bad id", e, 0);
  if (t->match != G590_MATCH_NAME && t->match != G590_MATCH_VENDOR && t->match != G590_MATCH_TYPE)
    fail("bad match", e, 0);
  if (t->match != G590_MATCH_TYPE && (!t->key || !*t->key)) fail("no key", e, 0);
  if (t->n_nodes < 1 || t->n_nodes > MAX_NODES || t->n_choices < 1 || t->n_choices > MAX_CHOICES)
    fail("node or choice count", e, 0);
  static unsigned char parents[MAX_NODES];
  memset(parents, 0, sizeof parents);
  for (int i = 0; i < t->n_nodes; i++) {
    const g590_table_node *n = &t->nodes[i];
    if (n->feature == G590_FEATURE_LEAF) {
      if (n->choice < 0 || n->choice >= t->n_choices) fail("leaf choice out of range", e, i);
      continue;
    }
    if (n->feature < 0 || n->feature >= G590_FEATURES || n->le < 0) fail("bad node", e, i);
    if (n->left <= i || n->right <= i || n->left >= t->n_nodes || n->right >= t->n_nodes)
      fail("child before its parent or outside the entry", e, i);
    if (++parents[n->left] > 1 || ++parents[n->right] > 1) fail("child of two parents", e, i);
  }
  for (int i = 0; i < t->n_choices; i++) check_choice(&t->choices[i], e, i);
}

/* Walks every entry for edge shapes and shapes from the input's bytes. */
static void check_walks(const uint8_t *input, size_t size) {
  static const int64_t edges[] = {0, 1, 100, 4096, INT64_MAX};
  char rule[160], cond[96];
  for (int s = 0; s < 12; s++) {
    g590_job call = {0};
    if (s < 5) {
      call.m = call.n = call.k = edges[s];
    } else {
      /* Sizes from 1 to 2^31 picked by the input's bytes. */
      uint64_t h = 0xcbf29ce484222325ull;
      for (size_t i = 0; i < size; i++) h = (h ^ input[i]) * 0x100000001b3ull;
      h ^= (uint64_t)s * 0x9e3779b97f4a7c15ull;
      call.m = (int64_t)(h & 0x7fffffff) + 1;
      call.n = (int64_t)((h >> 31) & 0xffff) + 1;
      call.k = (int64_t)((h >> 47) & 0x1ffff) + 1;
    }
    call.trans_a = s & 1;
    call.trans_b = s & 2;
    for (int e = 0; e < user.n_entries; e++) {
      const g590_table_entry *t = &user.entries[e];
      int leaf = g590_table_leaf(t, &call, rule, sizeof rule);
      if (leaf < 0 || leaf >= t->n_nodes || t->nodes[leaf].feature != G590_FEATURE_LEAF ||
          !memchr(rule, '\0', sizeof rule))
        fail("walk did not end on a leaf", e, leaf);
      g590_table_describe(t, leaf, cond, sizeof cond);
      if (!memchr(cond, '\0', sizeof cond)) fail("description not terminated", e, leaf);
    }
  }
}

static void print_counts(void) {
  printf("fuzz_table: %" PRIu64 " accepted, %" PRIu64 " rejected\n", accepted, rejected);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  atexit(print_counts);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *input, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *input, size_t size) {
  size_t len = strnlen((const char *)input, size);
  if (len > MAX_FILE_BYTES) return 0;
  /* Exactly the text's bytes and its terminator: ASan stops the parser at
   * any read past them. */
  char *text = malloc(len + 1);
  if (!text) abort();
  memcpy(text, input, len);
  text[len] = '\0';
  int line_no = -1;
  const char *err = parse_table(text, &line_no);
  if (err) {
    rejected++;
    if (!*err || line_no < 0) fail("rejected without a message or line", -1, line_no);
  } else {
    accepted++;
    if (user.n_entries < 1 || user.n_entries > MAX_ENTRIES) fail("entry count", user.n_entries, 0);
    for (int e = 0; e < user.n_entries; e++) check_structure(&user.entries[e], e);
    check_walks(input, len);
  }
  g590_table_release();
  free(text);
  return 0;
}
