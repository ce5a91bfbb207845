/* See cli.h. */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef GEMM590_VERSION_STRING
#error "GEMM590_VERSION_STRING must be the project version (set by bench/meson.build)"
#endif

const struct option cli_standard_options[] = {CLI_STANDARD_OPTIONS};

_Noreturn void cli_fail(const cli *c, const char *format, ...) {
  va_list ap;
  va_start(ap, format);
  fprintf(stderr, "%s: ", c->name);
  vfprintf(stderr, format, ap);
  fprintf(stderr, " (%s --help shows the usage)\n", c->name);
  va_end(ap);
  exit(2);
}

/* The option getopt_long just refused, as the user typed it: a long one
 * is a whole argument ("--csv", "--no-host=1"); a short one may sit in a
 * cluster ("-xr"), so it is rebuilt from optopt. */
static const char *refused_option(char **argv, char *buf, size_t len) {
  const char *arg = argv[optind - 1];
  if (strncmp(arg, "--", 2) == 0 || optopt <= 0 || optopt >= CHAR_MAX) return arg;
  snprintf(buf, len, "-%c", optopt);
  return buf;
}

int cli_next(const cli *c, int argc, char **argv) {
  /* A leading ':' makes getopt report a missing value apart from an
   * unknown option, and opterr = 0 leaves every message to cli_fail. */
  char shortopts[64];
  snprintf(shortopts, sizeof shortopts, ":%s", c->shortopts);
  opterr = 0;
  int opt = getopt_long(argc, argv, shortopts, c->longopts, NULL);
  char buf[8];
  switch (opt) {
  case 'h':
    fputs(c->help, stdout);
    exit(0);
  case CLI_VERSION:
    printf("%s (libgemm590) %s\n", c->name, GEMM590_VERSION_STRING);
    exit(0);
  case ':':
    cli_fail(c, "option %s needs a value", refused_option(argv, buf, sizeof buf));
  case '?': {
    const char *o = refused_option(argv, buf, sizeof buf);
    if (strncmp(o, "--", 2) == 0 && strchr(o, '='))
      cli_fail(c, "option %.*s takes no value (%s)", (int)(strchr(o, '=') - o), o, o);
    /* getopt takes "-5" for an option: say what the user more likely meant. */
    if (o[1] >= '0' && o[1] <= '9')
      cli_fail(c, "'%s': no value here may be negative (nor is it an option)", argv[optind - 1]);
    cli_fail(c, "unknown option %s", o);
  }
  default:
    return opt;
  }
}

long cli_long(const cli *c, const char *what, const char *text, long min, long max) {
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  /* strtol skips leading blanks and stops at the first non-digit: only a
   * whole argument of digits (after an optional sign) is a number. */
  bool digits = text[0] == '-' || text[0] == '+' || (text[0] >= '0' && text[0] <= '9');
  if (!digits || end == text || *end)
    cli_fail(c, "%s '%s': not a whole number", what, text);
  if (errno == ERANGE || v < min || v > max) {
    if (max == LONG_MAX) cli_fail(c, "%s '%s': must be at least %ld", what, text, min);
    cli_fail(c, "%s '%s': must be from %ld to %ld", what, text, min, max);
  }
  return v;
}

int cli_long_list(const cli *c, const char *what, const char *text, long min, long max,
                  long *out, int max_count) {
  char *copy = strdup(text);
  int n = 0;
  if (!copy) cli_fail(c, "out of memory");
  char item_what[192];
  snprintf(item_what, sizeof item_what, "%s '%s': item", what, text);
  /* strsep, not strtok: "256,,512" has an empty item, which is an error. */
  for (char *rest = copy, *item; (item = strsep(&rest, ","));) {
    if (n == max_count) cli_fail(c, "%s '%s': more than %d values", what, text, max_count);
    out[n++] = cli_long(c, item_what, item, min, max);
  }
  free(copy);
  return n;
}

void cli_trans(const cli *c, const char *what, const char *text, char trans[3]) {
  if (strlen(text) != 2 || !strchr("NT", text[0]) || !strchr("NT", text[1]))
    cli_fail(c, "%s '%s': must be NN, NT, TN or TT", what, text);
  memcpy(trans, text, 3);
}

void cli_shape(const cli *c, const char *what, const char *text, long mnk[3], char trans[3]) {
  char sizes[3][24];
  int used = 0;
  if (sscanf(text, "%23[^x:]x%23[^x:]x%23[^x:]%n", sizes[0], sizes[1], sizes[2], &used) != 3 ||
      (text[used] && !(trans && text[used] == ':')))
    cli_fail(c, "%s '%s': not a shape MxNxK%s", what, text, trans ? "[:TT]" : "");
  for (int i = 0; i < 3; i++) {
    char dim[192];
    snprintf(dim, sizeof dim, "%s '%s': %c", what, text, "MNK"[i]);
    mnk[i] = cli_long(c, dim, sizes[i], 1, INT_MAX);
  }
  if (trans) {
    char tt[192];
    snprintf(tt, sizeof tt, "%s '%s': TT", what, text);
    cli_trans(c, tt, text[used] ? text + used + 1 : "NN", trans);
  }
}
