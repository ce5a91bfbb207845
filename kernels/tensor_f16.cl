/* tensor_f16: NVIDIA tensor cores through inline PTX, binary16 products
 * summed in float32 (mma.sync m16n8k16 .f32.f16.f16.f32, sm_80 and later).
 *
 * Only for operands that binary16 holds exactly: gemm590_hgemm's, and the
 * fp16 opt-in's (rounded on the host, range checked).  The kernel reads the
 * same zero-padded float32 copies as regblock (the host link widens the
 * binary16 operands on the device), and packs pairs of them into binary16
 * with cvt.rn.f16x2.f32 on their way into local memory, which is exact for
 * such values.  NVIDIA's OpenCL has no cl_khr_fp16 and no tensor-core
 * built-ins, but its compiler takes inline PTX; other compilers never see
 * this family (lib/core/select.c offers it only on NVIDIA devices of compute
 * capability 8 or more).
 *
 * A TM x TN tile of C per work-group of WARPS_M x WARPS_N warps, each warp
 * a (TM/WARPS_M) x (TN/WARPS_N) block of m16n8 fragments.  Local memory
 * holds A as [row i][pair of l] and B as [column j][pair of l], 32-bit
 * words of two binary16 values, which is the layout the fragments want
 * (A row-major, B column-major, K pairs in one register).  A row is KS/2
 * words plus 4: the 8 rows x 4 pairs that a fragment load touches fall in
 * 32 distinct banks.  K steps are double-buffered with a register prefetch,
 * and split K works as in regblock.cl. */
#ifndef TM
#define TM 128
#endif
#ifndef TN
#define TN 128
#endif
#ifndef KS
#define KS 32
#endif
#ifndef WARPS_M
#define WARPS_M 2
#endif
#ifndef WARPS_N
#define WARPS_N 4
#endif

#define NT (32 * WARPS_M * WARPS_N)
#define WTM (TM / WARPS_M)
#define WTN (TN / WARPS_N)
#define MI (WTM / 16)
#define NI (WTN / 8)
#define KP (KS / 2 + 4)
/* float4s per item per K step, of A and of B. */
#define LOADS_A (TM * KS / 4 / NT)
#define LOADS_B (TN * KS / 4 / NT)

#if (KS % 16) || (WTM % 16) || (WTN % 8) || (TM * KS / 4) % (2 * NT) || (TN * KS / 4) % (2 * NT)
#error "tensor_f16: KS a multiple of 16, warp tiles of whole m16n8 fragments, whole loads per item"
#endif

#ifndef EMULATE_MMA
#define EMULATE_MMA 0
#endif

#if !EMULATE_MMA
/* Two floats (exact in binary16) as one word: lo in the low half. */
uint pack_half2(float lo, float hi) {
  uint r;
  __asm__("cvt.rn.f16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
  return r;
}

/* c += a * b for one m16n8k16 fragment: a[4] and b[2] packed binary16,
 * c[4] float32. */
#define MMA(c, a, b)                                                                   \
  __asm__("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, "         \
          "{%4,%5,%6,%7}, {%8,%9}, {%10,%11,%12,%13};"                                 \
          : "=f"(c[0]), "=f"(c[1]), "=f"(c[2]), "=f"(c[3])                             \
          : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]), "f"(c[0]), \
            "f"(c[1]), "f"(c[2]), "f"(c[3]))
#else
/* -DEMULATE_MMA=1 (tests on any OpenCL device, PoCL included): the same
 * tiles, layouts and indexing, with each fragment element computed by the
 * item that holds it, straight from local memory.  Only the two PTX
 * instructions above are left out of such a test. */
uint pack_half2(float lo, float hi) {
  ushort h[2];
  vstore_half_rte(lo, 0, (__private half *)h);
  vstore_half_rte(hi, 1, (__private half *)h);
  return (uint)h[0] | ((uint)h[1] << 16);
}

/* Element e of fragment (row0, col0) at K offset k0: C(row0 + g + 8 (e / 2),
 * col0 + 2 t + e % 2), the layout of mma.sync's accumulators. */
void mma_emulated(float *c, __local const uint *as, __local const uint *bs, int row0, int col0,
                  int k0, int g, int t) {
  __local const half *ah = (__local const half *)as, *bh = (__local const half *)bs;
  for (int e = 0; e < 4; e++) {
    int row = row0 + g + 8 * (e / 2), col = col0 + 2 * t + e % 2;
    float sum = 0.0f;
    for (int q = 0; q < 16; q++)
      sum += vload_half(2 * row * KP + k0 + q, ah) * vload_half(2 * col * KP + k0 + q, bh);
    c[e] += sum;
  }
}
#endif

/* Where an item's p-th float4 of a K step comes from (in float4s of the
 * operand, at step 0) and goes to (in words of the local tile), for the
 * tile whose rows (i of A, j of B) start at r0, KS deep.
 *
 * K contiguous in memory (A transposed, B not): float4 v holds 4 values of
 * one row, two words stored side by side.  Rows contiguous: an item takes
 * a pair of columns l, l + 1 (float4s p and p + 1), 4 rows each, and
 * packs 4 words; consecutive items take consecutive pairs, so their stores
 * fall in distinct banks. */
size_t src_kcontig(int v, int r0, size_t ld) {
  int r = v / (KS / 4), l = (v % (KS / 4)) * 4;
  return ((size_t)(r0 + r) * ld + (size_t)l) / 4;
}
int dst_kcontig(int v) { return (v / (KS / 4)) * KP + (v % (KS / 4)) * 2; }
size_t src_rcontig(int q, int r0, size_t ld, int second) {
  int kp = q % (KS / 2), r4 = q / (KS / 2);
  return ((size_t)(2 * kp + second) * ld + (size_t)(r0 + 4 * r4)) / 4;
}
int dst_rcontig(int q) { return (q / (KS / 2)) * 4 * KP + q % (KS / 2); }

/* An item's p-th float4 of a K step: its source (the return value) and
 * its destination word in the local tile (*dst), for either layout. */
size_t load_slot(int p, bool k_contig, int r0, size_t ld, int *dst) {
  if (k_contig) {
    int v = get_local_id(0) + p * NT;
    *dst = dst_kcontig(v);
    return src_kcontig(v, r0, ld);
  }
  int q = get_local_id(0) + (p / 2) * NT;
  *dst = dst_rcontig(q);
  return src_rcontig(q, r0, ld, p % 2);
}

/* Stores the prefetched float4s V[0..COUNT) of one operand into the
 * local words X (macros, so that V stays in registers). */
#define PUT_KCONTIG(X, AT, V, COUNT)                             \
  _Pragma("unroll") for (int p = 0; p < (COUNT); p++)           \
    *(__local uint2 *)((X) + AT[p]) =                            \
        (uint2)(pack_half2(V[p].x, V[p].y), pack_half2(V[p].z, V[p].w));
#define PUT_RCONTIG(X, AT, V, COUNT)                             \
  _Pragma("unroll") for (int p = 0; p < (COUNT); p += 2) {      \
    (X)[AT[p]] = pack_half2(V[p].x, V[p + 1].x);                 \
    (X)[AT[p] + KP] = pack_half2(V[p].y, V[p + 1].y);            \
    (X)[AT[p] + 2 * KP] = pack_half2(V[p].z, V[p + 1].z);        \
    (X)[AT[p] + 3 * KP] = pack_half2(V[p].w, V[p + 1].w);        \
  }

#if TRANS_A
#define A_KCONTIG 1
#define PUT_A PUT_KCONTIG
#else
#define A_KCONTIG 0
#define PUT_A PUT_RCONTIG
#endif
#if TRANS_B
#define B_KCONTIG 0
#define PUT_B PUT_RCONTIG
#else
#define B_KCONTIG 1
#define PUT_B PUT_KCONTIG
#endif

#ifdef NO_REQD_WG
__kernel void
#else
__kernel __attribute__((reqd_work_group_size(NT, 1, 1))) void
#endif
gemm590_tensor_f16(const int M, const int N, const int K, const float alpha,
                   __global const float *A, const int lda, __global const float *B,
                   const int ldb, const float beta, __global float *C, const int ldc) {
  __local uint2 As2[2][TM * KP / 2];
  __local uint2 Bs2[2][TN * KP / 2];
  __local uint(*As)[TM * KP] = (__local uint(*)[TM * KP])As2;
  __local uint(*Bs)[TN * KP] = (__local uint(*)[TN * KP])Bs2;
  const int tid = get_local_id(0), lane = tid % 32, warp = tid / 32;
  const int g = lane / 4, t = lane % 4;
  const int wm = warp % WARPS_M, wn = warp / WARPS_M;
  const int i0 = get_group_id(0) * TM, j0 = get_group_id(1) * TN;
  const int slices = get_num_groups(2), z = get_group_id(2);
  const int steps = K / KS / slices;

  /* Sources (advanced one K step per iteration) and destinations. */
  __global const float4 *pa[LOADS_A], *pb[LOADS_B];
  int la[LOADS_A], lb[LOADS_B];
  const size_t a_step = A_KCONTIG ? KS / 4 : (size_t)KS * (size_t)lda / 4;
  const size_t b_step = B_KCONTIG ? KS / 4 : (size_t)KS * (size_t)ldb / 4;
#pragma unroll
  for (int p = 0; p < LOADS_A; p++)
    pa[p] = (__global const float4 *)A + load_slot(p, A_KCONTIG, i0, (size_t)lda, &la[p]) +
            (size_t)z * (size_t)steps * a_step;
#pragma unroll
  for (int p = 0; p < LOADS_B; p++)
    pb[p] = (__global const float4 *)B + load_slot(p, B_KCONTIG, j0, (size_t)ldb, &lb[p]) +
            (size_t)z * (size_t)steps * b_step;

  float acc[MI][NI][4];
#pragma unroll
  for (int mi = 0; mi < MI; mi++)
#pragma unroll
    for (int ni = 0; ni < NI; ni++)
#pragma unroll
      for (int e = 0; e < 4; e++) acc[mi][ni][e] = 0.0f;

  float4 ra[LOADS_A], rb[LOADS_B];
#pragma unroll
  for (int p = 0; p < LOADS_A; p++) ra[p] = *pa[p];
#pragma unroll
  for (int p = 0; p < LOADS_B; p++) rb[p] = *pb[p];
  PUT_A(As[0], la, ra, LOADS_A)
  PUT_B(Bs[0], lb, rb, LOADS_B)
  barrier(CLK_LOCAL_MEM_FENCE);

  for (int s = 0; s < steps; s++) {
    const int cur = s & 1;
    const bool more = s + 1 < steps;
    if (more) {
#pragma unroll
      for (int p = 0; p < LOADS_A; p++) {
        pa[p] += a_step;
        ra[p] = *pa[p];
      }
#pragma unroll
      for (int p = 0; p < LOADS_B; p++) {
        pb[p] += b_step;
        rb[p] = *pb[p];
      }
    }
    __local const uint *as = As[cur];
    __local const uint *bs = Bs[cur];
#pragma unroll
    for (int kk = 0; kk < KS / 16; kk++) {
      uint a[MI][4], b[NI][2];
#pragma unroll
      for (int mi = 0; mi < MI; mi++) {
        int r = (wm * WTM + mi * 16 + g) * KP + kk * 8 + t;
        a[mi][0] = as[r];
        a[mi][1] = as[r + 8 * KP];
        a[mi][2] = as[r + 4];
        a[mi][3] = as[r + 8 * KP + 4];
      }
#pragma unroll
      for (int ni = 0; ni < NI; ni++) {
        int c = (wn * WTN + ni * 8 + g) * KP + kk * 8 + t;
        b[ni][0] = bs[c];
        b[ni][1] = bs[c + 4];
      }
#pragma unroll
      for (int mi = 0; mi < MI; mi++)
#pragma unroll
        for (int ni = 0; ni < NI; ni++)
#if EMULATE_MMA
          mma_emulated(acc[mi][ni], as, bs, wm * WTM + mi * 16, wn * WTN + ni * 8, kk * 16, g, t);
#else
          MMA(acc[mi][ni], a[mi], b[ni]);
#endif
    }
    if (more) {
      PUT_A(As[cur ^ 1], la, ra, LOADS_A)
      PUT_B(Bs[cur ^ 1], lb, rb, LOADS_B)
    }
    barrier(CLK_LOCAL_MEM_FENCE);
  }

  /* Fragment element e of (mi, ni) is C(row + 8 (e / 2), col + e % 2). A
   * partial tile goes, unscaled, to slice z, as in regblock.cl. */
  const bool partial = slices > 1;
  if (partial) C += (size_t)z * (size_t)ldc * (size_t)(get_num_groups(1) * TN);
#pragma unroll
  for (int mi = 0; mi < MI; mi++)
#pragma unroll
    for (int ni = 0; ni < NI; ni++)
#pragma unroll
      for (int e = 0; e < 4; e++) {
        size_t i = (size_t)(i0 + wm * WTM + mi * 16 + g + 8 * (e / 2));
        size_t j = (size_t)(j0 + wn * WTN + ni * 8 + 2 * t + e % 2);
        __global float *dst = C + j * (size_t)ldc + i;
        float r = acc[mi][ni][e];
#if BETA_ZERO
        *dst = partial ? r : alpha * r;
#else
        *dst = partial ? r : alpha * r + beta * *dst;
#endif
      }
}
