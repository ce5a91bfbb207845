/* See bench_providers.h. */
#include "bench_providers.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* ---- NVBLAS ---- */
static char nvblas_config[64];

/* NVBLAS refuses to start without a CPU BLAS for the calls it keeps on the
 * host; the full path is what its documentation asks for. */
static bool write_nvblas_config(const char *host_blas, char *why, size_t why_len) {
  const char *tmp = getenv("TMPDIR");
  snprintf(nvblas_config, sizeof nvblas_config, "%s/gemm590-nvblas-XXXXXX", tmp ? tmp : "/tmp");
  int fd = mkstemp(nvblas_config);
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (!f) {
    snprintf(why, why_len, "cannot write an NVBLAS config in %s: %s", tmp ? tmp : "/tmp",
             strerror(errno));
    if (fd >= 0) close(fd);
    nvblas_config[0] = '\0';
    return false;
  }
  fprintf(f, "NVBLAS_CPU_BLAS_LIB %s\nNVBLAS_GPU_LIST ALL\n", host_blas);
  fclose(f);
  setenv("NVBLAS_CONFIG_FILE", nvblas_config, 1);
  return true;
}

fortran_sgemm_fn bench_nvblas_open(const char *lib, const char *host_blas, char *why,
                                   size_t why_len) {
  if (!getenv("NVBLAS_CONFIG_FILE") && !write_nvblas_config(host_blas, why, why_len))
    return NULL;
  void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    snprintf(why, why_len, "%s", dlerror());
    return NULL;
  }
  fortran_sgemm_fn fn = (fortran_sgemm_fn)dlsym(h, "sgemm_");
  if (!fn) snprintf(why, why_len, "%s has no sgemm_", lib);
  return fn;
}

void bench_nvblas_close(void) {
  if (nvblas_config[0]) unlink(nvblas_config);
  nvblas_config[0] = '\0';
}

/* ---- cuBLAS through another program ---- */
int bench_cublas_run(const char *cmd, const shape *shapes, int nshapes, const char trans[3],
                     ext_row *rows, int max_rows, char *why, size_t why_len) {
  size_t len = strlen(cmd) + 16 + (size_t)nshapes * 72;
  char *line = malloc(len), *p = line;
  p += sprintf(p, "%s", cmd);
  for (int i = 0; i < nshapes; i++)
    p += sprintf(p, " %ldx%ldx%ld:%s", shapes[i].m, shapes[i].n, shapes[i].k, trans);
  /* stderr too: a failing command's last line (the Python exception) is
   * the note the bench prints instead of a traceback. */
  sprintf(p, " 2>&1");
  FILE *f = popen(line, "r");
  free(line);
  why[0] = '\0';
  if (!f) {
    snprintf(why, why_len, "cannot start %s: %s", cmd, strerror(errno));
    return 0;
  }
  int n = 0;
  char buf[1024], last[256] = "";
  while (fgets(buf, sizeof buf, f)) {
    ext_row r;
    char t[4];
    if (n < max_rows &&
        sscanf(buf, "cublas,%ld,%ld,%ld,%3[NT],%15[a-z2],%lf", &r.m, &r.n, &r.k, t, r.mode,
               &r.seconds) == 6) {
      rows[n++] = r;
    } else if (strncmp(buf, "what,", 5)) {
      buf[strcspn(buf, "\n")] = '\0';
      if (buf[0]) snprintf(last, sizeof last, "%.*s", (int)sizeof last - 1, buf);
    }
  }
  int status = pclose(f);
  if (status != 0)
    snprintf(why, why_len, "`%s` failed (exit %d)%s%s", cmd,
             WIFEXITED(status) ? WEXITSTATUS(status) : -1, last[0] ? ": " : "", last);
  return n;
}

/* ---- CLBlast with tuned parameters ---- */

/* The value of "key" in a flat JSON text, with its quotes removed when it
 * is a string: the tuner writes its header fields as strings
 * ("precision": "32") and its results as numbers. */
static bool json_value(const char *json, const char *key, char *out, size_t out_len) {
  char pattern[64];
  snprintf(pattern, sizeof pattern, "\"%s\":", key);
  const char *p = strstr(json, pattern);
  if (!p) return false;
  p += strlen(pattern);
  p += strspn(p, " \t\n\"");
  size_t n = strcspn(p, "\",}\n");
  if (n >= out_len) n = out_len - 1;
  memcpy(out, p, n);
  out[n] = '\0';
  return true;
}

static double json_number(const char *json, const char *key) {
  char v[64];
  return json_value(json, key, v, sizeof v) ? atof(v) : 0;
}

/* Parses the "parameters": { "NAME": value, ... } object at `p`.  The
 * tuner adds PRECISION, which is no Xgemm parameter: CLBlast refuses an
 * override that names anything beyond the kernel's own set. */
static bool parse_parameters(const char *p, tuned_params *out) {
  p = strchr(p, '{');
  if (!p) return false;
  out->count = 0;
  for (;;) {
    char name[16];
    unsigned long value;
    int used = 0;
    p += strspn(p, "{, \t\n");
    if (*p == '}' || !*p) break;
    if (sscanf(p, "\"%15[A-Z_0-9]\": %lu%n", name, &value, &used) != 2) return false;
    p += used;
    if (!strcmp(name, "PRECISION")) continue;
    if (out->count == TUNED_MAX_PARAMS) return false;
    snprintf(out->names[out->count], sizeof out->names[0], "%s", name);
    out->values[out->count++] = value;
  }
  return out->count > 0;
}

/* Folds the results of one tuner file into *best. */
static void consider_file(const char *path, tuned_params *best) {
  FILE *f = fopen(path, "r");
  if (!f) return;
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  rewind(f);
  char *json = malloc((size_t)size + 1);
  size_t got = fread(json, 1, (size_t)size, f);
  json[got] = '\0';
  fclose(f);
  char precision[16];
  const char *results = strstr(json, "\"results\"");
  /* The files of other shapes are compared by GFLOPS: the lowest time
   * per flop, whatever size the tuner ran. */
  double flops = 2.0 * json_number(json, "arg_m") * json_number(json, "arg_n") *
                 json_number(json, "arg_k");
  if (json_value(json, "precision", precision, sizeof precision) && !strcmp(precision, "32") &&
      results && flops > 0) {
    for (const char *r = strstr(results, "\"time\":"); r; r = strstr(r + 1, "\"time\":")) {
      double ms = json_number(r, "time");
      const char *params = strstr(r, "\"parameters\":");
      tuned_params cand;
      if (ms <= 0 || !params || !parse_parameters(params, &cand)) continue;
      cand.gflops = flops / (ms * 1e-3) / 1e9;
      if (cand.gflops > best->gflops) {
        snprintf(cand.file, sizeof cand.file, "%.*s", (int)sizeof cand.file - 1, path);
        *best = cand;
      }
    }
  }
  free(json);
}

bool bench_clblast_tuned_load(const char *dir, tuned_params *p, char *why, size_t why_len) {
  DIR *d = opendir(dir);
  if (!d) {
    snprintf(why, why_len, "cannot read %s: %s", dir, strerror(errno));
    return false;
  }
  memset(p, 0, sizeof *p);
  int files = 0;
  for (struct dirent *de; (de = readdir(d));) {
    size_t n = strlen(de->d_name);
    if (strncmp(de->d_name, "clblast_xgemm_", 14) || n < 5 || strcmp(de->d_name + n - 5, ".json"))
      continue;
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    consider_file(path, p);
    files++;
  }
  closedir(d);
  if (p->count == 0)
    snprintf(why, why_len, "%s: %d clblast_xgemm_*.json file(s), no single-precision result",
             dir, files);
  return p->count > 0;
}

typedef int (*clblast_override_fn)(cl_device_id, const char *, int, size_t, const char **,
                                   const size_t *);

bool bench_clblast_override(void *clblast, cl_device_id device, const tuned_params *p,
                            char *why, size_t why_len) {
  clblast_override_fn fn =
      clblast ? (clblast_override_fn)dlsym(clblast, "CLBlastOverrideParameters") : NULL;
  if (!fn) {
    snprintf(why, why_len, "libclblast has no CLBlastOverrideParameters");
    return false;
  }
  const char *names[TUNED_MAX_PARAMS];
  for (size_t i = 0; i < p->count; i++) names[i] = p->names[i];
  int status = fn(device, "Xgemm", 32 /* kCLBlastPrecisionSingle */, p->count, names, p->values);
  if (status != 0) snprintf(why, why_len, "CLBlastOverrideParameters returned %d", status);
  return status == 0;
}

/* ---- plot ---- */

/* Runs `python plot.py ARGS...`: its exit status, or -1 with `why` when
 * it could not start. */
static int run_plot(const char *python, const char *arg1, const char *arg2, char *why,
                    size_t why_len) {
  /* The path meson gave names the source tree of the build; a devpkg
   * carried to another machine runs from a checkout's root instead. */
  const char *script = access(PLOT_SCRIPT, R_OK) == 0 ? PLOT_SCRIPT : "bench/plot.py";
  char *argv[] = {(char *)python, (char *)script, (char *)arg1, (char *)arg2, NULL};
  pid_t pid;
  int err = posix_spawnp(&pid, python, NULL, NULL, argv, environ), status = 0;
  if (err) {
    snprintf(why, why_len, "cannot run %s: %s (--python or $PYTHON chooses the Python)", python,
             strerror(err));
    return -1;
  }
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool bench_plot_ready(const char *python, char *why, size_t why_len) {
  int rc = run_plot(python, "--check", NULL, why, why_len);
  if (rc == 3)
    snprintf(why, why_len,
             "%s has no matplotlib (--python or $PYTHON chooses another Python, e.g. "
             "/usr/bin/python3 with Debian's python3-matplotlib)",
             python);
  else if (rc > 0)
    snprintf(why, why_len, "%s bench/plot.py --check exited with %d", python, rc);
  return rc == 0;
}

bool bench_plot(const char *python, const char *csv, const char *png, char *why,
                size_t why_len) {
  int rc = run_plot(python, csv, png, why, why_len);
  if (rc > 0) snprintf(why, why_len, "%s bench/plot.py exited with %d", python, rc);
  return rc == 0;
}
