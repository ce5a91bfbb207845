/* Trust on disk: the cache directory, and the files libgemm590 reads from
 * it (device binaries it runs on the caller's data, the decision table)
 * or writes into it, only where no one but this user can write.
 *
 * - The cache directory is created 0700, and refused (disk cache off, one
 *   warning per process) unless it is owned by the effective user and not
 *   writable by group or others.
 * - A file is read through a descriptor opened without following a
 *   symbolic link and accepted only when fstat shows a regular file owned
 *   by the effective user that group and others cannot write.
 * - A file is written under an unpredictable temporary name created
 *   exclusively (mode 0600) in the same directory, then renamed into
 *   place: readers see nothing or a whole file, and a planted link is
 *   neither followed nor overwritten.
 *
 * Paths are resolved once, to a directory descriptor: what was checked is
 * what is read and written, even if a name above it changes meanwhile. */
#ifndef G590_TRUSTED_FILE_H
#define G590_TRUSTED_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

/* The disk cache directory (GEMM590_CACHE_DIR, else
 * $XDG_CACHE_HOME/gemm590, else ~/.cache/gemm590), opened and checked;
 * its name in `path` for messages.  `create`: make it (and missing
 * parents) with mode 0700.  Returns a descriptor for the *at calls, to be
 * closed by the caller, or -1: "off", no HOME, missing or not creatable,
 * or not trusted (warned once per process). */
int g590_cache_dir_open(bool create, char *path, size_t len);

typedef enum {
  G590_FILE_OK,
  G590_FILE_MISSING,   /* no such file */
  G590_FILE_UNTRUSTED, /* a link, not a regular file, another owner, writable by others */
  G590_FILE_FAILED,    /* could not be read, or larger than allowed */
} g590_file_status;

/* Reads file `name` relative to directory descriptor `dir` (AT_FDCWD for
 * a path the user named) under the rules above, at most `max_bytes`.
 * G590_FILE_OK: *data is a malloc'd copy with a '\0' after its *len
 * bytes.  Otherwise *data is NULL and, for UNTRUSTED and FAILED, `why`
 * says what is wrong ("owned by uid 65534"); the caller warns. */
g590_file_status g590_file_read(int dir, const char *name, size_t max_bytes, char **data,
                                size_t *len, char *why, size_t why_len);

/* Writes the concatenation of `parts` as file `name` in directory `dir`
 * (temporary file, mode 0600, renamed into place).  False, with nothing
 * left behind, when any step fails. */
bool g590_file_write(int dir, const char *name, const struct iovec *parts, int n_parts);

#endif
