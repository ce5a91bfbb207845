#!/usr/bin/env python3
"""cuBLAS SGEMM reference numbers through PyTorch (on the GPU machine).

TF32 is off, so this is true float32 SGEMM.  Resident: operands already on
the GPU, median of CUDA-event timings.  End to end: from pageable numpy
arrays (copy in, matmul, copy out), median wall time.
Usage: cublas_ref.py [sizes...]   (default 256 512 1024 1280 2048 4096 8192)
Prints CSV: what,m,n,k,mode,seconds,tflops
"""
import sys
import time

import numpy as np
import torch

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def resident(n):
    a = torch.rand(n, n, device="cuda") * 2 - 1
    b = torch.rand(n, n, device="cuda") * 2 - 1
    c = torch.empty(n, n, device="cuda")
    for _ in range(3):
        torch.mm(a, b, out=c)
    torch.cuda.synchronize()
    reps = max(3, int(2e11 / (2.0 * n ** 3)))
    times = []
    for _ in range(5):
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(reps):
            torch.mm(a, b, out=c)
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop) / 1e3 / reps)
    return median(times)


def end_to_end(n):
    rng = np.random.default_rng(1)
    a = rng.uniform(-1, 1, (n, n)).astype(np.float32)
    b = rng.uniform(-1, 1, (n, n)).astype(np.float32)
    times = []
    for i in range(6):
        t0 = time.perf_counter()
        c = (torch.from_numpy(a).cuda() @ torch.from_numpy(b).cuda()).cpu().numpy()
        times.append(time.perf_counter() - t0)
    return median(times[1:])


def main():
    sizes = [int(x) for x in sys.argv[1:]] or [256, 512, 1024, 1280, 2048, 4096, 8192]
    print("what,m,n,k,mode,seconds,tflops")
    for n in sizes:
        flops = 2.0 * n ** 3
        for mode, fn in (("resident", resident), ("e2e", end_to_end)):
            s = fn(n)
            print("cublas,%d,%d,%d,%s,%.6e,%.3f" % (n, n, n, mode, s, flops / s / 1e12), flush=True)


if __name__ == "__main__":
    main()
