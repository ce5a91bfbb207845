/* Choosing and opening the OpenCL devices, once, on the first call that
 * could use them.  Nothing OpenCL happens at library load.  Engine 0 is
 * the process's device; with several devices (GEMM590_DEVICE naming more
 * than one, or several GPUs of one platform), engines 1.. serve the other
 * column ranges of large products (lib/cl/split.c). */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_engine.h"
#include "table.h"

enum { MAX_PLATFORMS = 16, MAX_DEVICES = 64 };

static g590_engine engines[G590_MAX_DEVICES];
static int engine_count;
static bool engine_ready;
static char engine_why[192];
/* Which device of the pool this process took, for the verbose device line:
 * "index=P:D pool=N", with the MPI local rank that chose it. */
static char engine_choice[128];
static pthread_once_t engine_once = PTHREAD_ONCE_INIT;
/* engine_once has run (g590_once): checked first on every call. */
static _Atomic bool engine_inited;

/* Set in a child after fork() once the parent has begun opening the device:
 * the OpenCL objects (possibly half made, by another thread) belong to the
 * parent, and drivers do not survive fork, so the child computes on the
 * host.  The handler is registered when the library loads (no OpenCL is
 * touched then), so no fork can slip in before it. */
static volatile bool engine_started, forked_child;
static void on_fork_child(void) {
  if (engine_started) forked_child = true;
}
__attribute__((constructor)) static void register_fork_handler(void) {
  pthread_atfork(NULL, NULL, on_fork_child);
}

#ifndef CL_DEVICE_COMPUTE_CAPABILITY_MAJOR_NV
#define CL_DEVICE_COMPUTE_CAPABILITY_MAJOR_NV 0x4000
#endif

static bool contains_nocase(const char *haystack, const char *needle) {
  for (; *haystack; haystack++) {
    size_t i = 0;
    while (needle[i] && tolower((unsigned char)haystack[i]) == tolower((unsigned char)needle[i]))
      i++;
    if (!needle[i]) return true;
  }
  return false;
}

static void read_info(cl_device_id d, g590_device_info *info) {
  cl_device_type type = 0;
  cl_ulong local = 0, alloc = 0, global = 0;
  size_t wg = 0;
  cl_uint cu = 0;
  memset(info, 0, sizeof *info);
  clGetDeviceInfo(d, CL_DEVICE_TYPE, sizeof type, &type, NULL);
  clGetDeviceInfo(d, CL_DEVICE_NAME, sizeof info->name - 1, info->name, NULL);
  clGetDeviceInfo(d, CL_DEVICE_VENDOR, sizeof info->vendor - 1, info->vendor, NULL);
  clGetDeviceInfo(d, CL_DRIVER_VERSION, sizeof info->driver - 1, info->driver, NULL);
  clGetDeviceInfo(d, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof wg, &wg, NULL);
  clGetDeviceInfo(d, CL_DEVICE_LOCAL_MEM_SIZE, sizeof local, &local, NULL);
  clGetDeviceInfo(d, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof alloc, &alloc, NULL);
  clGetDeviceInfo(d, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof global, &global, NULL);
  clGetDeviceInfo(d, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof cu, &cu, NULL);
  info->compute_units = cu;
  info->is_gpu = (type & CL_DEVICE_TYPE_GPU) != 0;
  info->is_cpu = (type & CL_DEVICE_TYPE_CPU) != 0;
  info->max_work_group = wg;
  info->local_mem = local;
  uint64_t cap = g590_config_get()->max_buffer;
  info->max_alloc = cap && cap < alloc ? cap : alloc;
  info->global_mem = cap && cap * 4 < global ? cap * 4 : global;
  cl_device_fp_config fp64 = 0;
  clGetDeviceInfo(d, CL_DEVICE_DOUBLE_FP_CONFIG, sizeof fp64, &fp64, NULL);
  info->fp64 = fp64 != 0;
  /* cl_nv_device_attribute_query: mma.sync m16n8k16 needs sm_80, the
   * float64 m16n8k8 shape sm_90. */
  cl_uint major = 0;
  if (contains_nocase(info->vendor, "NVIDIA") &&
      clGetDeviceInfo(d, CL_DEVICE_COMPUTE_CAPABILITY_MAJOR_NV, sizeof major, &major, NULL) ==
          CL_SUCCESS) {
    info->tensor_cores = major >= 8;
    info->f64_mma_16x8x8 = major >= 9;
  }
}

/* Does device `d` (index di of platform index pi) match one entry of
 * GEMM590_DEVICE?  Accepted: "P:D" indices, "gpu", "cpu", "all" (every
 * GPU), or a substring of the device, platform or vendor name
 * (case-insensitive). */
static bool entry_matches(const char *spec, unsigned pi, unsigned di, cl_platform_id p,
                          const g590_device_info *info) {
  unsigned sp, sd;
  char tail;
  if (sscanf(spec, "%u:%u%c", &sp, &sd, &tail) == 2) return sp == pi && sd == di;
  if (strcmp(spec, "gpu") == 0 || strcmp(spec, "all") == 0) return info->is_gpu;
  if (strcmp(spec, "cpu") == 0) return info->is_cpu;
  char pname[256] = "";
  clGetPlatformInfo(p, CL_PLATFORM_NAME, sizeof pname - 1, pname, NULL);
  return contains_nocase(info->name, spec) || contains_nocase(info->vendor, spec) ||
         contains_nocase(pname, spec);
}

/* GEMM590_DEVICE is a comma-separated list of entries: a device is in the
 * pool when it matches any of them. */
static bool device_matches(const char *list, unsigned pi, unsigned di, cl_platform_id p,
                           const g590_device_info *info) {
  char spec[128];
  for (const char *s = list; *s;) {
    size_t len = strcspn(s, ",");
    snprintf(spec, sizeof spec, "%.*s", (int)(len < sizeof spec ? len : sizeof spec - 1), s);
    if (spec[0] && entry_matches(spec, pi, di, p, info)) return true;
    s += len + (s[len] == ',');
  }
  return false;
}

/* This process's rank among the processes of its node, from the variables
 * MPI launchers set (Open MPI, MPICH/Intel MPI, Slurm), or -1. */
static int node_local_rank(const char **from) {
  static const char *const names[] = {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID",
                                      "SLURM_LOCALID"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    const char *v = getenv(names[i]);
    char *end;
    long r = v ? strtol(v, &end, 10) : -1;
    if (v && *v && !*end && r >= 0 && r < INT_MAX) {
      *from = names[i];
      return (int)r;
    }
  }
  return -1;
}

/* The devices a process may take, in platform and device order: those
 * GEMM590_DEVICE matches; else the GPUs; else, only when a test forces a
 * kernel family, every device. */
enum { MAX_POOL = 16 };
typedef struct pool {
  cl_platform_id platform[MAX_POOL];
  cl_device_id device[MAX_POOL];
  unsigned index[MAX_POOL][2]; /* platform and device indices, "P:D" */
  int count;
} pool;

/* True when GEMM590_DEVICE names several devices explicitly: a list, or
 * "all". */
static bool names_several(const char *spec) {
  return spec && (strchr(spec, ',') || strcmp(spec, "all") == 0);
}

/* Picks the devices into engines[]: with several MPI ranks on the node,
 * the pool's (local rank mod size)-th alone, so that ranks spread over the
 * devices instead of piling onto the first; else every device of the pool
 * when GEMM590_DEVICE names several, every GPU of the first one's platform
 * when it is unset, and the pool's first otherwise. */
static bool choose_devices(void) {
  const g590_config *cfg = g590_config_get();
  cl_platform_id platforms[MAX_PLATFORMS];
  cl_uint np = 0;
  cl_int err = G590_CL("clGetPlatformIDs", clGetPlatformIDs(MAX_PLATFORMS, platforms, &np));
  if (err == CL_PLATFORM_NOT_FOUND_KHR || (err == CL_SUCCESS && np == 0)) {
    snprintf(engine_why, sizeof engine_why, "no device: no OpenCL platform");
    return false;
  }
  if (g590_cl_failed(err, "clGetPlatformIDs", engine_why, sizeof engine_why)) return false;
  if (np > MAX_PLATFORMS) np = MAX_PLATFORMS;

  bool any_fallback = cfg->kernel != NULL && cfg->device == NULL;
  bool found_any = false;
  pool pl = {.count = 0};
  for (int pass = 0; pass < (any_fallback ? 2 : 1) && pl.count == 0; pass++) {
    for (cl_uint pi = 0; pi < np; pi++) {
      cl_device_id devices[MAX_DEVICES];
      cl_uint nd = 0;
      err = G590_CL("clGetDeviceIDs",
                    clGetDeviceIDs(platforms[pi], CL_DEVICE_TYPE_ALL, MAX_DEVICES, devices, &nd));
      if (err == CL_DEVICE_NOT_FOUND) continue;
      if (g590_cl_failed(err, "clGetDeviceIDs", engine_why, sizeof engine_why)) return false;
      if (nd > MAX_DEVICES) nd = MAX_DEVICES;
      for (cl_uint di = 0; di < nd; di++) {
        g590_device_info info;
        read_info(devices[di], &info);
        found_any = true;
        bool match = cfg->device ? device_matches(cfg->device, pi, di, platforms[pi], &info)
                                 : (pass == 0 ? info.is_gpu : true);
        if (match && pl.count < MAX_POOL) {
          pl.platform[pl.count] = platforms[pi];
          pl.device[pl.count] = devices[di];
          pl.index[pl.count][0] = pi, pl.index[pl.count][1] = di;
          pl.count++;
        }
      }
    }
  }
  if (pl.count > 0) {
    const char *from = NULL;
    int rank = node_local_rank(&from), pick = rank >= 0 ? rank % pl.count : 0;
    bool all = rank < 0 && (names_several(cfg->device) || !cfg->device);
    for (int i = 0; i < pl.count && engine_count < G590_MAX_DEVICES; i++) {
      if (i != pick && (!all || (!cfg->device && pl.platform[i] != pl.platform[pick]))) continue;
      g590_engine *e = &engines[engine_count++];
      e->platform = pl.platform[i];
      e->device = pl.device[i];
      read_info(e->device, &e->info);
      snprintf(e->index, sizeof e->index, "%u:%u", pl.index[i][0], pl.index[i][1]);
    }
    snprintf(engine_choice, sizeof engine_choice, "pool=%d", pl.count);
    if (rank >= 0)
      snprintf(engine_choice + strlen(engine_choice), sizeof engine_choice - strlen(engine_choice),
               " local_rank=%d (%s)", rank, from);
    return true;
  }
  if (cfg->device)
    snprintf(engine_why, sizeof engine_why, "no device: GEMM590_DEVICE=%s matches none",
             cfg->device);
  else
    snprintf(engine_why, sizeof engine_why, "no device: %s",
             found_any ? "no OpenCL GPU (GEMM590_DEVICE=cpu or a name selects another device)"
                       : "no OpenCL device");
  return false;
}

/* Context and queues for engine e; false with engine_why on failure. */
static bool engine_open(g590_engine *e) {
  cl_int err = CL_SUCCESS;
  cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)e->platform, 0};
  e->context = G590_CL_OBJECT("clCreateContext", err, CL_OUT_OF_HOST_MEMORY,
                              clCreateContext(props, 1, &e->device, NULL, NULL, &err));
  if (g590_cl_failed(err, "clCreateContext", engine_why, sizeof engine_why)) return false;
  e->queue = G590_CL_OBJECT("clCreateCommandQueue", err, CL_OUT_OF_HOST_MEMORY,
                            clCreateCommandQueue(e->context, e->device, 0, &err));
  if (!g590_cl_failed(err, "clCreateCommandQueue", engine_why, sizeof engine_why)) {
    /* A second queue for kernels, so transfers overlap them. */
    e->kernel_queue = clCreateCommandQueue(e->context, e->device, 0, &err);
    if (g590_cl_failed(err, "clCreateCommandQueue", engine_why, sizeof engine_why))
      clReleaseCommandQueue(e->queue);
  }
  if (err != CL_SUCCESS) {
    clReleaseContext(e->context);
    e->context = NULL;
    return false;
  }
  pthread_mutex_init(&e->lock, NULL);
  e->floor_mnk = g590_select_floor(&e->info);
  if (g590_config_get()->verbose)
    fprintf(stderr, "gemm590: device \"%s\" (%s, driver %s) index=%s %s\n", e->info.name,
            e->info.vendor, e->info.driver, e->index, engine_choice);
  return true;
}

static void engine_init(void) {
  engine_started = true;
  if (!choose_devices()) return;
  /* The process's device must open; another that does not is left out. */
  int opened = 0;
  for (int i = 0; i < engine_count; i++)
    if (engine_open(&engines[i])) engines[opened++] = engines[i];
    else if (i == 0) break;
  engine_count = opened;
  engine_ready = opened > 0;
}

/* Unload (lib/core/unload.c): every OpenCL object the engine made, then the
 * copy pool and the user table.  A forked child's engine is the parent's:
 * its objects are not the child's to release. */
void g590_cl_release(void) {
  for (int i = 0; engine_ready && !forked_child && i < engine_count; i++) {
    g590_engine *e = &engines[i];
    pthread_mutex_lock(&e->lock);
    clFinish(e->kernel_queue);
    clFinish(e->queue);
    g590_cl_programs_release(e);
    g590_cl_buffers_release(e);
    clReleaseCommandQueue(e->kernel_queue);
    clReleaseCommandQueue(e->queue);
    clReleaseContext(e->context);
    e->kernel_queue = e->queue = NULL;
    e->context = NULL;
    pthread_mutex_unlock(&e->lock);
  }
  engine_ready = false;
  g590_cl_copy_pool_stop();
  g590_table_release();
}

double g590_cl_floor_mnk(void) {
  if (forked_child) return INFINITY;
  g590_once(&engine_inited, &engine_once, engine_init);
  return engine_ready ? engines[0].floor_mnk : INFINITY;
}

bool g590_cl_declines(const g590_job *call) {
  return (double)call->m * (double)call->n * (double)call->k < g590_cl_floor_mnk();
}

const g590_device_info *g590_cl_device(void) {
  if (forked_child) return NULL;
  g590_once(&engine_inited, &engine_once, engine_init);
  return engine_ready ? &engines[0].info : NULL;
}

g590_engine *g590_cl_engine_get(char *why, size_t why_len) {
  if (forked_child) {
    snprintf(why, why_len, "forked child: the device belongs to the parent process");
    return NULL;
  }
  g590_once(&engine_inited, &engine_once, engine_init);
  if (!engine_ready) {
    snprintf(why, why_len, "%s", engine_why);
    return NULL;
  }
  return &engines[0];
}

int g590_cl_engines(g590_engine **list) {
  *list = engines;
  return engine_ready && !forked_child ? engine_count : 0;
}
