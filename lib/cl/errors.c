/* OpenCL error names, failure logging and the fault-injection hook. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_engine.h"

const char *g590_cl_error_name(cl_int err) {
  switch (err) {
#define NAME(x) case x: return #x;
    NAME(CL_SUCCESS) NAME(CL_DEVICE_NOT_FOUND) NAME(CL_DEVICE_NOT_AVAILABLE)
    NAME(CL_COMPILER_NOT_AVAILABLE) NAME(CL_MEM_OBJECT_ALLOCATION_FAILURE)
    NAME(CL_OUT_OF_RESOURCES) NAME(CL_OUT_OF_HOST_MEMORY)
    NAME(CL_PROFILING_INFO_NOT_AVAILABLE) NAME(CL_MEM_COPY_OVERLAP)
    NAME(CL_IMAGE_FORMAT_MISMATCH) NAME(CL_IMAGE_FORMAT_NOT_SUPPORTED)
    NAME(CL_BUILD_PROGRAM_FAILURE) NAME(CL_MAP_FAILURE)
    NAME(CL_MISALIGNED_SUB_BUFFER_OFFSET) NAME(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST)
    NAME(CL_COMPILE_PROGRAM_FAILURE) NAME(CL_LINKER_NOT_AVAILABLE) NAME(CL_LINK_PROGRAM_FAILURE)
    NAME(CL_DEVICE_PARTITION_FAILED) NAME(CL_KERNEL_ARG_INFO_NOT_AVAILABLE)
    NAME(CL_INVALID_VALUE) NAME(CL_INVALID_DEVICE_TYPE) NAME(CL_INVALID_PLATFORM)
    NAME(CL_INVALID_DEVICE) NAME(CL_INVALID_CONTEXT) NAME(CL_INVALID_QUEUE_PROPERTIES)
    NAME(CL_INVALID_COMMAND_QUEUE) NAME(CL_INVALID_HOST_PTR) NAME(CL_INVALID_MEM_OBJECT)
    NAME(CL_INVALID_IMAGE_FORMAT_DESCRIPTOR) NAME(CL_INVALID_IMAGE_SIZE)
    NAME(CL_INVALID_SAMPLER) NAME(CL_INVALID_BINARY) NAME(CL_INVALID_BUILD_OPTIONS)
    NAME(CL_INVALID_PROGRAM) NAME(CL_INVALID_PROGRAM_EXECUTABLE)
    NAME(CL_INVALID_KERNEL_NAME) NAME(CL_INVALID_KERNEL_DEFINITION) NAME(CL_INVALID_KERNEL)
    NAME(CL_INVALID_ARG_INDEX) NAME(CL_INVALID_ARG_VALUE) NAME(CL_INVALID_ARG_SIZE)
    NAME(CL_INVALID_KERNEL_ARGS) NAME(CL_INVALID_WORK_DIMENSION)
    NAME(CL_INVALID_WORK_GROUP_SIZE) NAME(CL_INVALID_WORK_ITEM_SIZE)
    NAME(CL_INVALID_GLOBAL_OFFSET) NAME(CL_INVALID_EVENT_WAIT_LIST) NAME(CL_INVALID_EVENT)
    NAME(CL_INVALID_OPERATION) NAME(CL_INVALID_GL_OBJECT) NAME(CL_INVALID_BUFFER_SIZE)
    NAME(CL_INVALID_MIP_LEVEL) NAME(CL_INVALID_GLOBAL_WORK_SIZE) NAME(CL_INVALID_PROPERTY)
    NAME(CL_INVALID_IMAGE_DESCRIPTOR) NAME(CL_INVALID_COMPILER_OPTIONS)
    NAME(CL_INVALID_LINKER_OPTIONS) NAME(CL_INVALID_DEVICE_PARTITION_COUNT)
#undef NAME
  default: return "CL_UNKNOWN_ERROR";
  }
}

/* Set when this thread's last failure was injected, for the log line. */
static _Thread_local bool injected;

/* GEMM590_FAULT=<call> fails every call of that site; <call>@<n> only the
 * n-th (counting from 1), to inject a failure in the middle of a call;
 * <call>%<n> every n-th, so that one test run fails many calls, each at
 * another point. */
bool g590_cl_fault(const char *call) {
  static _Atomic long hits;
  const char *fault = g590_config_get()->fault;
  if (!fault) return false;
  size_t len = strcspn(fault, "@%");
  if (strlen(call) != len || strncmp(fault, call, len) != 0) return false;
  if (!fault[len]) return injected = true;
  long n = atol(fault + len + 1), hit = ++hits;
  injected = fault[len] == '@' ? hit == n : n > 0 && hit % n == 0;
  return injected;
}

bool g590_cl_failed(cl_int err, const char *call, char *why, size_t why_len) {
  if (err == CL_SUCCESS) return false;
  const char *name = g590_cl_error_name(err);
  if (g590_config_get()->verbose)
    fprintf(stderr, "gemm590: OpenCL %s failed: %s (%d)%s\n", call, name, (int)err,
            injected ? " [injected by GEMM590_FAULT]" : "");
  injected = false;
  snprintf(why, why_len, "error: %s %s", call, name);
  return true;
}
