/* gemm590-tune's CSV: one row per (shape, candidate), written as each is
 * measured and read back on a rerun, so that an interrupted run resumes.
 * tuning/train.py reads it. */
#include <stdlib.h>
#include <string.h>

#include "tune.h"

/* padded, panels: how a device candidate's call crossed the link (operands
 * copied to whole tiles or not; C cut into that many column panels, see
 * lib/cl_pipeline.c).  train.py models the link time per such class: the
 * tile decides it as much as the shape does.  0 for the host.  routine
 * (last, so that readers that index the columns before it still work):
 * sgemm, dgemm, ssyrk or dsyrk; train.py makes one table entry of each. */
static const char csv_header[] = "device,vendor,type,driver,m,n,k,ta,tb,candidate,params,"
                                 "wg_items,local_bytes,e2e_s,resident_s,ok,padded,panels,"
                                 "routine";
enum { CSV_FIELDS = 19 };

static void csv_string(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"') fputc('"', f);
    fputc(*s, f);
  }
  fputc('"', f);
}

/* Splits one CSV line into at most `max` fields in place (quotes removed);
 * returns the field count. */
static int csv_split(char *line, char **fields, int max) {
  int n = 0;
  char *p = line;
  while (n < max) {
    char *out = p;
    fields[n++] = out;
    if (*p == '"') {
      p++;
      for (;;) {
        if (!*p) break;
        if (*p == '"' && p[1] == '"') {
          *out++ = '"';
          p += 2;
        } else if (*p == '"') {
          p++;
          break;
        } else {
          *out++ = *p++;
        }
      }
      while (*p && *p != ',') p++;
    } else {
      while (*p && *p != ',' && *p != '\n' && *p != '\r') out++, p++;
    }
    char end = *p;
    *out = '\0';
    if (end != ',') break;
    p++;
  }
  return n;
}

static void add_row(tuner *t, const row *r) {
  if (t->n_rows == t->cap_rows) {
    t->cap_rows = t->cap_rows ? 2 * t->cap_rows : 1024;
    t->rows = realloc(t->rows, t->cap_rows * sizeof *t->rows);
    if (!t->rows) tune_die("out of memory");
  }
  t->rows[t->n_rows++] = *r;
}

const row *tune_find_row(const tuner *t, const shape *s, const char *label) {
  for (size_t i = 0; i < t->n_rows; i++) {
    const row *r = &t->rows[i];
    if (r->s.m == s->m && r->s.n == s->n && r->s.k == s->k && r->s.ta == s->ta &&
        r->s.tb == s->tb && strcmp(r->label, label) == 0 && r->routine == t->routine)
      return r;
  }
  return NULL;
}

static double parse_time(const char *s) { return *s ? atof(s) : -1; }

/* Reads the rows of an earlier run on the same device; creates the file
 * with its header when there is none. */
void tune_csv_open(tuner *t, const char *path) {
  const g590_device_info *dev = &t->e->info;
  FILE *f = fopen(path, "r");
  if (f) {
    char line[2048];
    int line_no = 0;
    while (fgets(line, sizeof line, f)) {
      line_no++;
      line[strcspn(line, "\r\n")] = '\0';
      if (line_no == 1) {
        if (strcmp(line, csv_header) != 0)
          tune_die("%s: not a CSV of this gemm590-tune (header differs): choose another --out",
                   path);
        continue;
      }
      char *fld[CSV_FIELDS];
      if (!line[0]) continue;
      if (csv_split(line, fld, CSV_FIELDS) != CSV_FIELDS) {
        /* A run killed mid-line leaves a partial last row: measure it again. */
        fprintf(stderr, "gemm590-tune: %s:%d: incomplete row ignored\n", path, line_no);
        continue;
      }
      if (strcmp(fld[0], dev->name) != 0)
        tune_die("%s holds measurements of \"%s\", not of this device \"%s\": choose another "
                 "--out", path, fld[0], dev->name);
      row r = {{atoll(fld[4]), atoll(fld[5]), atoll(fld[6]), atoi(fld[7]) != 0,
                atoi(fld[8]) != 0},
               "", g590_routine_find(fld[18]), parse_time(fld[13]), parse_time(fld[14]),
               atoi(fld[15])};
      if (strcmp(fld[9], "host") == 0) snprintf(r.label, sizeof r.label, "host");
      else snprintf(r.label, sizeof r.label, "%s %s", fld[9], fld[10]);
      add_row(t, &r);
    }
    fclose(f);
  }
  t->csv = fopen(path, "a");
  if (!t->csv) tune_die("cannot write %s", path);
  if (!f) fprintf(t->csv, "%s\n", csv_header);
  size_t mine = 0; /* this routine's rows: what resuming skips */
  for (size_t i = 0; i < t->n_rows; i++) mine += t->rows[i].routine == t->routine;
  if (mine)
    fprintf(stderr, "gemm590-tune: resuming: %zu %s rows already in %s\n", mine,
            t->routine->name, path);
}

void tune_csv_write(tuner *t, const shape *s, const candidate *c, const char *host_how,
                    double e2e, double resident, int ok, int64_t panels) {
  const g590_device_info *dev = &t->e->info;
  FILE *f = t->csv;
  csv_string(f, dev->name);
  fputc(',', f);
  csv_string(f, dev->vendor);
  fprintf(f, ",%s,", dev->is_gpu ? "gpu" : dev->is_cpu ? "cpu" : "other");
  csv_string(f, dev->driver);
  fprintf(f, ",%lld,%lld,%lld,%d,%d,", (long long)s->m, (long long)s->n, (long long)s->k, s->ta,
          s->tb);
  csv_string(f, c->family ? c->family->name : "host");
  fputc(',', f);
  csv_string(f, c->family ? c->options : host_how);
  fprintf(f, ",%zu,%zu,", c->wg_items, c->local_bytes);
  if (e2e > 0) fprintf(f, "%.6e", e2e);
  fputc(',', f);
  if (resident > 0) fprintf(f, "%.6e", resident);
  fprintf(f, ",%d,%d,%lld,%s\n", ok, c->family && c->family->padded, (long long)panels,
          t->routine->name);
  fflush(f);
  row r = {*s, "", t->routine, e2e, resident, ok};
  tune_label(c, r.label, sizeof r.label);
  add_row(t, &r);
}
