/* Control for tsan.sh: a race inside libgemm590 must be reported.
 *
 * Two threads call cblas_sgemm with alpha = 0 on the same C at once.  The
 * library scales C by beta itself (no host BLAS, no device), so the two
 * unsynchronised writes are libgemm590's own code racing: ThreadSanitizer
 * must report it with libgemm590 frames, or tsan.sh's build and options
 * could not catch a race in the library. */
#include <pthread.h>
#include <stdio.h>

#include "gemm590.h"

enum { N = 64 };
static float c[N * N];

static void *scale(void *arg) {
  (void)arg;
  for (int i = 0; i < 20; i++)
    cblas_sgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, N, N, N, 0.0f, NULL, N, NULL, N, 0.5f,
                c, N);
  return NULL;
}

int main(void) {
  for (int i = 0; i < N * N; i++) c[i] = 1.0f;
  pthread_t t[2];
  for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, scale, NULL);
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  printf("tsan_control: done (a race report is expected)\n");
  return 0;
}
