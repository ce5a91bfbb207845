/* The host path of gemm590_hgemm: binary16 blocks converted to float32,
 * the host SGEMM on them, C converted back once.
 *
 * Blocks of C (mb x nb) are computed one at a time: C's block is read into
 * float32 (unless beta = 0), every depth block of A and B is converted and
 * multiplied into it with beta, then 1, and the block is rounded to
 * binary16 once at the end, so sums stay float32 across depth blocks.  A's
 * blocks are converted once per column block of C and B's once per row
 * block: the conversions cost O(1/nb + 1/mb) per flop against the
 * SGEMM's, and the float32 copies never grow with the problem. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "fp16.h"
#include "g590.h"

/* 1024 x 1024 float32 blocks (4 MiB each, 12 MiB in all): large enough for
 * the host SGEMM to run near its full rate on each, small enough to stay
 * in a server's last-level cache from conversion to use. */
enum { BLOCK = 1024 };
/* Blocks on the stack when the heap cannot give the workspace (12 KiB). */
enum { SMALL_BLOCK = 32 };

static int64_t min64(int64_t x, int64_t y) { return x < y ? x : y; }

/* The float32 blocks of each thread, kept from call to call and freed
 * when the thread exits: allocating them per call faulted in 12 MiB of
 * fresh pages every time (3000 page faults, a fifth of a 1024^3 call's
 * time on a 2-core host).  They are also listed, so that unloading the
 * library frees those of threads still alive. */
typedef struct workspace {
  float *data;
  size_t elems;
  struct workspace *prev, *next;
} workspace;

static pthread_key_t workspace_key;
static pthread_once_t workspace_once = PTHREAD_ONCE_INIT;
static bool workspace_key_ok;
static pthread_mutex_t workspace_lock = PTHREAD_MUTEX_INITIALIZER;
static workspace *workspaces;

static void workspace_free(void *p) {
  workspace *w = p;
  pthread_mutex_lock(&workspace_lock);
  if (w->prev) w->prev->next = w->next;
  else workspaces = w->next;
  if (w->next) w->next->prev = w->prev;
  pthread_mutex_unlock(&workspace_lock);
  free(w->data);
  free(w);
}

/* Unload: no thread may run workspace_free once the code is unmapped, so
 * the key goes first, then every thread's workspace. */
void g590_host_workspaces_release(void) {
  if (workspace_key_ok) pthread_key_delete(workspace_key);
  workspace_key_ok = false;
  pthread_mutex_lock(&workspace_lock);
  while (workspaces) {
    workspace *w = workspaces;
    workspaces = w->next;
    free(w->data);
    free(w);
  }
  pthread_mutex_unlock(&workspace_lock);
}

static void workspace_init(void) {
  workspace_key_ok = pthread_key_create(&workspace_key, workspace_free) == 0;
}

/* This thread's workspace of at least `elems` floats, or NULL. */
static float *workspace_get(size_t elems) {
  pthread_once(&workspace_once, workspace_init);
  if (!workspace_key_ok) return NULL;
  workspace *w = pthread_getspecific(workspace_key);
  if (w && w->elems >= elems) return w->data;
  if (!w) {
    if (!(w = calloc(1, sizeof *w))) return NULL;
    if (pthread_setspecific(workspace_key, w) != 0) {
      free(w);
      return NULL;
    }
    pthread_mutex_lock(&workspace_lock);
    w->next = workspaces;
    if (workspaces) workspaces->prev = w;
    workspaces = w;
    pthread_mutex_unlock(&workspace_lock);
  }
  free(w->data);
  w->elems = 0;
  if (!(w->data = malloc(elems * sizeof *w->data))) return NULL;
  w->elems = elems;
  return w->data;
}

/* The rows x cols block at src (leading dimension ld) into dense dst. */
static void block_to_float(const g590_fp16_ops *cv, float *dst, const uint16_t *src,
                           int64_t rows, int64_t cols, int64_t ld) {
  for (int64_t j = 0; j < cols; j++) cv->to_float(dst + j * rows, src + j * ld, (size_t)rows);
}

static void block_to_half(const g590_fp16_ops *cv, uint16_t *dst, int64_t ld, const float *src,
                          int64_t rows, int64_t cols) {
  for (int64_t j = 0; j < cols; j++) cv->to_half(dst + j * ld, src + j * rows, (size_t)rows);
}

void g590_host_hgemm_blocked(const g590_job *s, int64_t mb, int64_t nb, int64_t kb,
                             char *how, size_t how_len) {
  const uint16_t *a = s->a, *b = s->b;
  uint16_t *c = s->c;
  const g590_fp16_ops *cv = g590_host_fp16();
  mb = min64(mb, s->m), nb = min64(nb, s->n), kb = min64(kb, s->k);
  float small[3][SMALL_BLOCK * SMALL_BLOCK];
  float *af = workspace_get((size_t)(mb * kb + kb * nb + mb * nb)), *bf, *cf;
  bool heap = af != NULL;
  if (heap) {
    bf = af + mb * kb;
    cf = bf + kb * nb;
  } else {
    af = small[0], bf = small[1], cf = small[2];
    mb = min64(mb, SMALL_BLOCK), nb = min64(nb, SMALL_BLOCK), kb = min64(kb, SMALL_BLOCK);
  }
  const char *blas = "";
  for (int64_t j0 = 0; j0 < s->n; j0 += nb) {
    int64_t nj = min64(nb, s->n - j0);
    for (int64_t i0 = 0; i0 < s->m; i0 += mb) {
      int64_t mi = min64(mb, s->m - i0);
      uint16_t *cb = c + i0 + j0 * s->ldc;
      if (s->beta != 0.0f) block_to_float(cv, cf, cb, mi, nj, s->ldc);
      for (int64_t l0 = 0; l0 < s->k; l0 += kb) {
        int64_t lk = min64(kb, s->k - l0);
        /* op(A)(i0.., l0..) and op(B)(l0.., j0..) as stored: a transposed
         * operand's block is lk x mi (or nj x lk) and stays transposed. */
        int64_t ar = s->trans_a ? lk : mi, ac = s->trans_a ? mi : lk;
        int64_t br = s->trans_b ? nj : lk, bc = s->trans_b ? lk : nj;
        block_to_float(cv, af, a + (s->trans_a ? l0 + i0 * s->lda : i0 + l0 * s->lda),
                       ar, ac, s->lda);
        block_to_float(cv, bf, b + (s->trans_b ? j0 + l0 * s->ldb : l0 + j0 * s->ldb),
                       br, bc, s->ldb);
        g590_job blk = *s;
        blk.type = G590_F32;
        blk.m = mi, blk.n = nj, blk.k = lk;
        blk.a = af, blk.lda = ar, blk.b = bf, blk.ldb = br, blk.c = cf, blk.ldc = mi;
        blk.beta = l0 == 0 ? s->beta : 1.0f;
        g590_host_blas(&blk, &blas);
      }
      block_to_half(cv, cb, s->ldc, cf, mi, nj);
    }
  }
  if (how) snprintf(how, how_len, "%s convert=%s%s", blas, cv->name, heap ? "" : " blocks=small");
}

void g590_host_hgemm(const g590_job *job, char *how, size_t how_len) {
  g590_host_hgemm_blocked(job, BLOCK, BLOCK, BLOCK, how, how_len);
}

void g590_host_hscale_c(const g590_job *s) {
  uint16_t *c = s->c;
  float beta = (float)s->beta;
  for (int64_t j = 0; j < s->n; j++) {
    uint16_t *cj = c + j * s->ldc;
    for (int64_t i = 0; i < s->m; i++)
      cj[i] = beta == 0.0f ? 0 : g590_host_float_to_half(beta * g590_host_half_to_float(cj[i]));
  }
}
