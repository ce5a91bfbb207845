/* gemm590-info: what libgemm590 sees and would do.
 *
 *   gemm590-info [--table] [--fp16] [M N K [TA TB]]
 *
 * Prints the OpenCL platforms and devices, the device libgemm590 would use
 * (GEMM590_DEVICE applies), the decision-table entry that serves it, and,
 * for a shape given as in a column-major call (TA, TB: N or T), which path
 * and kernel would run and why; with --fp16, for binary16 operands
 * (gemm590_hgemm, or cblas_sgemm with the fp16 opt-in).  --table prints
 * every table entry (the user file's, then the embedded ones) leaf by leaf. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_engine.h"
#include "gemm590.h"
#include "table.h"

static const char *const match_names[] = {"device name", "vendor and type", "device type"};

static void list_devices(void) {
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
    cl_device_id devices[64];
    cl_uint nd = 0;
    if (clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, 64, devices, &nd) != CL_SUCCESS) nd = 0;
    if (nd > 64) nd = 64;
    for (cl_uint d = 0; d < nd; d++) {
      char name[256] = "", vendor[128] = "", driver[128] = "";
      cl_device_type type = 0;
      clGetDeviceInfo(devices[d], CL_DEVICE_NAME, sizeof name - 1, name, NULL);
      clGetDeviceInfo(devices[d], CL_DEVICE_VENDOR, sizeof vendor - 1, vendor, NULL);
      clGetDeviceInfo(devices[d], CL_DRIVER_VERSION, sizeof driver - 1, driver, NULL);
      clGetDeviceInfo(devices[d], CL_DEVICE_TYPE, sizeof type, &type, NULL);
      printf("  device %u:%u  %s  \"%s\" (%s, driver %s)\n", p, d,
             (type & CL_DEVICE_TYPE_GPU) ? "GPU" : (type & CL_DEVICE_TYPE_CPU) ? "CPU" : "other",
             name, vendor, driver);
    }
  }
}

static void print_choice(const g590_table_choice *c) {
  if (c->family) printf("%s %s", c->family, c->defines);
  else printf("host BLAS");
}

static void dump_entry(const g590_table_entry *t, bool in_use) {
  printf("%s entry %s: %s", in_use ? "*" : " ", t->id, match_names[t->match]);
  if (t->key) printf(" \"%s\"", t->key);
  printf(", %s%s\n", t->type == G590_TYPE_GPU ? "GPU" : "CPU",
         t->host_measured ? "" : ", no host timings (host below GEMM590_MIN_DEVICE_FLOPS)");
  for (int i = 0; i < t->n_nodes; i++) {
    if (t->nodes[i].feature != G590_FEATURE_LEAF) continue;
    char cond[160];
    g590_table_describe(t, i, cond, sizeof cond);
    printf("    leaf %d: %s -> ", i, cond);
    print_choice(&t->choices[t->nodes[i].choice]);
    printf("\n");
  }
}

static bool parse_trans(const char *s, bool *out) {
  if (strcmp(s, "N") == 0 || strcmp(s, "n") == 0) *out = false;
  else if (strcmp(s, "T") == 0 || strcmp(s, "t") == 0 || strcmp(s, "C") == 0) *out = true;
  else return false;
  return true;
}

int main(int argc, char **argv) {
  bool table = false, fp16 = false;
  const char *dims[5];
  int n_dims = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--table") == 0) table = true;
    else if (strcmp(argv[i], "--fp16") == 0) fp16 = true;
    else if (n_dims < 5 && argv[i][0] != '-') dims[n_dims++] = argv[i];
    else n_dims = 9;
  }
  g590_call call = {.entry = "gemm590-info", .layout = 'C', .user_ta = 'N', .user_tb = 'N',
                    .alpha = 1.0f, .beta = 0.0f, .fp16_ok = fp16};
  if (n_dims == 3 || n_dims == 5) {
    call.m = call.user_m = atoll(dims[0]);
    call.n = call.user_n = atoll(dims[1]);
    call.k = atoll(dims[2]);
  }
  if ((n_dims != 0 && n_dims != 3 && n_dims != 5) ||
      (n_dims == 5 && (!parse_trans(dims[3], &call.trans_a) ||
                       !parse_trans(dims[4], &call.trans_b))) ||
      (n_dims && (call.m < 1 || call.n < 1 || call.k < 1))) {
    fprintf(stderr, "usage: gemm590-info [--table] [--fp16] [M N K [TA TB]]   (TA, TB: N or T)\n");
    return 2;
  }
  call.user_ta = call.trans_a ? 'T' : 'N';
  call.user_tb = call.trans_b ? 'T' : 'N';

  printf("libgemm590 %s\n", gemm590_version());
  list_devices();
  char why[192];
  g590_engine *e = g590_engine_get(why, sizeof why);
  const g590_table_entry *entry = NULL;
  if (!e) {
    printf("libgemm590's device: none (%s): every call runs on the host BLAS\n", why);
  } else {
    const g590_device_info *d = &e->info;
    printf("libgemm590's device: \"%s\" (%s, driver %s), %u compute units, %zu work-items, "
           "%llu KiB local memory%s\n",
           d->name, d->vendor, d->driver, d->compute_units, d->max_work_group,
           (unsigned long long)(d->local_mem >> 10),
           d->tensor_cores ? ", tensor cores (tensor_f16)" : "");
    entry = g590_table_find(d);
  }
  const g590_table_entry *user_entries;
  int n_user;
  const char *file = g590_table_file(&user_entries, &n_user);
  printf("user table file: %s\n", file ? file : "none (GEMM590_TABLE or <cache dir>/table.txt)");
  if (entry)
    printf("table entry: %s (matched by %s)\n", entry->id, match_names[entry->match]);
  else if (e)
    printf("table entry: none matches: the rules of lib/select.c decide\n");

  if (n_dims && e) {
    char rule[160] = "";
    if (entry) {
      int leaf = g590_table_leaf(entry, &call, rule, sizeof rule);
      printf("%lldx%lldx%lld %c%c: %s -> ", (long long)call.m, (long long)call.n,
             (long long)call.k, call.user_ta, call.user_tb, rule);
      print_choice(&entry->choices[entry->nodes[leaf].choice]);
      printf("\n");
    }
    g590_plan plan;
    if (g590_select(&call, &e->info, &plan, why, sizeof why))
      printf("would run: device, kernel %s params \"%s\" (%s)\n", plan.family->name,
             plan.defines, plan.rule);
    else
      printf("would run: host BLAS (%s)\n", why);
  } else if (n_dims) {
    printf("would run: host BLAS (no device)\n");
  }

  if (table) {
    printf("\ntables, in lookup order (* = the entry for this device):\n");
    for (int i = 0; file && i < n_user; i++) dump_entry(&user_entries[i], &user_entries[i] == entry);
    for (int i = 0; i < g590_embedded_table_count; i++)
      dump_entry(&g590_embedded_tables[i], &g590_embedded_tables[i] == entry);
  }
  return 0;
}
