/* The embedded kernel sources (generated from the kernels/ folder at build time). */
#ifndef G590_KERNEL_SOURCES_H
#define G590_KERNEL_SOURCES_H

typedef struct g590_kernel_source {
  const char *family; /* file name without .cl, e.g. "tile24" */
  const char *source; /* common.cl + the family file, with #line directives */
} g590_kernel_source;

/* Terminated by an entry whose family is NULL. */
extern const g590_kernel_source g590_kernel_sources[];

#endif
