/* Every call the host OpenBLAS gets wrong is one libgemm590 keeps from it.
 *
 *   test_host_guard OPENBLAS_DEFECT
 *
 * Runs `OPENBLAS_DEFECT --list` (openblas_defect.c: OpenBLAS alone, each
 * call in a forked child) and checks each failing call it lists against
 * the library's own decisions, linked in from the internal library:
 *   alpha = 0    the dispatcher computes C = beta * C itself and never
 *                calls the host BLAS (lib/core/dispatch.c): checked by running
 *                the call's normalised form through g590_run with A and
 *                B NULL, which only that path survives;
 *   otherwise    lib/host/guard.c must divert it (g590_host_guard_needed).
 * Where OpenBLAS has no defect (another core type, a fixed release) the
 * list is empty and the test says the guard could go.  Exit 77 when the
 * defect program skips (no host BLAS, no mappings). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "g590.h"

/* One listed call, normalised to column-major as the library does. */
static bool parse_case(const char *line, g590_job *call, char *group, size_t group_len) {
  char api[16], ta, tb;
  long long m, n, k, lda, ldb, ldc;
  float alpha, beta;
  char fmt[64];
  snprintf(fmt, sizeof fmt, "%%%zus %%15s %%c %%c %%lld %%lld %%lld %%lld %%lld %%lld %%f %%f",
           group_len - 1);
  if (sscanf(line, fmt, group, api, &ta, &tb, &m, &n, &k, &lda, &ldb, &ldc, &alpha, &beta) !=
      12)
    return false;
  bool row = strcmp(api, "cblas_row") == 0;
  /* Row-major C = A B is the column-major C^T = B^T A^T. */
  *call = (g590_job){.entry = "test", .layout = 'C', .user_ta = ta, .user_tb = tb,
                      .trans_a = (row ? tb : ta) != 'N', .trans_b = (row ? ta : tb) != 'N',
                      .m = row ? n : m, .n = row ? m : n, .k = k,
                      .lda = row ? ldb : lda, .ldb = row ? lda : ldb, .ldc = ldc,
                      .alpha = alpha, .beta = beta};
  call->user_m = call->m, call->user_n = call->n;
  return true;
}

/* alpha = 0 through the dispatcher with NULL A and B and a small C (the
 * listed ldc may be huge; the path under test only scales C). */
static bool alpha_zero_stays_off_host(const g590_job *listed) {
  g590_job call = *listed;
  size_t count = (size_t)(call.m * call.n);
  float *c = malloc(count * sizeof *c);
  if (!c) return false;
  for (size_t i = 0; i < count; i++) c[i] = 1.0f + (float)(i % 1000);
  call.a = NULL, call.b = NULL, call.c = c, call.ldc = call.m;
  g590_run(&call);
  bool ok = true;
  for (size_t i = 0; i < count; i++)
    ok = ok && c[i] == (call.beta == 0 ? 0.0f : (float)call.beta * (1.0f + (float)(i % 1000)));
  free(c);
  return ok;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: test_host_guard OPENBLAS_DEFECT\n");
    return 2;
  }
  char command[4096];
  snprintf(command, sizeof command, "'%s' --list", argv[1]);
  FILE *list = popen(command, "r");
  if (!list) {
    perror("popen");
    return 1;
  }
  char line[512], group[32];
  long cases = 0, diverted = 0, scaled = 0, missed = 0;
  while (fgets(line, sizeof line, list)) {
    if (line[0] == '#') {
      fputs(line, stdout); /* the host BLAS and its core */
      continue;
    }
    g590_job call;
    if (!parse_case(line, &call, group, sizeof group)) {
      printf("FAIL: cannot read line: %s", line);
      missed++;
      continue;
    }
    cases++;
    bool ok = call.alpha == 0.0f ? alpha_zero_stays_off_host(&call)
                                 : g590_host_guard_needed(&call);
    if (ok) {
      diverted += call.alpha != 0.0f;
      scaled += call.alpha == 0.0f;
    } else {
      missed++;
      if (missed <= 20) printf("FAIL: not kept from the host BLAS: %s", line);
    }
  }
  int status = pclose(list);
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (code == 77) {
    printf("SKIP: %s skipped (no host BLAS or no mappings)\n", argv[1]);
    return 77;
  }
  if (code != 0) {
    printf("FAIL: %s --list exited with %d\n", argv[1], code);
    return 1;
  }
  printf("%ld calls OpenBLAS gets wrong: %ld diverted by the guard, %ld never reach it "
         "(alpha = 0), %ld missed\n",
         cases, diverted, scaled, missed);
  if (cases == 0)
    printf("the host BLAS has no such defect here: lib/host/guard.c could go once no "
           "supported host BLAS has it\n");
  printf("%s\n", missed ? "FAIL" : "PASS");
  return missed ? 1 : 0;
}
