/* fork() after the device is in use (GEMM590_DEVICE=cpu, a family forced,
 * GEMM590_VERBOSE=1 set by the registration).
 *
 * OpenCL state does not survive fork: a child that touched the parent's
 * context could hang or crash.  The library must send every call of a
 * forked child to the host, say so in its verbose line, and leave the
 * parent's device alone.  Checked here:
 *
 * 1. The parent computes on the device.  A child computes a call right on
 *    the host (counters), its verbose line gives the fork as the reason
 *    (the child's stderr goes to a file it reads back), and exits 0.  The
 *    parent then still computes on the device.
 * 2. The parent forks while another of its threads is making device calls
 *    in a loop, so that the fork can land while that thread holds the
 *    library's locks.  Each child must still finish its host call; an
 *    alarm turns a deadlock into a failure. */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "device.h"
#include "gemm590.h"

enum { BUSY_FORKS = 20, CHILD_SECONDS = 30 };

static check_gemm call_of(int64_t m, int64_t n, int64_t k) {
  return (check_gemm){.entry = CHECK_CBLAS, .layout = 'R', .transa = 'N', .transb = 'T',
                      .m = m, .n = n, .k = k, .alpha = 1.5f, .beta = 0.5f};
}

/* One checked call on `want_device` (or the host), judged by the counters. */
static bool checked_call(check_gemm g, bool want_device, check_rng *rng, const char *tag) {
  uint64_t host0, dev0, host1, dev1;
  check_counters(&host0, &dev0);
  bool ok = dev_run(g, 1, 2, 3, DEV_F32, rng, tag).ok;
  check_counters(&host1, &dev1);
  bool on_device = dev1 == dev0 + 1 && host1 == host0;
  bool on_host = host1 == host0 + 1 && dev1 == dev0;
  if (!(want_device ? on_device : on_host)) {
    printf("FAIL [%s] call ran on the %s, expected the %s\n", tag,
           on_device ? "device" : on_host ? "host" : "(neither)",
           want_device ? "device" : "host");
    ok = false;
  }
  return ok;
}

/* The child of part 1: one host call, its verbose line read back. */
static int child_with_log(void) {
  FILE *log = tmpfile();
  if (!log || dup2(fileno(log), STDERR_FILENO) < 0) {
    printf("FAIL [child] cannot redirect stderr\n");
    return 1;
  }
  check_rng rng;
  check_rng_seed(&rng, 2);
  bool ok = checked_call(call_of(37, 41, 43), false, &rng, "child");
  char line[1024];
  bool reason = false;
  rewind(log);
  while (fgets(line, sizeof line, log))
    if (strstr(line, "gemm590: cblas_sgemm") && strstr(line, "M=37 N=41 K=43") &&
        strstr(line, "path=host") && strstr(line, "fork"))
      reason = true;
  if (!reason) printf("FAIL [child] no verbose line with path=host and a fork reason\n");
  return ok && reason ? 0 : 1;
}

/* Waits for a child; true when it exited 0. */
static bool child_ok(pid_t pid, const char *what) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) {
    printf("FAIL [%s] waitpid\n", what);
    return false;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
  if (WIFSIGNALED(status))
    printf("FAIL [%s] child killed by signal %d%s\n", what, WTERMSIG(status),
           WTERMSIG(status) == SIGALRM ? " (alarm: it hung)" : "");
  else
    printf("FAIL [%s] child exited with %d\n", what, WEXITSTATUS(status));
  return false;
}

static atomic_bool stop_busy;
static atomic_int busy_failures;

static void *busy_device(void *arg) {
  (void)arg;
  check_rng rng;
  check_rng_seed(&rng, 3);
  while (!atomic_load(&stop_busy))
    if (!dev_run(call_of(64, 48, 80), 0, 0, 0, DEV_F32, &rng, "busy thread").ok)
      atomic_fetch_add(&busy_failures, 1);
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  dev_require_cpu_device();
  check_rng rng;
  check_rng_seed(&rng, 1);
  bool ok = checked_call(call_of(45, 41, 43), true, &rng, "parent before fork");

  /* Part 1. */
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    printf("FAIL: fork\n");
    return 1;
  }
  if (pid == 0) {
    alarm(CHILD_SECONDS);
    _exit(child_with_log());
  }
  ok &= child_ok(pid, "child");
  ok &= checked_call(call_of(47, 41, 43), true, &rng, "parent after fork");
  printf("part 1: parent on the device before and after, child on the host: %s\n",
         ok ? "ok" : "FAILED");

  /* Part 2. */
  pthread_t busy;
  if (pthread_create(&busy, NULL, busy_device, NULL) != 0) {
    printf("FAIL: cannot start the busy thread\n");
    return 1;
  }
  int good = 0;
  for (int i = 0; i < BUSY_FORKS; i++) {
    usleep(2000 + 1000 * (useconds_t)i);
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
      alarm(CHILD_SECONDS);
      check_rng child_rng;
      check_rng_seed(&child_rng, 100 + (uint64_t)i);
      _exit(checked_call(call_of(33, 35, 37), false, &child_rng, "busy child") ? 0 : 1);
    }
    good += pid > 0 && child_ok(pid, "busy child");
  }
  atomic_store(&stop_busy, true);
  pthread_join(busy, NULL);
  bool part2 = good == BUSY_FORKS && atomic_load(&busy_failures) == 0;
  printf("part 2: %d of %d children forked during device calls finished right; "
         "%d wrong results in the busy thread\n",
         good, BUSY_FORKS, atomic_load(&busy_failures));
  ok &= part2 && checked_call(call_of(49, 41, 43), true, &rng, "parent at the end");
  printf("%s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}
