/* Choosing and opening the OpenCL device, once, on the first call that
 * could use it.  Nothing OpenCL happens at library load. */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_engine.h"
#include "table.h"

enum { MAX_PLATFORMS = 16, MAX_DEVICES = 64 };

static g590_engine engine;
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
  /* cl_nv_device_attribute_query: mma.sync m16n8k16 needs sm_80. */
  cl_uint major = 0;
  if (contains_nocase(info->vendor, "NVIDIA") &&
      clGetDeviceInfo(d, CL_DEVICE_COMPUTE_CAPABILITY_MAJOR_NV, sizeof major, &major, NULL) ==
          CL_SUCCESS)
    info->tensor_cores = major >= 8;
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

/* Picks the device: the pool's first, or with several MPI ranks on the
 * node, the pool's (local rank mod size)-th, so that ranks spread over the
 * devices instead of piling onto the first. */
static bool choose_device(cl_platform_id *platform, cl_device_id *device) {
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
    *platform = pl.platform[pick];
    *device = pl.device[pick];
    read_info(*device, &engine.info);
    snprintf(engine.index, sizeof engine.index, "%u:%u", pl.index[pick][0], pl.index[pick][1]);
    snprintf(engine_choice, sizeof engine_choice, "index=%s pool=%d", engine.index, pl.count);
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

static void engine_init(void) {
  cl_int err = CL_SUCCESS;
  engine_started = true;
  if (!choose_device(&engine.platform, &engine.device)) return;
  cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)engine.platform,
                                   0};
  engine.context = G590_CL_OBJECT("clCreateContext", err, CL_OUT_OF_HOST_MEMORY,
                                  clCreateContext(props, 1, &engine.device, NULL, NULL, &err));
  if (g590_cl_failed(err, "clCreateContext", engine_why, sizeof engine_why)) return;
  engine.queue = G590_CL_OBJECT("clCreateCommandQueue", err, CL_OUT_OF_HOST_MEMORY,
                                clCreateCommandQueue(engine.context, engine.device, 0, &err));
  if (!g590_cl_failed(err, "clCreateCommandQueue", engine_why, sizeof engine_why)) {
    /* A second queue for kernels, so transfers overlap them. */
    engine.kernel_queue = clCreateCommandQueue(engine.context, engine.device, 0, &err);
    if (g590_cl_failed(err, "clCreateCommandQueue", engine_why, sizeof engine_why))
      clReleaseCommandQueue(engine.queue);
  }
  if (err != CL_SUCCESS) {
    clReleaseContext(engine.context);
    engine.context = NULL;
    return;
  }
  pthread_mutex_init(&engine.lock, NULL);
  engine.floor_mnk = g590_select_floor(&engine.info);
  engine_ready = true;
  if (g590_config_get()->verbose)
    fprintf(stderr, "gemm590: device \"%s\" (%s, driver %s) %s\n", engine.info.name,
            engine.info.vendor, engine.info.driver, engine_choice);
}

/* Unload (lib/core/unload.c): every OpenCL object the engine made, then the
 * copy pool and the user table.  A forked child's engine is the parent's:
 * its objects are not the child's to release. */
void g590_cl_release(void) {
  if (engine_ready && !forked_child) {
    g590_engine *e = &engine;
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
    engine_ready = false;
    pthread_mutex_unlock(&e->lock);
  }
  g590_cl_copy_pool_stop();
  g590_table_release();
}

bool g590_cl_declines(const g590_job *call) {
  if (forked_child) return true;
  g590_once(&engine_inited, &engine_once, engine_init);
  return !engine_ready ||
         (double)call->m * (double)call->n * (double)call->k < engine.floor_mnk;
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
  return &engine;
}
