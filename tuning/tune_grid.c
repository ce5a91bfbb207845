/* gemm590-tune's grid of shapes: squares, odd sizes, skinny and
 * small-K products, and rectangles, each in its four transposes; for syrk
 * the same sizes with n := m in its two forms. */
#include "tune.h"

static int add_dims(shape *out, int n, int64_t m, int64_t nn, int64_t k) {
  if (m < 1 || nn < 1 || k < 1 || n + 4 > MAX_SHAPES) return n;
  for (int t = 0; t < 4; t++) out[n++] = (shape){m, nn, k, t & 1, (t >> 1) & 1};
  return n;
}

/* The gemm grid, every (M, N, K) in all four transposes: squares 64..S in
 * powers of two, odd squares, skinny (M or N small, large K), large K
 * with a small product, small K, and rectangles.  S is the largest
 * square. */
static int gemm_grid(int64_t S, bool quick, shape *out) {
  int n = 0;
  for (int64_t s = 64; s <= S; s *= 2) {
    n = add_dims(out, n, s, s, s);
    /* The full run also takes the squares halfway (on a log scale). */
    if (!quick && s * 3 / 2 <= S) n = add_dims(out, n, s * 3 / 2, s * 3 / 2, s * 3 / 2);
  }
  static const int64_t odd_quick[] = {100, 333, 1000, 3000};
  static const int64_t odd_full[] = {100, 333, 1000, 1500, 3000, 5000};
  const int64_t *odd = quick ? odd_quick : odd_full;
  int n_odd = quick ? 4 : 6;
  for (int i = 0; i < n_odd; i++)
    if (odd[i] <= S) n = add_dims(out, n, odd[i], odd[i], odd[i]);
  /* Where the host and a GPU come close in float64 and syrk (512 to 1000
   * on the H200: dsyrk 512 went to the device, 1.5x slower than the host,
   * on a tree that had nothing between 512 and 1000), two more squares. */
  static const int64_t seam[] = {640, 768};
  for (int i = 0; i < 2; i++)
    if (seam[i] <= S) n = add_dims(out, n, seam[i], seam[i], seam[i]);
  n = add_dims(out, n, 16, S, S);
  n = add_dims(out, n, S, 16, S);
  n = add_dims(out, n, 64, 64, 4 * S);
  n = add_dims(out, n, S, S, 64);
  n = add_dims(out, n, 1, S / 2, S / 2);
  n = add_dims(out, n, S / 2, S / 8, S / 4);
  if (!quick) {
    n = add_dims(out, n, 64, S, S);
    n = add_dims(out, n, S, 64, S);
    n = add_dims(out, n, 4, S, S);
    n = add_dims(out, n, 256, 256, 4 * S);
    n = add_dims(out, n, S / 4, S, S / 2);
    if (S >= 1234) n = add_dims(out, n, 777, 1234, 555);
    /* Where the host and the device come close, each family of shapes at
     * more than one size, so that a tree trained without one size still
     * has its neighbours: squares between 128 and 768, vectors times a
     * matrix, thin and small-K products at half size. */
    static const int64_t near_line[] = {160, 224, 288, 448};
    for (int i = 0; i < 4; i++)
      if (near_line[i] <= S) n = add_dims(out, n, near_line[i], near_line[i], near_line[i]);
    n = add_dims(out, n, 1, S / 4, S / 4);
    n = add_dims(out, n, 1, S, S);
    n = add_dims(out, n, 4, S / 2, S / 2);
    n = add_dims(out, n, 16, S / 2, S / 2);
    n = add_dims(out, n, S / 2, 16, S / 2);
    n = add_dims(out, n, S / 2, S / 2, 64);
    n = add_dims(out, n, S / 4, S / 4, 64);
    n = add_dims(out, n, 64, 64, S);
  }
  return n;
}

/* syrk's C is n x n: each size of the gemm grid with n := m (K kept),
 * once, in the two forms a syrk job takes, op(A) = A (NT: C = A A^T) and
 * op(A) = A^T (TN: C = A^T A). */
static int syrk_grid(const shape *gemm, int n_gemm, shape *out) {
  int n = 0;
  for (int i = 0; i < n_gemm; i++) {
    bool seen = false;
    for (int j = 0; j < n && !seen; j++)
      seen = out[j].m == gemm[i].m && out[j].k == gemm[i].k;
    if (seen) continue;
    out[n++] = (shape){gemm[i].m, gemm[i].m, gemm[i].k, false, true};
    out[n++] = (shape){gemm[i].m, gemm[i].m, gemm[i].k, true, false};
  }
  return n;
}

int tune_grid(int64_t S, bool quick, bool syrk, shape *out) {
  if (!syrk) return gemm_grid(S, quick, out);
  shape gemm[MAX_SHAPES];
  return syrk_grid(gemm, gemm_grid(S, quick, gemm), out);
}
