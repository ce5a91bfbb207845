/* Command lines of the programs in bench/ and tuning/: --help, --version,
 * getopt_long's errors, and strict values.
 *
 * Every mistake on a command line ends the program with exit status 2 and
 * one line on stderr that names the program, the option (or operand) and
 * the value, so that a script never runs on a value that atoi() quietly
 * turned into 0. */
#ifndef GEMM590_CLI_H
#define GEMM590_CLI_H

#include <getopt.h>

/* getopt_long's return value for --version (--help returns 'h'). */
enum { CLI_VERSION = 0x100 };

/* The last entries of every program's long options. */
#define CLI_STANDARD_OPTIONS                                                                  \
  {"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, CLI_VERSION}, {            \
    NULL, 0, NULL, 0                                                                          \
  }

/* The --help lines of the standard options: each program's own options
 * start in column 3 and their text in column 25, as these do. */
#define CLI_STANDARD_HELP                                                                     \
  "  -h, --help            print this help and exit\n"                                        \
  "  --version             print the version and exit\n"

/* The long options of a program that has no others. */
extern const struct option cli_standard_options[];

typedef struct cli {
  const char *name;              /* as installed, e.g. "gemm590-bench" */
  const char *help;              /* --help: the usage line, then every option */
  const char *shortopts;         /* getopt's; include "h" for -h */
  const struct option *longopts; /* ending with CLI_STANDARD_OPTIONS */
} cli;

/* The next option as getopt_long returns it (optarg set), or -1 after the
 * last one (then argv[optind] is the first operand).  --help and
 * --version print to stdout and exit 0; an unknown option, a missing
 * value or a value given to a flag exit 2. */
int cli_next(const cli *c, int argc, char **argv);

/* Prints "NAME: MESSAGE (NAME --help shows the usage)" and exits 2. */
_Noreturn void cli_fail(const cli *c, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* `text` as a whole number in [min, max]; cli_fail naming `what` (the
 * option, "--repeats", or the operand, "M") otherwise. */
long cli_long(const cli *c, const char *what, const char *text, long min, long max);

/* A comma-separated list of whole numbers in [min, max] into out[]: their
 * count (at least 1, at most max_count). */
int cli_long_list(const cli *c, const char *what, const char *text, long min, long max,
                  long *out, int max_count);

/* "NN", "NT", "TN" or "TT" (A's transpose, then B's) into trans[3]. */
void cli_trans(const cli *c, const char *what, const char *text, char trans[3]);

/* A shape "MxNxK", each size from 1 to INT_MAX (what a BLAS int holds),
 * with ":TT" after it when `trans` is not NULL (default "NN"). */
void cli_shape(const cli *c, const char *what, const char *text, long mnk[3], char trans[3]);

#endif
