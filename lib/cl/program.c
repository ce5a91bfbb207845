/* Program cache: in memory for the life of the process, and on disk as
 * device binaries so a second process skips the compiler.
 *
 * Disk files are named by a hash of their key (device name, driver
 * version, source hash, options) and hold the whole key, so a foreign,
 * truncated or corrupt file is detected (key, size and checksum must all
 * match) and rebuilt, never trusted.  That protects against damage, not
 * against other users: the directory and files are used only when no one
 * else can write them, and written through exclusive temporary files
 * renamed into place, so concurrent processes see either nothing or a
 * whole file (lib/core/trusted_file.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cl_engine.h"
#include "kernel_sources.h"
#include "trusted_file.h"

struct g590_program {
  char *key;        /* family + " " + options */
  cl_program program;
  cl_kernel kernel; /* NULL when the build failed: not retried */
  char why[96];     /* the failure, when kernel is NULL */
  g590_program *next;
};

static const char file_magic[8] = {'G', '5', '9', '0', 'B', 'I', 'N', '1'};
#define FNV_SEED 0xcbf29ce484222325ull
/* Far above any device binary of these kernels (PoCL's are about a
 * megabyte): a larger file is not one of ours. */
#define MAX_FILE_BYTES ((size_t)256 << 20)

static uint64_t fnv1a(const void *data, size_t len, uint64_t h) {
  const unsigned char *p = data;
  for (size_t i = 0; i < len; i++) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

static const char *family_source(const char *family) {
  for (int i = 0; g590_kernel_sources[i].family; i++)
    if (strcmp(g590_kernel_sources[i].family, family) == 0) return g590_kernel_sources[i].source;
  return NULL;
}

/* File layout: magic[8], u32 key length, key, u64 binary length,
 * u64 FNV-1a of the binary, binary.  Returns the binary inside `file`. */
static const unsigned char *parse_cache_file(const char *file, size_t len, const char *key,
                                             size_t *bin_len) {
  uint32_t key_len;
  uint64_t blen, sum;
  size_t head = sizeof file_magic + sizeof key_len;
  if (len < head || memcmp(file, file_magic, sizeof file_magic) != 0) return NULL;
  memcpy(&key_len, file + sizeof file_magic, sizeof key_len);
  if (key_len != strlen(key) || len < head + key_len + 16) return NULL;
  if (memcmp(file + head, key, key_len) != 0) return NULL;
  memcpy(&blen, file + head + key_len, 8);
  memcpy(&sum, file + head + key_len + 8, 8);
  const unsigned char *bin = (const unsigned char *)file + head + key_len + 16;
  if (blen == 0 || blen != len - (head + key_len + 16) || fnv1a(bin, blen, FNV_SEED) != sum)
    return NULL;
  *bin_len = blen;
  return bin;
}

static void write_cache_file(int dir, const char *name, const char *key,
                             const unsigned char *bin, size_t bin_len) {
  uint32_t key_len = (uint32_t)strlen(key);
  uint64_t blen = bin_len, sum = fnv1a(bin, bin_len, FNV_SEED);
  const struct iovec parts[] = {
      {(void *)file_magic, sizeof file_magic}, {&key_len, sizeof key_len},
      {(void *)key, key_len}, {&blen, sizeof blen}, {&sum, sizeof sum},
      {(void *)bin, bin_len}};
  g590_file_write(dir, name, parts, (int)(sizeof parts / sizeof *parts));
}

static void print_build_log(g590_engine *e, cl_program program) {
  if (!g590_config_get()->verbose) return;
  size_t len = 0;
  if (clGetProgramBuildInfo(program, e->device, CL_PROGRAM_BUILD_LOG, 0, NULL, &len) != CL_SUCCESS)
    return;
  char *log = malloc(len + 1);
  if (!log) return;
  if (clGetProgramBuildInfo(program, e->device, CL_PROGRAM_BUILD_LOG, len, log, NULL) ==
      CL_SUCCESS) {
    log[len] = '\0';
    fprintf(stderr, "gemm590: build log:\n%s\n", log);
  }
  free(log);
}

static cl_program build(g590_engine *e, cl_program program, const char *options, char *why,
                        size_t why_len) {
  cl_int err = G590_CL("clBuildProgram",
                       clBuildProgram(program, 1, &e->device, options, NULL, NULL));
  if (g590_cl_failed(err, "clBuildProgram", why, why_len)) {
    print_build_log(e, program);
    clReleaseProgram(program);
    return NULL;
  }
  return program;
}

/* A program from file `name` of the disk cache `dir` (`path` in
 * messages), or NULL (missing, untrusted, foreign or corrupt). */
static cl_program load_cached(g590_engine *e, int dir, const char *name, const char *path,
                              const char *key, const char *options) {
  size_t len = 0, bin_len = 0;
  char *file = NULL, why[128];
  g590_file_status status = g590_file_read(dir, name, MAX_FILE_BYTES, &file, &len, why,
                                           sizeof why);
  if (status == G590_FILE_MISSING) return NULL;
  /* Not a corrupt file but someone else's, or a trap: said even when not
   * verbose.  The rebuilt program's file then replaces it. */
  if (status == G590_FILE_UNTRUSTED) {
    fprintf(stderr, "gemm590: warning: cache file %s is %s; ignored\n", path, why);
    return NULL;
  }
  const unsigned char *bin = file ? parse_cache_file(file, len, key, &bin_len) : NULL;
  cl_program program = NULL;
  if (bin) {
    cl_int err = CL_SUCCESS, status = CL_SUCCESS;
    program = G590_CL_OBJECT("clCreateProgramWithBinary", err, CL_INVALID_BINARY,
                             clCreateProgramWithBinary(e->context, 1, &e->device, &bin_len, &bin,
                                                       &status, &err));
    char ignored[96];
    if (err != CL_SUCCESS || status != CL_SUCCESS) {
      g590_cl_failed(err != CL_SUCCESS ? err : status, "clCreateProgramWithBinary", ignored,
                     sizeof ignored);
      if (program) clReleaseProgram(program);
      program = NULL;
    } else {
      program = build(e, program, options, ignored, sizeof ignored);
    }
  }
  if (!program && g590_config_get()->verbose)
    fprintf(stderr, "gemm590: cache file %s is unusable; rebuilding\n", path);
  free(file);
  return program;
}

static void store_cached(g590_engine *e, cl_program program, int dir, const char *name,
                         const char *key) {
  size_t bin_len = 0;
  char why[96];
  if (g590_cl_failed(G590_CL("clGetProgramInfo",
                             clGetProgramInfo(program, CL_PROGRAM_BINARY_SIZES, sizeof bin_len,
                                              &bin_len, NULL)),
                     "clGetProgramInfo", why, sizeof why) ||
      bin_len == 0)
    return;
  unsigned char *bin = malloc(bin_len);
  if (!bin) return;
  if (!g590_cl_failed(clGetProgramInfo(program, CL_PROGRAM_BINARIES, sizeof bin, &bin, NULL),
                      "clGetProgramInfo", why, sizeof why))
    write_cache_file(dir, name, key, bin, bin_len);
  free(bin);
  (void)e;
}

_Atomic unsigned long g590_cl_programs_built;

/* Builds (family, options): from the disk cache when a valid file exists,
 * else from source, then saves the binary. */
static cl_program make_program(g590_engine *e, const char *family, const char *options,
                               const char **origin, char *why, size_t why_len) {
  const char *source = family_source(family);
  if (!source) {
    snprintf(why, why_len, "no embedded source for %s", family);
    return NULL;
  }
  char key[1024], dir_path[1024], name[32], path[1100];
  snprintf(key, sizeof key, "gemm590 kernel cache v1\ndevice=%s\ndriver=%s\nsource=%016llx\n"
           "options=%s\n", e->info.name, e->info.driver,
           (unsigned long long)fnv1a(source, strlen(source), FNV_SEED), options);
  snprintf(name, sizeof name, "%016llx.bin", (unsigned long long)fnv1a(key, strlen(key), FNV_SEED));
  int dir = g590_cache_dir_open(true, dir_path, sizeof dir_path);
  cl_program program = NULL;
  if (dir >= 0) {
    snprintf(path, sizeof path, "%s/%s", dir_path, name);
    if ((program = load_cached(e, dir, name, path, key, options))) {
      *origin = "disk";
      goto out;
    }
  }
  cl_int err = CL_SUCCESS;
  program = G590_CL_OBJECT("clCreateProgramWithSource", err, CL_OUT_OF_HOST_MEMORY,
                           clCreateProgramWithSource(e->context, 1, &source, NULL, &err));
  if (g590_cl_failed(err, "clCreateProgramWithSource", why, why_len)) goto out;
  program = build(e, program, options, why, why_len);
  if (program && dir >= 0) store_cached(e, program, dir, name, key);
  *origin = "built";
  atomic_fetch_add(&g590_cl_programs_built, 1);
out:
  if (dir >= 0) close(dir);
  return program;
}

void g590_cl_programs_release(g590_engine *e) {
  while (e->programs) {
    g590_program *p = e->programs;
    e->programs = p->next;
    if (p->kernel) clReleaseKernel(p->kernel);
    if (p->program) clReleaseProgram(p->program);
    free(p->key);
    free(p);
  }
}

cl_kernel g590_cl_program_kernel(g590_engine *e, const char *family, const char *options,
                              const char **origin, char *why, size_t why_len) {
  char key[512];
  snprintf(key, sizeof key, "%s %s", family, options);
  for (g590_program *p = e->programs; p; p = p->next) {
    if (strcmp(p->key, key) != 0) continue;
    if (!p->kernel) snprintf(why, why_len, "%s (cached failure)", p->why);
    *origin = "memory";
    return p->kernel;
  }
  g590_program *entry = calloc(1, sizeof *entry);
  if (!entry || !(entry->key = strdup(key))) {
    free(entry);
    snprintf(why, why_len, "error: out of host memory");
    return NULL;
  }
  entry->program = make_program(e, family, options, origin, why, why_len);
  if (entry->program) {
    char name[64];
    cl_int err = CL_SUCCESS;
    snprintf(name, sizeof name, "gemm590_%s", family);
    entry->kernel = G590_CL_OBJECT("clCreateKernel", err, CL_OUT_OF_RESOURCES,
                                   clCreateKernel(entry->program, name, &err));
    if (g590_cl_failed(err, "clCreateKernel", why, why_len)) {
      clReleaseProgram(entry->program);
      entry->program = NULL;
    }
  }
  /* A failed build is remembered so later calls go straight to the host;
   * transient failures (fault injection of one call) are not. */
  if (!entry->kernel && strstr(why, "clBuildProgram") == NULL) {
    free(entry->key);
    free(entry);
    return NULL;
  }
  snprintf(entry->why, sizeof entry->why, "%s", why);
  entry->next = e->programs;
  e->programs = entry;
  return entry->kernel;
}
