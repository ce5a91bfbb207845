/* Process facts for the reliability tests (see rel_proc.h). */
#include "rel_proc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long status_field(const char *field) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  long value = -1;
  size_t len = strlen(field);
  while (fgets(line, sizeof line, f))
    if (strncmp(line, field, len) == 0 && line[len] == ':') {
      value = strtol(line + len + 1, NULL, 10);
      break;
    }
  fclose(f);
  return value;
}

long rel_rss_kib(void) { return status_field("VmRSS"); }
long rel_threads(void) { return status_field("Threads"); }
