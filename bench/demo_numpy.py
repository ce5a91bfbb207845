"""A first look at libgemm590 from numpy, without changing numpy:

    GEMM590_VERBOSE=1 LD_PRELOAD=build/lib/libgemm590.so /usr/bin/python3 bench/demo_numpy.py

numpy's float32 products call cblas_sgemm, which LD_PRELOAD makes
libgemm590's; each call prints the path libgemm590 chose to stderr.
"""
import numpy as np

rng = np.random.default_rng(0)
for n in (64, 512, 1024):
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    c = a @ b
    err = np.max(np.abs(c - a.astype(np.float64) @ b.astype(np.float64)))
    print(f"{n} x {n} float32 a @ b: max |error| against float64 = {err:.2e}", flush=True)
