#!/usr/bin/env python3
"""cuBLAS SGEMM (or DGEMM) reference numbers through PyTorch (on the GPU machine).

TF32 is off, so this is true float32 SGEMM.  Resident: operands already on
the GPU, median of CUDA-event timings.  End to end: from pageable numpy
arrays (copy in, matmul, copy out), median wall time.
Usage: cublas_ref.py [--float64] [SHAPE...]   SHAPE: n (square NN) or MxNxK[:TT] with
TT in NN, NT, TN, TT (column-major op(A) op(B), as gemm590-bench --trans)
(default 256 512 1024 1280 2048 4096 8192)
--float64: DGEMM (float64 operands; the rows are named cublas-dgemm).
Prints CSV: what,m,n,k,trans,mode,seconds,tflops
"""
import sys
import time

import numpy as np
import torch

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
DTYPE = torch.float32


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def operands(m, n, k, trans):
    """Torch (row-major) operands for the column-major C = op(A) op(B).

    Column-major C (m x n) is row-major C^T (n x m) = op(B)^T op(A)^T; a
    transposed operand is a transposed view, as cuBLAS receives it from a
    column-major caller.
    """
    def rnd(r, c):
        return torch.rand(r, c, device="cuda", dtype=DTYPE) * 2 - 1
    x = rnd(n, k) if trans[1] == "N" else rnd(k, n).t()
    y = rnd(k, m) if trans[0] == "N" else rnd(m, k).t()
    return x, y


def resident(m, n, k, trans):
    x, y = operands(m, n, k, trans)
    c = torch.empty(n, m, device="cuda", dtype=DTYPE)
    for _ in range(3):
        torch.mm(x, y, out=c)
    torch.cuda.synchronize()
    reps = max(3, int(2e11 / (2.0 * m * n * k)))
    times = []
    for _ in range(5):
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(reps):
            torch.mm(x, y, out=c)
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop) / 1e3 / reps)
    return median(times)


def end_to_end(n):
    rng = np.random.default_rng(1)
    dtype = np.float64 if DTYPE == torch.float64 else np.float32
    a = rng.uniform(-1, 1, (n, n)).astype(dtype)
    b = rng.uniform(-1, 1, (n, n)).astype(dtype)
    times = []
    for i in range(6):
        t0 = time.perf_counter()
        c = (torch.from_numpy(a).cuda() @ torch.from_numpy(b).cuda()).cpu().numpy()
        times.append(time.perf_counter() - t0)
    return median(times[1:])


def main():
    global DTYPE
    args = sys.argv[1:]
    what = "cublas"
    if args[:1] == ["--float64"]:
        DTYPE, what, args = torch.float64, "cublas-dgemm", args[1:]
    shapes = args or ["256", "512", "1024", "1280", "2048", "4096", "8192"]
    print("what,m,n,k,trans,mode,seconds,tflops")
    for spec in shapes:
        dims, _, trans = spec.partition(":")
        trans = trans or "NN"
        m, n, k = [int(x) for x in dims.split("x")] if "x" in dims else [int(dims)] * 3
        flops = 2.0 * m * n * k
        s = resident(m, n, k, trans)
        print("%s,%d,%d,%d,%s,resident,%.6e,%.3f" % (what, m, n, k, trans, s, flops / s / 1e12),
              flush=True)
        if m == n == k and trans == "NN":
            s = end_to_end(n)
            print("%s,%d,%d,%d,NN,e2e,%.6e,%.3f" % (what, n, n, n, s, flops / s / 1e12),
                  flush=True)


if __name__ == "__main__":
    main()
