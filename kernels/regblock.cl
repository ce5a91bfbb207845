/* regblock: register-blocked large tiles.
 *
 * A TM x TN tile of C per work-group of (TM/WM) * (TN/WN) items, each item
 * accumulating WM x WN results in registers.  K advances in steps of KS
 * through two local-memory buffers: while one step is multiplied, the next
 * step's operands are already loaded from global memory into registers
 * (prefetch) and then stored to the other buffer, so one barrier per step
 * suffices.
 *
 * The host pads every operand with zeros to whole tiles (rows and columns
 * to multiples of TM, TN and KS, leading dimensions to those padded sizes),
 * so this kernel needs no bounds checks and every float4 access is 16-byte
 * aligned.  Accesses go through float4 pointers, not vload4 on float
 * pointers: only then does the compiler know the alignment and emit
 * 128-bit loads and stores (vload4 promises only 4-byte alignment).  The C
 * it writes is padded too; the host copies back the M x N block.
 *
 * Split K: launched with S > 1 work-groups along the third dimension
 * (lib/cl_launch.c, plans with -DSPLITK=S), group z multiplies only the
 * z-th of S equal parts of K and stores its unscaled partial tile in the
 * z-th of S C-sized slices; kernels/splitk_sum.cl then forms
 * alpha * sum + beta * C.  That gives every compute unit work when C has
 * few tiles.  With one slice the kernel is the plain GEMM.
 *
 * Each item's WM rows are RM = WM/4 float4 blocks, TM/RM apart, and its WN
 * columns RN = WN/4 blocks of 4, TN/RN apart: neighbouring items read
 * neighbouring float4s of local memory (no bank conflicts), and global
 * stores of C are float4-wide and coalesced.
 *
 * real_t and real4_t (kernels/common.cl) are float and float4, or double
 * and double4 when built with -DREAL_DOUBLE=1 for float64 jobs.
 *
 * -DMMA=1 (NVIDIA sm_80 and later): the same tiles, loads and local
 * layout, multiplied on the tensor cores through inline PTX (as
 * kernels/tensor_f16.cl does for binary16): a work-group of WARPS_M x
 * WARPS_N warps, each warp a (TM/WARPS_M) x (TN/WARPS_N) block of
 * fragments.  Lane (g = lane/4, t = lane%4) loads its fragment elements
 * straight from the local tiles:
 *   float64, mma.sync m8n8k4 .f64: A element As[k + t][row + g], B element
 *     Bs[k + t][col + g]; rows TM + 4 doubles long put the 16 lanes of a
 *     half-warp on 16 distinct bank pairs.  Products of doubles summed in
 *     double: float64 accuracy.
 *   float64 with -DMMA=2 (sm_90 and later), mma.sync m16n8k8 .f64: the
 *     TF32 layout below in doubles, same banks as m8n8k4; twice the rows
 *     and depth per instruction, which ran the same tiles 1.41-1.45x
 *     faster on the H200.
 *   float32, mma.sync m16n8k8 .tf32 (the TF32 opt-in only: A and B are
 *     rounded to TF32, 10-bit mantissas, on their way out of local memory;
 *     products and sums in float32): A elements at rows g and g + 8,
 *     columns t and t + 4 of the fragment, B at rows t and t + 4, column
 *     g; rows TM + 8 floats long put the 32 lanes on 32 banks.
 * -DEMULATE_MMA=1 computes each fragment element from local memory
 * instead, with the same roundings (tests on any device).
 *
 * -DSWIZZLE=1 (float64 tensor-core tiles, TM and TN multiples of 16):
 *   rows of exactly TM (TN) doubles, no padding, and element (k, x) of a
 *   K step kept at column x ^ 4 (k % 4): a half-warp's fragment loads
 *   (rows k + t, columns x + g) still fall on 16 distinct bank pairs, and
 *   a 128x64 tile with KS 16 fits the 48 KiB of local memory double
 *   buffered (it does not with padding).  With -DASYNC=1 an operand kept
 *   [row][k] has rows of KS doubles, k kept at KSW(row, k): three stages
 *   of a 128x128 tile with KS 8 fill the 48 KiB exactly.
 * -DPROBE=1 or 2 (diagnostic, wrong results: only with GEMM590_PROBE=1
 * and a forced kernel): the K loop without its global loads and local
 * stores (1), and without its barriers too (2), to measure what each
 * costs (bench/NOTES.md).
 * -DASYNC=1 [-DSTAGES=2..4] (float64 tensor-core tiles): the tiles are
 * fetched with cp.async into a ring of STAGES buffers instead of through
 * registers.  Correct on the H100, but no faster there (3 stages matched
 * the register path, 2 lost 10-15 %; bench/NOTES.md): nothing selects it. */
#ifndef TM
#define TM 128
#endif
#ifndef TN
#define TN 128
#endif
#ifndef KS
#define KS 8
#endif
#ifndef WM
#define WM 8
#endif
#ifndef WN
#define WN 8
#endif

#ifndef MMA
#define MMA 0
#endif
#ifndef EMULATE_MMA
#define EMULATE_MMA 0
#endif
#ifndef ASYNC
#define ASYNC 0
#endif
#ifndef STAGES
#define STAGES 3
#endif
#if ASYNC && !(MMA && REAL_DOUBLE)
#error "regblock -DASYNC=1 is a form of the float64 tensor-core kernel"
#endif
#ifndef SWIZZLE
#define SWIZZLE 0
#endif
#ifndef PROBE
#define PROBE 0
#endif
#if PROBE && ASYNC
#error "regblock -DPROBE: the K loop through registers"
#endif
#if SWIZZLE && (!(MMA && REAL_DOUBLE) || (TM % 16) || (TN % 16) || (ASYNC && (KS % 8)))
#error "regblock -DSWIZZLE=1: float64 tensor-core tiles, TM and TN multiples of 16"
#endif

#define RM (WM / 4)
#define RN (WN / 4)
#define DX (TM / WM)
#if MMA
#define NT (32 * WARPS_M * WARPS_N)
#define WTM (TM / WARPS_M)
#define WTN (TN / WARPS_N)
/* Fragment rows and depth, and the elements of C each lane holds. */
#if REAL_DOUBLE && MMA == 1
#define FM 8
#define FK 4
#define FE 2
#elif MMA == 3
#define FM 16
#define FK 16
#define FE 4
#else
#define FM 16
#define FK 8
#define FE 4
#endif
#define MI (WTM / FM)
#define NI (WTN / 8)
#if (WTM % FM) || (WTN % 8) || (KS % FK)
#error "regblock MMA: warp tiles of whole fragments, KS a multiple of the fragment depth"
#endif
#else
#define NT (DX * (TN / WN))
#endif
/* +4 floats per local row: the transposing stores of consecutive items
 * land in different banks, while rows stay 16-byte aligned. */
#if MMA && !REAL_DOUBLE
#define PAD 8
#elif SWIZZLE
#define PAD 0
#else
#define PAD 4
#endif
/* Where column x of local row k is kept (-DSWIZZLE=1; the identity
 * otherwise).  Bits 2 and 3 only: a real4_t of 4 aligned columns stays
 * whole. */
#if SWIZZLE
#define SWZ(k, x) ((x) ^ (((k)&3) << 2))
#else
#define SWZ(k, x) (x)
#endif
#define LDA_S (TM + PAD)
#define LDB_S (TN + PAD)
#define A_VECS (TM * KS / 4)
#define B_VECS (TN * KS / 4)
#define A_PER_ITEM ((A_VECS + NT - 1) / NT)
#define B_PER_ITEM ((B_VECS + NT - 1) / NT)

#if (WM % 4) || (WN % 4) || (KS % 4) || (TM % WM) || (TN % WN)
#error "regblock: WM, WN, KS must be multiples of 4 dividing TM, TN"
#endif

/* The v-th real4_t of a K step's A tile: where it starts in global memory
 * (in float4s, at step 0) and where it goes in local memory (in floats).
 * Consecutive v walk the direction that is contiguous in memory. */
size_t a_global(int v, int i0, int lda) {
#if TRANS_A
  int i = v / (KS / 4), l = (v % (KS / 4)) * 4;
#else
  int l = v / (TM / 4), i = (v % (TM / 4)) * 4;
#endif
  return A_INDEX(i0 + i, l, lda) / 4;
}
int a_local(int v) {
#if TRANS_A
  return ((v % (KS / 4)) * 4) * LDA_S + v / (KS / 4);
#else
  int l = v / (TM / 4);
  return l * LDA_S + SWZ(l, (v % (TM / 4)) * 4);
#endif
}
size_t b_global(int v, int j0, int ldb) {
#if TRANS_B
  int l = v / (TN / 4), j = (v % (TN / 4)) * 4;
#else
  int j = v / (KS / 4), l = (v % (KS / 4)) * 4;
#endif
  return B_INDEX(l, j0 + j, ldb) / 4;
}
int b_local(int v) {
#if TRANS_B
  int l = v / (TN / 4);
  return l * LDB_S + SWZ(l, (v % (TN / 4)) * 4);
#else
  return ((v % (KS / 4)) * 4) * LDB_S + v / (KS / 4);
#endif
}

/* Stores a real4_t of A into the local tile laid out [l][i]: as it is when
 * A's columns are contiguous, transposed (4 scalars, LDA_S apart) when not.
 * A transposed store starts at a row l that is a multiple of 4, so row
 * l + r keeps column i at SWZ(r, i). */
void write_a(__local real_t *As, int at, real4_t x) {
#if TRANS_A && SWIZZLE
  int i = at % LDA_S, row = at - i;
  As[row + SWZ(0, i)] = x.x;
  As[row + LDA_S + SWZ(1, i)] = x.y;
  As[row + 2 * LDA_S + SWZ(2, i)] = x.z;
  As[row + 3 * LDA_S + SWZ(3, i)] = x.w;
#elif TRANS_A
  As[at] = x.x;
  As[at + LDA_S] = x.y;
  As[at + 2 * LDA_S] = x.z;
  As[at + 3 * LDA_S] = x.w;
#else
  *(__local real4_t *)(As + at) = x;
#endif
}

/* The local B tile is laid out [l][j]: op(B) transposed when B is not. */
void write_b(__local real_t *Bs, int at, real4_t x) {
#if TRANS_B
  *(__local real4_t *)(Bs + at) = x;
#elif SWIZZLE
  int j = at % LDB_S, row = at - j;
  Bs[row + SWZ(0, j)] = x.x;
  Bs[row + LDB_S + SWZ(1, j)] = x.y;
  Bs[row + 2 * LDB_S + SWZ(2, j)] = x.z;
  Bs[row + 3 * LDB_S + SWZ(3, j)] = x.w;
#else
  Bs[at] = x.x;
  Bs[at + LDB_S] = x.y;
  Bs[at + 2 * LDB_S] = x.z;
  Bs[at + 3 * LDB_S] = x.w;
#endif
}

/* op(A)(row, k) and op(B)(k, col) of the current K step in local memory.
 * -DASYNC=1 copies tiles as they lie in global memory, so an operand whose
 * K index is the contiguous one (A transposed, B not) is kept [row][k],
 * rows KS + 4 doubles long: a half-warp's 16 fragment loads (4 rows g, 4
 * columns t) then fall on 16 distinct bank pairs.  With -DSWIZZLE=1 the
 * rows are KS long and k of row r is kept at KSW(r, k), which spreads
 * those loads as well: rows 8 apart in banks (KS 8) or 16 (0 mod 16), so
 * k moves by 4 with bit 1 (KS 8) or bits 0-1 (larger KS) of the row.
 * The XOR keeps aligned groups of 4 doubles whole, as the copies need. */
#if SWIZZLE
#define LDK_S KS
#if KS == 8
#define KSW(r, k) ((k) ^ ((((r) >> 1) & 1) << 2))
#else
#define KSW(r, k) ((k) ^ (((r)&3) << 2))
#endif
#else
#define LDK_S (KS + 4)
#define KSW(r, k) (k)
#endif
#if ASYNC && TRANS_A
#define A_AT(k, row) as_[(row) * LDK_S + KSW(row, k)]
#define A_TILE (TM * LDK_S)
#else
#define A_AT(k, row) as_[(k) * LDA_S + SWZ(k, row)]
#define A_TILE (KS * LDA_S)
#endif
#if ASYNC && !TRANS_B
#define B_AT(k, col) bs_[(col) * LDK_S + KSW(col, k)]
#define B_TILE (TN * LDK_S)
#else
#define B_AT(k, col) bs_[(k) * LDB_S + SWZ(k, col)]
#define B_TILE (KS * LDB_S)
#endif

#if ASYNC
/* Where the v-th real4_t of a K step lands in the tiles ASYNC keeps. */
int a_local_async(int v) {
#if TRANS_A
  int r = v / (KS / 4);
  return r * LDK_S + KSW(r, (v % (KS / 4)) * 4);
#else
  return a_local(v);
#endif
}
int b_local_async(int v) {
#if TRANS_B
  return b_local(v);
#else
  int r = v / (KS / 4);
  return r * LDK_S + KSW(r, (v % (KS / 4)) * 4);
#endif
}
#if EMULATE_MMA
/* Off NVIDIA: a plain copy, complete at once (the waits have nothing to do). */
void copy_async(__local real_t *dst, __global const real4_t *src) { *(__local real4_t *)dst = *src; }
#define COMMIT()
#define WAIT_ALL_BUT(n)
#else
/* cp.async (sm_80 and later): a real4_t is two 16-byte copies that bypass
 * the registers and L1; a __local pointer's value is its shared-memory
 * address.  Copies are committed in one group per K step, and waiting for
 * all but the newest n groups leaves n steps in flight. */
void copy_async(__local real_t *dst, __global const real4_t *src) {
  __global const real_t *s = (__global const real_t *)src;
  __asm__ volatile("cp.async.cg.shared.global [%0], [%1], 16;\n\t"
                   "cp.async.cg.shared.global [%2], [%3], 16;"
                   :
                   : "l"((ulong)dst), "l"(s), "l"((ulong)(dst + 2)), "l"(s + 2)
                   : "memory");
}
#define COMMIT() __asm__ volatile("cp.async.commit_group;" ::: "memory")
#define WAIT_ALL_BUT(n) __asm__ volatile("cp.async.wait_group %0;" ::"n"(n) : "memory")
#endif
#endif

#if MMA >= 2 && !REAL_DOUBLE
#error "regblock -DMMA=2 and 3 are float64 forms (m16n8k8, m16n8k16)"
#endif
#if MMA == 2 && !EMULATE_MMA
/* A lane's fragments of op(A) (rows r..r+15) and op(B) (columns q..q+7)
 * at K offset k, and acc += a * b for one m16n8k8 .f64 fragment (sm_90):
 * the element layout of the TF32 form below, in doubles. */
typedef double4 frag_a;
typedef double2 frag_b;
#define FRAG(x) (x)
#define MMA_SYNC(acc, a, b)                                                                   \
  __asm__("mma.sync.aligned.m16n8k8.row.col.f64.f64.f64.f64 {%0,%1,%2,%3}, "             \
          "{%4,%5,%6,%7}, {%8,%9}, {%10,%11,%12,%13};"                                   \
          : "=d"(acc[0]), "=d"(acc[1]), "=d"(acc[2]), "=d"(acc[3])                       \
          : "d"(a.x), "d"(a.y), "d"(a.z), "d"(a.w), "d"(b.x), "d"(b.y), "d"(acc[0]),     \
            "d"(acc[1]), "d"(acc[2]), "d"(acc[3]))
#elif MMA == 3 && !EMULATE_MMA
/* m16n8k16 .f64 (sm_90): the m16n8k8 fragments of K offsets k and k + 8
 * side by side, in one instruction. */
typedef double8 frag_a;
typedef double4 frag_b;
#define LOAD_A(k, r)                                                                             \
  (double8)(A_AT(k + lt, r + lg), A_AT(k + lt, r + lg + 8), A_AT(k + lt + 4, r + lg),            \
            A_AT(k + lt + 4, r + lg + 8), A_AT(k + lt + 8, r + lg), A_AT(k + lt + 8, r + lg + 8), \
            A_AT(k + lt + 12, r + lg), A_AT(k + lt + 12, r + lg + 8))
#define LOAD_B(k, q)                                                                             \
  (double4)(B_AT(k + lt, q + lg), B_AT(k + lt + 4, q + lg), B_AT(k + lt + 8, q + lg),            \
            B_AT(k + lt + 12, q + lg))
#define MMA_SYNC(acc, a, b)                                                                   \
  __asm__("mma.sync.aligned.m16n8k16.row.col.f64.f64.f64.f64 {%0,%1,%2,%3}, "            \
          "{%4,%5,%6,%7,%8,%9,%10,%11}, {%12,%13,%14,%15}, {%16,%17,%18,%19};"           \
          : "=d"(acc[0]), "=d"(acc[1]), "=d"(acc[2]), "=d"(acc[3])                       \
          : "d"(a.s0), "d"(a.s1), "d"(a.s2), "d"(a.s3), "d"(a.s4), "d"(a.s5), "d"(a.s6), \
            "d"(a.s7), "d"(b.x), "d"(b.y), "d"(b.z), "d"(b.w), "d"(acc[0]), "d"(acc[1]), \
            "d"(acc[2]), "d"(acc[3]))
#elif MMA && REAL_DOUBLE && !EMULATE_MMA
/* A lane's fragments of op(A) (rows r..r+7) and op(B) (columns q..q+7) at
 * K offset k, and acc += a * b for one m8n8k4 fragment. */
typedef double frag_a;
typedef double frag_b;
#define LOAD_A(k, r) A_AT(k + lt, r + lg)
#define LOAD_B(k, q) B_AT(k + lt, q + lg)
#define MMA_SYNC(acc, a, b)                                                                   \
  __asm__("mma.sync.aligned.m8n8k4.row.col.f64.f64.f64.f64 {%0,%1}, {%2}, {%3}, {%4,%5};" \
          : "=d"(acc[0]), "=d"(acc[1])                                                   \
          : "d"(a), "d"(b), "d"(acc[0]), "d"(acc[1]))
#elif MMA && !EMULATE_MMA
uint tf32(float x) {
  uint r;
  __asm__("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(x));
  return r;
}
/* The same for one m16n8k8 fragment, A and B rounded to TF32: A elements
 * at rows g and g + 8, columns t and t + 4, B at rows t and t + 4. */
typedef uint4 frag_a;
typedef uint2 frag_b;
#define FRAG(x) tf32(x)
#define MMA_SYNC(acc, a, b)                                                                   \
  __asm__("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, "           \
          "{%4,%5,%6,%7}, {%8,%9}, {%10,%11,%12,%13};"                                   \
          : "=f"(acc[0]), "=f"(acc[1]), "=f"(acc[2]), "=f"(acc[3])                       \
          : "r"(a.x), "r"(a.y), "r"(a.z), "r"(a.w), "r"(b.x), "r"(b.y), "f"(acc[0]),     \
            "f"(acc[1]), "f"(acc[2]), "f"(acc[3]))
#endif
#if (MMA == 2 || (MMA && !REAL_DOUBLE)) && !EMULATE_MMA
/* m16n8k8 fragments, float64 or TF32. */
#define LOAD_A(k, r)                                                                  \
  (frag_a)(FRAG(A_AT(k + lt, r + lg)), FRAG(A_AT(k + lt, r + lg + 8)),                \
           FRAG(A_AT(k + lt + 4, r + lg)), FRAG(A_AT(k + lt + 4, r + lg + 8)))
#define LOAD_B(k, q) (frag_b)(FRAG(B_AT(k + lt, q + lg)), FRAG(B_AT(k + lt + 4, q + lg)))
#endif
#if MMA && EMULATE_MMA
/* Emulated: each of the lane's elements of C (row r + g (+ 8 for the
 * second pair of a TF32 fragment), column q + 2t + e % 2) summed from
 * local memory, rounding float32 to TF32 as cvt.rna does (to nearest,
 * ties away from zero, 13 bits dropped). */
#if REAL_DOUBLE
#define ROUND(x) (x)
#else
#define ROUND(x) as_float((as_uint(x) + 0x1000u) & 0xffffe000u)
#endif
#define MMA_EMULATED(acc, k, r, q)                                                \
  for (int e = 0; e < FE; e++)                                                    \
    for (int kk = 0; kk < FK; kk++)                                               \
      acc[e] += ROUND(A_AT(k + kk, r + lg + 8 * (e / 2))) * ROUND(B_AT(k + kk, q + 2 * lt + e % 2));
#endif
#define MAC_COLUMN(c, bv)                                           \
  for (int rb = 0; rb < RM; rb++) acc[c][rb] = mad(a[rb], (real4_t)(bv), acc[c][rb]);

/* NO_REQD_WG drops the work-group size attribute: NVIDIA's compiler then
 * honours -cl-nv-maxrregcount, which it ignores when the size is given. */
#ifdef NO_REQD_WG
__kernel void
#else
__kernel __attribute__((reqd_work_group_size(NT, 1, 1))) void
#endif
gemm590_regblock(const int M, const int N, const int K, const real_t alpha,
                 __global const real_t *A, const int lda, __global const real_t *B, const int ldb,
                 const real_t beta, __global real_t *C, const int ldc, const int col0,
                 const long a_off, const long b_off) {
  /* real4_t-aligned: accessed as real4_t below. */
#if ASYNC
#define BUFFERS STAGES
#else
#define BUFFERS 2
#endif
  __local real4_t As4[BUFFERS][A_TILE / 4];
  __local real4_t Bs4[BUFFERS][B_TILE / 4];
  __local real_t(*As)[A_TILE] = (__local real_t(*)[A_TILE])As4;
  __local real_t(*Bs)[B_TILE] = (__local real_t(*)[B_TILE])Bs4;
  const int tid = get_local_id(0);
#if MMA
  const int lane = tid % 32, lg = lane / 4, lt = lane % 4;
  const int wrow = (tid / 32) % WARPS_M * WTM, wcol = (tid / 32) / WARPS_M * WTN;
#else
  const int tx = tid % DX, ty = tid / DX;
#endif
  const int i0 = get_group_id(0) * TM, j0 = get_group_id(1) * TN;
  /* col0: the first column of this launch within op(B) (a syrk's panels
   * read op(B), which is op(A)^T, from A's whole buffer; 0 otherwise).  A
   * syrk tile wholly outside the triangle is never read back: the whole
   * group leaves before its first barrier. */
  const int jb = j0 + col0;
  if ((SYRK_UPPER && i0 >= jb + TN) || (SYRK_LOWER && i0 + TM <= jb)) return;
  /* a_off, b_off: where this launch's op(A) and op(B) start in their
   * buffers (the K slice a launch reads when the operands cross in K
   * slices; a syrk's two are the same; 0 otherwise). */
  A += a_off;
  B += b_off;
  /* The host pads K to a multiple of KS * slices. */
  const int slices = get_num_groups(2), z = get_group_id(2);
  const int steps = K / KS / slices;
#if MMA
  real_t acc[MI][NI][FE];
  for (int mi = 0; mi < MI; mi++)
    for (int ni = 0; ni < NI; ni++)
      for (int e = 0; e < FE; e++) acc[mi][ni][e] = 0;
#else
  real4_t acc[WN][RM];
  for (int c = 0; c < WN; c++)
    for (int rb = 0; rb < RM; rb++) acc[c][rb] = (real4_t)(0);
#endif

  /* Per item: global sources (advanced by one K step each iteration) and
   * local destinations of its share of the tiles, computed once. */
  __global const real4_t *pa[A_PER_ITEM], *pb[B_PER_ITEM];
  int la[A_PER_ITEM], lb[B_PER_ITEM];
  const size_t a_step = TRANS_A ? KS / 4 : (size_t)KS * (size_t)lda / 4;
  const size_t b_step = TRANS_B ? (size_t)KS * (size_t)ldb / 4 : KS / 4;
  real4_t ra[A_PER_ITEM], rb_[B_PER_ITEM];
  for (int p = 0; p < A_PER_ITEM; p++) {
    int v = tid + p * NT;
    pa[p] = (__global const real4_t *)A + a_global(v < A_VECS ? v : 0, i0, lda) +
            (size_t)z * (size_t)steps * a_step;
#if ASYNC
    la[p] = a_local_async(v < A_VECS ? v : 0);
#else
    la[p] = a_local(v < A_VECS ? v : 0);
#endif
  }
  for (int p = 0; p < B_PER_ITEM; p++) {
    int v = tid + p * NT;
    pb[p] = (__global const real4_t *)B + b_global(v < B_VECS ? v : 0, jb, ldb) +
            (size_t)z * (size_t)steps * b_step;
#if ASYNC
    lb[p] = b_local_async(v < B_VECS ? v : 0);
#else
    lb[p] = b_local(v < B_VECS ? v : 0);
#endif
  }

#if ASYNC
  /* K step t lives in buffer t % STAGES.  The first STAGES - 1 steps are
   * requested up front; each iteration then waits for its own step, and
   * requests the one STAGES - 1 ahead into the buffer every item finished
   * with before the barrier.  Every iteration commits a group, empty or
   * not, so that the wait's count stays right at the end of K. */
#define FETCH(buffer, step)                                                                   \
  do {                                                                                        \
    for (int p = 0; p < A_PER_ITEM; p++)                                                      \
      if (tid + p * NT < A_VECS) copy_async(As[buffer] + la[p], pa[p] + (size_t)(step)*a_step); \
    for (int p = 0; p < B_PER_ITEM; p++)                                                      \
      if (tid + p * NT < B_VECS) copy_async(Bs[buffer] + lb[p], pb[p] + (size_t)(step)*b_step); \
  } while (0)
  for (int s = 0; s < STAGES - 1; s++) {
    if (s < steps) FETCH(s, s);
    COMMIT();
  }
#else
  /* The first step goes straight to buffer 0. */
  for (int p = 0; p < A_PER_ITEM; p++)
    if (tid + p * NT < A_VECS) write_a(As[0], la[p], *pa[p]);
  for (int p = 0; p < B_PER_ITEM; p++)
    if (tid + p * NT < B_VECS) write_b(Bs[0], lb[p], *pb[p]);
  barrier(CLK_LOCAL_MEM_FENCE);
#endif

  for (int t = 0; t < steps; t++) {
#if ASYNC
    const int cur = t % STAGES, ahead = t + STAGES - 1;
    WAIT_ALL_BUT(STAGES - 2);
    barrier(CLK_LOCAL_MEM_FENCE);
    if (ahead < steps) FETCH(ahead % STAGES, ahead);
    COMMIT();
#else
    const int cur = t & 1;
    const bool more = t + 1 < steps;
#endif
#if !ASYNC
    if (more && !PROBE) {
      for (int p = 0; p < A_PER_ITEM; p++) {
        pa[p] += a_step;
        if (tid + p * NT < A_VECS) ra[p] = *pa[p];
      }
      for (int p = 0; p < B_PER_ITEM; p++) {
        pb[p] += b_step;
        if (tid + p * NT < B_VECS) rb_[p] = *pb[p];
      }
    }
#endif
#if MMA
    __local const real_t *as_ = As[cur], *bs_ = Bs[cur];
#pragma unroll
    for (int k = 0; k < KS; k += FK) {
#if EMULATE_MMA
      for (int mi = 0; mi < MI; mi++)
        for (int ni = 0; ni < NI; ni++) MMA_EMULATED(acc[mi][ni], k, wrow + mi * FM, wcol + ni * 8);
#else
      frag_a a[MI];
      frag_b b[NI];
#pragma unroll
      for (int mi = 0; mi < MI; mi++) a[mi] = LOAD_A(k, wrow + mi * FM);
#pragma unroll
      for (int ni = 0; ni < NI; ni++) b[ni] = LOAD_B(k, wcol + ni * 8);
#pragma unroll
      for (int mi = 0; mi < MI; mi++)
#pragma unroll
        for (int ni = 0; ni < NI; ni++) MMA_SYNC(acc[mi][ni], a[mi], b[ni]);
#endif
    }
#else
    __local const real4_t *as = (__local const real4_t *)As[cur];
    __local const real4_t *bs = (__local const real4_t *)Bs[cur];
#pragma unroll
    for (int l = 0; l < KS; l++) {
      real4_t a[RM];
      for (int rb = 0; rb < RM; rb++) a[rb] = as[(l * LDA_S + rb * (TM / RM)) / 4 + tx];
      for (int cb = 0; cb < RN; cb++) {
        real4_t b = bs[(l * LDB_S + cb * (TN / RN)) / 4 + ty];
        MAC_COLUMN(cb * 4 + 0, b.x)
        MAC_COLUMN(cb * 4 + 1, b.y)
        MAC_COLUMN(cb * 4 + 2, b.z)
        MAC_COLUMN(cb * 4 + 3, b.w)
      }
    }
#endif
#if !ASYNC
    if (more && !PROBE) {
      for (int p = 0; p < A_PER_ITEM; p++)
        if (tid + p * NT < A_VECS) write_a(As[cur ^ 1], la[p], ra[p]);
      for (int p = 0; p < B_PER_ITEM; p++)
        if (tid + p * NT < B_VECS) write_b(Bs[cur ^ 1], lb[p], rb_[p]);
    }
#if PROBE < 2
    barrier(CLK_LOCAL_MEM_FENCE);
#endif
#endif
  }

  /* A partial tile goes, unscaled, to slice z (each slice is as large as
   * the padded C this launch covers). */
  const bool partial = slices > 1;
  if (partial) C += (size_t)z * (size_t)ldc * (size_t)(get_num_groups(1) * TN);
#if MMA
  for (int mi = 0; mi < MI; mi++)
    for (int ni = 0; ni < NI; ni++)
      for (int e = 0; e < FE; e++) {
        __global real_t *dst = C + (size_t)(j0 + wcol + ni * 8 + 2 * lt + e % 2) * (size_t)ldc +
                               (size_t)(i0 + wrow + mi * FM + lg + 8 * (e / 2));
        real_t r = acc[mi][ni][e];
#if BETA_ZERO
        *dst = partial ? r : alpha * r;
#else
        *dst = partial ? r : alpha * r + beta * *dst;
#endif
      }
#else
  for (int cb = 0; cb < RN; cb++)
    for (int c = 0; c < 4; c++) {
      size_t col = (size_t)(j0 + cb * (TN / RN) + ty * 4 + c) * (size_t)ldc;
      for (int rb = 0; rb < RM; rb++) {
        __global real4_t *dst = (__global real4_t *)(C + col + i0 + rb * (TM / RM) + tx * 4);
        real4_t r = acc[cb * 4 + c][rb];
#if BETA_ZERO
        *dst = partial ? r : alpha * r;
#else
        *dst = partial ? r : alpha * r + beta * *dst;
#endif
      }
    }
#endif
}
