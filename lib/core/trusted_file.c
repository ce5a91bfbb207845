/* Trust on disk (see trusted_file.h).  The program cache runs the binaries
 * it reads on the caller's data, so anyone who could write them could run
 * code as this user: the checks below make sure no one else can. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "g590.h"
#include "trusted_file.h"

/* Why `st` is not this user's alone to write; NULL when it is. */
static const char *untrusted(const struct stat *st, char *why, size_t why_len) {
  if (st->st_uid != geteuid())
    snprintf(why, why_len, "owned by uid %lu, not by this user (uid %lu)",
             (unsigned long)st->st_uid, (unsigned long)geteuid());
  else if (st->st_mode & (S_IWGRP | S_IWOTH))
    snprintf(why, why_len, "writable by group or others (mode %03o)",
             (unsigned)(st->st_mode & 0777));
  else
    return NULL;
  return why;
}

/* Creates `path` and its missing parents, private to this user. */
static int mkdir_p(char *path) {
  for (char *p = path + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    int bad = mkdir(path, 0700) != 0 && errno != EEXIST;
    *p = '/';
    if (bad) return -1;
  }
  return (mkdir(path, 0700) == 0 || errno == EEXIST) ? 0 : -1;
}

int g590_cache_dir_open(bool create, char *path, size_t len) {
  static atomic_flag warned = ATOMIC_FLAG_INIT;
  const char *set = g590_config_get()->cache_dir;
  const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
  int n;
  if (set && strcmp(set, "off") == 0) return -1;
  if (set) n = snprintf(path, len, "%s", set);
  else if (xdg && *xdg) n = snprintf(path, len, "%s/gemm590", xdg);
  else if (home && *home) n = snprintf(path, len, "%s/.cache/gemm590", home);
  else return -1;
  if (n < 0 || (size_t)n >= len || (create && mkdir_p(path) != 0)) return -1;
  /* Followed if it is a link: what counts is the directory the
   * descriptor holds, checked below and used for every later access.
   * O_PATH: the *at calls need no read permission on it. */
  int dir = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return -1;
  struct stat st;
  char why[96];
  const char *bad = fstat(dir, &st) != 0 ? "not checkable" : untrusted(&st, why, sizeof why);
  if (!bad) return dir;
  close(dir);
  /* Whoever set this up should hear about it once, verbose or not: the
   * cost (every process compiles its kernels) is otherwise invisible. */
  if (!atomic_flag_test_and_set(&warned))
    fprintf(stderr, "gemm590: warning: cache directory %s is %s; disk cache off\n", path, bad);
  return -1;
}

g590_file_status g590_file_read(int dir, const char *name, size_t max_bytes, char **data,
                                size_t *len, char *why, size_t why_len) {
  *data = NULL;
  *len = 0;
  /* O_NONBLOCK: a FIFO at the name must not hang the open (fstat then
   * refuses it); on a regular file it changes nothing. */
  int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return G590_FILE_MISSING;
    bool link = errno == ELOOP;
    snprintf(why, why_len, link ? "a symbolic link" : "cannot be read (%s)", strerror(errno));
    return link ? G590_FILE_UNTRUSTED : G590_FILE_FAILED;
  }
  g590_file_status status = G590_FILE_UNTRUSTED;
  char *buf = NULL;
  struct stat st;
  if (fstat(fd, &st) != 0) {
    snprintf(why, why_len, "cannot be checked (%s)", strerror(errno));
    status = G590_FILE_FAILED;
    goto out;
  }
  if (!S_ISREG(st.st_mode)) {
    snprintf(why, why_len, "not a regular file");
    goto out;
  }
  if (untrusted(&st, why, why_len)) goto out;
  status = G590_FILE_FAILED;
  if ((uintmax_t)st.st_size > max_bytes) {
    snprintf(why, why_len, "larger than %zu bytes", max_bytes);
    goto out;
  }
  size_t size = (size_t)st.st_size, got = 0;
  if (!(buf = malloc(size + 1))) {
    snprintf(why, why_len, "out of memory");
    goto out;
  }
  /* Up to the size fstat gave: only this user can change the file, and a
   * shorter file (truncated meanwhile) fails the caller's own checks. */
  while (got < size) {
    ssize_t r = read(fd, buf + got, size - got);
    if (r == 0) break;
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      snprintf(why, why_len, "cannot be read (%s)", strerror(errno));
      goto out;
    }
    got += (size_t)r;
  }
  buf[got] = '\0';
  *data = buf;
  *len = got;
  buf = NULL;
  status = G590_FILE_OK;
out:
  free(buf);
  close(fd);
  return status;
}

/* 64 bits no other user can predict; from the clock, the process and a
 * counter when the kernel's generator is not ready (as glibc's mkstemp
 * does).  O_EXCL, not the name, is what keeps the creation safe. */
static uint64_t random_bits(void) {
  static atomic_uint_fast64_t counter;
  uint64_t r;
  if (getrandom(&r, sizeof r, GRND_NONBLOCK) == (ssize_t)sizeof r) return r;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  r = ((uint64_t)ts.tv_sec * 1000000007u) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 40);
  return r ^ (atomic_fetch_add(&counter, 1) * 0x9e3779b97f4a7c15ull);
}

static bool write_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= (size_t)w;
  }
  return true;
}

bool g590_file_write(int dir, const char *name, const struct iovec *parts, int n_parts) {
  char tmp[256];
  int fd = -1;
  /* A few names, in case another process of this user drew the same. */
  for (int attempt = 0; fd < 0 && attempt < 8; attempt++) {
    int n = snprintf(tmp, sizeof tmp, "%s.tmp.%016llx", name,
                     (unsigned long long)random_bits());
    if (n < 0 || (size_t)n >= sizeof tmp) return false;
    fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST) return false;
  }
  if (fd < 0) return false;
  bool ok = true;
  for (int i = 0; ok && i < n_parts; i++) ok = write_all(fd, parts[i].iov_base, parts[i].iov_len);
  ok = close(fd) == 0 && ok;
  /* rename replaces whatever holds the name, a link included, without
   * following it. */
  if (ok && renameat(dir, tmp, dir, name) == 0) return true;
  unlinkat(dir, tmp, 0);
  return false;
}
