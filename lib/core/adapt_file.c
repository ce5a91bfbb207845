/* The learned file: what the online choice settled on, per device, kept
 * in the cache directory for later processes (see adapt.h).
 *
 *   gemm590-learned 2
 *   device <device name>
 *   driver <driver version>
 *   <class>\t<chosen path>\t<its best ms>\t<path>@<ms>|<path>@<ms>|...
 *   end <number of class lines>
 *
 * The end line is there because a file cut short can still parse: a line
 * cut inside its last time ("@9.3" of "@9.335") reads as a whole one.
 * A path is "host" or "family:options".  Another version, device or
 * driver makes the file not ours: ignored, and replaced at the next save
 * (a new driver can change which path wins).  A line that does not parse
 * makes the whole file ignored, with one warning per process.  Saving
 * merges under a lock file, so processes that learn at the same time all
 * keep their classes; the file itself is replaced atomically
 * (g590_file_write). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/uio.h>
#include <unistd.h>

#include "adapt_state.h"
#include "trusted_file.h"

#define LEARNED_VERSION 2
#define LEARNED_MAX_BYTES ((size_t)4 << 20)

void g590_adapt_file_name(const g590_device_info *dev, char *out, size_t len) {
  char name[sizeof dev->name];
  size_t i = 0;
  for (; dev->name[i] && i + 1 < sizeof name; i++) {
    char ch = dev->name[i];
    bool keep = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                ch == '.' || ch == '_' || ch == '-';
    name[i] = keep ? ch : '_';
  }
  name[i] = '\0';
  snprintf(out, len, "learned-%s.txt", name);
}

void g590_adapt_path_text(const g590_choice *c, char *out, size_t len) {
  if (!c->family) {
    snprintf(out, len, "host");
    return;
  }
  char options[G590_OPTIONS_MAX];
  g590_params_options(&c->params, options, sizeof options);
  snprintf(out, len, "%s:%s", c->family->name, options);
}

/* A path's text back into a choice that can run on `dev`; NULL, or what is wrong. */
static const char *path_parse(const char *text, const g590_device_info *dev, g590_choice *c) {
  if (strcmp(text, "host") == 0) {
    c->family = NULL;
    return NULL;
  }
  const char *err = g590_choice_parse(text, ':', c);
  if (err) return err;
  g590_plan plan;
  g590_plan_family(&plan, c->family, &c->params, "");
  return g590_plan_fits(&plan, dev) ? NULL : "does not fit the device";
}

/* Splits the next line off *text (NUL-terminating it); NULL at the end. */
static char *next_line(char **text) {
  if (!**text) return NULL;
  char *line = *text, *nl = strchr(line, '\n');
  if (nl) *nl = '\0', *text = nl + 1;
  else *text += strlen(line);
  return line;
}

/* The times field: "path@ms" items separated by '|', each whole (a file
 * cut short mid-line fails here); NULL, or what is wrong. */
static const char *check_times(const char *times, const g590_device_info *dev) {
  char item[G590_OPTIONS_MAX + 64];
  if (!*times) return "bad time list";
  for (const char *at = times; *at;) {
    size_t len = strcspn(at, "|");
    if (len >= sizeof item) return "bad time list";
    memcpy(item, at, len);
    item[len] = '\0';
    char *sign = strrchr(item, '@'), *end;
    if (!sign) return "bad time list";
    *sign = '\0';
    double ms = strtod(sign + 1, &end);
    g590_choice c;
    if (end == sign + 1 || *end || !(ms >= 0) || path_parse(item, dev, &c)) return "bad time list";
    at += len + (at[len] == '|');
  }
  return NULL;
}

/* One class line: its four tab-separated fields in place; NULL, or what is wrong. */
static const char *split_class(char *line, char *field[4], const g590_device_info *dev,
                               g590_choice *chosen, double *ms) {
  for (int i = 0; i < 4; i++) {
    field[i] = line;
    char *tab = i < 3 ? strchr(line, '\t') : NULL;
    if (i < 3 && !tab) return "expected four tab-separated fields";
    if (tab) *tab = '\0', line = tab + 1;
  }
  if (!*field[0] || strlen(field[0]) >= G590_ADAPT_KEY_MAX) return "bad shape class";
  char *end;
  *ms = strtod(field[2], &end);
  if (end == field[2] || *end || !(*ms >= 0)) return "bad time";
  const char *err = path_parse(field[1], dev, chosen);
  return err ? err : check_times(field[3], dev);
}

/* Whether `text` (modified) is a learned file of this device and driver.
 * Calls `each` for every class line; returns NULL when all parse, else
 * the problem, with *line_no its line (0: another version, device or
 * driver: a file that is not ours, not a damaged one). */
typedef void (*class_fn)(void *arg, char *field[4], const g590_choice *chosen, double ms);
static const char *parse_file(char *text, const g590_device_info *dev, class_fn each, void *arg,
                              int *line_no) {
  char *line;
  int version = 0;
  *line_no = 1; /* a first line that names no version is damage, not another version */
  if (!(line = next_line(&text)) || sscanf(line, "gemm590-learned %d", &version) != 1)
    return "not a learned file";
  *line_no = 0;
  if (version != LEARNED_VERSION) return "another version";
  if (!(line = next_line(&text)) || strncmp(line, "device ", 7) || strcmp(line + 7, dev->name))
    return "another device";
  if (!(line = next_line(&text)) || strncmp(line, "driver ", 7) || strcmp(line + 7, dev->driver))
    return "another driver";
  int classes = 0, end = -1;
  for (*line_no = 4; (line = next_line(&text)); (*line_no)++) {
    if (!*line) continue;
    if (end >= 0) return "text after the end line";
    char tail;
    if (sscanf(line, "end %d%c", &end, &tail) == 1) {
      if (end != classes) return "end line does not count the class lines";
      continue;
    }
    char *field[4];
    g590_choice chosen;
    double ms;
    const char *err = split_class(line, field, dev, &chosen, &ms);
    if (err) return err;
    if (each) each(arg, field, &chosen, ms);
    classes++;
  }
  if (end < 0) return "cut short (no end line)";
  *line_no = 0;
  return NULL;
}

static void warn_once(const char *path, const char *name, int line_no, const char *what) {
  static atomic_flag warned = ATOMIC_FLAG_INIT;
  if (atomic_flag_test_and_set(&warned)) return;
  fprintf(stderr, "gemm590: warning: learned choices %s/%s unreadable (line %d: %s): ignored\n",
          path, name, line_no, what);
}

static void add_loaded(void *arg, char *field[4], const g590_choice *chosen, double ms) {
  (void)arg;
  g590_adapt_class *c = g590_adapt_find(field[0]);
  if (!c && !(c = g590_adapt_add(field[0]))) return;
  free(c->file_times);
  memset(c, 0, sizeof *c);
  snprintf(c->key, sizeof c->key, "%s", field[0]);
  c->n = 1;
  c->cand[0] = (g590_adapt_cand){.choice = *chosen, .best_ms = ms, .samples = 1};
  c->settled = true;
  c->file_times = strdup(field[3]);
}

/* Reads the learned file into `*text`; its directory's path in `path`.
 * Returns the directory descriptor (or -1) and whether a file was read. */
static int read_file(const g590_device_info *dev, bool create, char **text, char *path,
                     size_t path_len, char *name, size_t name_len) {
  *text = NULL;
  g590_adapt_file_name(dev, name, name_len);
  int dir = g590_cache_dir_open(create, path, path_len);
  if (dir < 0) return -1;
  size_t len;
  char why[192] = "";
  g590_file_status st = g590_file_read(dir, name, LEARNED_MAX_BYTES, text, &len, why, sizeof why);
  if (st == G590_FILE_UNTRUSTED || st == G590_FILE_FAILED) warn_once(path, name, 0, why);
  return dir;
}

void g590_adapt_load(const g590_device_info *dev) {
  if (g590_adapt.loaded) return;
  g590_adapt.loaded = true;
  char path[512], name[300], *text;
  int dir = read_file(dev, false, &text, path, sizeof path, name, sizeof name);
  if (dir >= 0) close(dir);
  if (!text) return;
  /* Parse twice: nothing is taken from a file with a bad line. */
  char *copy = strdup(text);
  int line_no;
  const char *err = copy ? parse_file(copy, dev, NULL, NULL, &line_no) : "out of memory";
  if (!err) parse_file(text, dev, add_loaded, NULL, &line_no);
  else if (line_no > 0) warn_once(path, name, line_no, err);
  else if (g590_config_get()->verbose)
    fprintf(stderr, "gemm590: learned choices %s/%s: %s, ignored\n", path, name, err);
  free(copy);
  free(text);
}

/* Appends to a growing buffer; false when memory runs out. */
typedef struct text_buf {
  char *data;
  size_t len, cap;
  bool failed;
} text_buf;

static void append(text_buf *b, const char *format, ...) __attribute__((format(printf, 2, 3)));
static void append(text_buf *b, const char *format, ...) {
  va_list ap;
  for (int attempt = 0; attempt < 2 && !b->failed; attempt++) {
    va_start(ap, format);
    int n = vsnprintf(b->data ? b->data + b->len : NULL, b->data ? b->cap - b->len : 0, format, ap);
    va_end(ap);
    if (n < 0) b->failed = true;
    else if (b->data && b->len + (size_t)n < b->cap) {
      b->len += (size_t)n;
      return;
    } else {
      size_t cap = (b->cap + (size_t)n + 1) * 2;
      char *more = realloc(b->data, cap);
      if (!more) b->failed = true;
      else b->data = more, b->cap = cap;
    }
  }
}

/* A class's line, as the file holds it. */
static void class_line(text_buf *b, const g590_adapt_class *c) {
  char path[G590_OPTIONS_MAX + 32];
  g590_adapt_path_text(&c->cand[c->chosen].choice, path, sizeof path);
  append(b, "%s\t%s\t%.4g\t", c->key, path, c->cand[c->chosen].best_ms);
  if (c->file_times) {
    append(b, "%s\n", c->file_times);
    return;
  }
  const char *sep = "";
  for (int i = 0; i < c->n; i++) {
    if (!c->cand[i].samples) continue;
    g590_adapt_path_text(&c->cand[i].choice, path, sizeof path);
    append(b, "%s%s@%.4g", sep, path, c->cand[i].best_ms);
    sep = "|";
  }
  append(b, "\n");
}

typedef struct merge {
  text_buf *out;
  const text_buf *ours; /* our lines: a key there replaces the file's */
  int lines;            /* class lines in *out */
} merge;

static void keep_theirs(void *arg, char *field[4], const g590_choice *chosen, double ms) {
  merge *m = arg;
  (void)chosen, (void)ms;
  char key[G590_ADAPT_KEY_MAX + 2];
  snprintf(key, sizeof key, "%s\t", field[0]);
  for (const char *at = m->ours->data; at && (at = strstr(at, key)); at++)
    if (at == m->ours->data || at[-1] == '\n') return;
  append(m->out, "%s\t%s\t%s\t%s\n", field[0], field[1], field[2], field[3]);
  m->lines++;
}

void g590_adapt_save(const g590_device_info *dev) {
  text_buf ours = {0}, out = {0};
  int our_lines = 0;
  pthread_mutex_lock(&g590_adapt.lock);
  for (int i = 0; i < g590_adapt.count; i++) {
    const g590_adapt_class *c = &g590_adapt.classes[i];
    if (c->settled && !c->single && !c->file_times) class_line(&ours, c), our_lines++;
  }
  pthread_mutex_unlock(&g590_adapt.lock);

  char path[512], name[300], *text = NULL;
  int dir = g590_cache_dir_open(true, path, sizeof path), lock = -1;
  if (dir >= 0 && !ours.failed && ours.data)
    lock = openat(dir, "learned.lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (lock < 0 || flock(lock, LOCK_EX) != 0) goto out;
  close(dir);
  dir = read_file(dev, true, &text, path, sizeof path, name, sizeof name);
  if (dir < 0) goto out;
  append(&out, "gemm590-learned %d\ndevice %s\ndriver %s\n", LEARNED_VERSION, dev->name,
         dev->driver);
  merge m = {.out = &out, .ours = &ours};
  int line_no;
  char *copy = text ? strdup(text) : NULL;
  /* The file's classes are kept only when every line of it parses. */
  if (copy && !parse_file(copy, dev, NULL, NULL, &line_no)) parse_file(text, dev, keep_theirs, &m, &line_no);
  free(copy);
  append(&out, "%send %d\n", ours.data, m.lines + our_lines);
  struct iovec part = {.iov_base = out.data, .iov_len = out.len};
  if (!out.failed && !g590_file_write(dir, name, &part, 1) && g590_config_get()->verbose)
    fprintf(stderr, "gemm590: learned choices: could not write %s/%s\n", path, name);
out:
  if (lock >= 0) close(lock); /* releases the flock */
  if (dir >= 0) close(dir);
  free(text);
  free(ours.data);
  free(out.data);
}

int g590_adapt_list(FILE *out) {
  const g590_device_info *dev = g590_cl_device();
  if (!dev) return -1;
  text_buf b = {0};
  int count = 0;
  pthread_mutex_lock(&g590_adapt.lock);
  g590_adapt_load(dev);
  for (int i = 0; i < g590_adapt.count; i++) {
    const g590_adapt_class *c = &g590_adapt.classes[i];
    if (!c->settled || c->single) continue;
    class_line(&b, c);
    count++;
  }
  pthread_mutex_unlock(&g590_adapt.lock);
  if (b.data) fputs(b.data, out);
  free(b.data);
  return count;
}

static void clear_classes(void) {
  for (int i = 0; i < g590_adapt.count; i++) free(g590_adapt.classes[i].file_times);
  g590_adapt.count = 0;
}

void g590_adapt_reset(void) {
  pthread_mutex_lock(&g590_adapt.lock);
  clear_classes();
  g590_adapt.loaded = true;
  pthread_mutex_unlock(&g590_adapt.lock);
}

bool g590_adapt_forget(char *why, size_t why_len) {
  const g590_device_info *dev = g590_cl_device();
  if (!dev) {
    snprintf(why, why_len, "no device");
    return false;
  }
  char path[512], name[300];
  g590_adapt_file_name(dev, name, sizeof name);
  g590_adapt_reset();
  int dir = g590_cache_dir_open(false, path, sizeof path);
  bool ok = dir >= 0 && (unlinkat(dir, name, 0) == 0 || errno == ENOENT);
  if (!ok) snprintf(why, why_len, "%s/%s: %s", path, name, dir < 0 ? "no cache directory" : strerror(errno));
  if (dir >= 0) close(dir);
  return ok;
}

void g590_adapt_release(void) {
  clear_classes();
  free(g590_adapt.classes);
  g590_adapt.classes = NULL;
  g590_adapt.cap = 0;
  g590_adapt.loaded = false;
}
