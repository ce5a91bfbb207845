#!/usr/bin/env python3
"""cuBLAS binary16 GEMM with float32 sums, resident, through PyTorch (on the
GPU machine): the reference for tensor_f16's resident TFLOPS.

For each n: `a @ b` on n x n binary16 CUDA tensors with reduced-precision
reductions off, timed by CUDA events, median of 7 batches.
Usage: cublas_hgemm_ref.py N...   Prints CSV: what,n,seconds,tflops
"""
import sys

import torch

torch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction = False

for n in [int(x) for x in sys.argv[1:]]:
    a = torch.randn(n, n, device="cuda", dtype=torch.half)
    b = torch.randn(n, n, device="cuda", dtype=torch.half)
    for _ in range(3):
        c = a @ b
    reps = max(1, int(2e12 / (2 * n**3)))
    times = []
    for _ in range(7):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(reps):
            c = a @ b
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end) / 1e3 / reps)
    t = sorted(times)[len(times) // 2]
    print(f"cublas-hgemm-f32acc,{n},{t:.6e},{2 * n**3 / t / 1e12:.2f}")
