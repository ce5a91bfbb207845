"""numpy under LD_PRELOAD=libgemm590.so with multiprocessing, fork and spawn.

usage: LD_PRELOAD=.../libgemm590.so GEMM590_DEVICE=cpu GEMM590_KERNEL=tile24 \\
       /usr/bin/python3 numpy_mp.py PROBE

Run by Debian's /usr/bin/python3 with Debian's numpy, whose float32 matmul
calls cblas_sgemm, which LD_PRELOAD makes libgemm590's.  PROBE (probe.c)
only serves to skip when there is no OpenCL CPU device.

- The parent computes matmuls on the device (the library's counters, read
  through ctypes, must say so), which opens the OpenCL context before any
  worker starts.
- With the 'fork' start method, 2 worker processes compute matmuls: they
  inherit the parent's library state, so they must use the host (device
  counter unchanged, host counter up) and get right results.
- With 'spawn', 2 fresh interpreters load the library themselves and
  compute on the device.
- The parent then still computes on the device.

Every result is compared with float64 numpy within the float32 bound of
the correctness tests: 8 (K + 2) eps (|A| |B|) elementwise.  Workers that
do not report within TIMEOUT seconds (a hang) fail the test.
"""
import ctypes
import multiprocessing
import subprocess
import sys

TIMEOUT = 90
SKIP = 77
SHAPES = [(64, 80, 96), (150, 129, 37), (33, 300, 17)]  # (M, K, N)


class Counters(ctypes.Structure):
    _fields_ = [("calls", ctypes.c_uint64 * 2), ("flops", ctypes.c_double * 2)]


def counters():
    """(host, device) calls counted by libgemm590 in this process."""
    c = Counters()
    ctypes.CDLL(None).gemm590_get_counters(ctypes.byref(c))
    return c.calls[0], c.calls[1]


def matmuls(seed):
    """Computes SHAPES (plain and with transposed operands); returns a list
    of failures and the (host, device) calls it caused."""
    import numpy as np
    rng = np.random.default_rng(seed)
    before = counters()
    failures = []
    for m, k, n in SHAPES:
        a = rng.uniform(-1, 1, (m, k)).astype(np.float32)
        b = rng.uniform(-1, 1, (k, n)).astype(np.float32)
        # Row-major operands, then column-major ones (numpy passes transposes).
        for name, x, y in (("A @ B", a, b), ("column-major A @ B", a.T.copy().T, b.T.copy().T)):
            got = x @ y
            ref = x.astype(np.float64) @ y.astype(np.float64)
            bound = 8 * (k + 2) * np.finfo(np.float32).eps * (np.abs(x).astype(np.float64)
                                                              @ np.abs(y).astype(np.float64))
            if got.dtype != np.float32 or not np.all(np.abs(got - ref) <= bound):
                failures.append(f"{name} with M={m} K={k} N={n}: "
                                f"max error {np.max(np.abs(got - ref)):.3g}")
    after = counters()
    return failures, (after[0] - before[0], after[1] - before[1])


def worker(queue, seed):
    queue.put((seed,) + matmuls(seed))


def run_workers(method, problems):
    ctx = multiprocessing.get_context(method)
    queue = ctx.Queue()
    procs = [ctx.Process(target=worker, args=(queue, seed)) for seed in (1, 2)]
    for p in procs:
        p.start()
    results = []
    try:
        for _ in procs:
            results.append(queue.get(timeout=TIMEOUT))
    except Exception as e:  # queue.Empty: a worker hung or died
        problems.append(f"{method}: only {len(results)} of {len(procs)} workers reported "
                      f"within {TIMEOUT} s ({type(e).__name__})")
    for p in procs:
        p.join(timeout=10)
        if p.is_alive():
            p.kill()
            problems.append(f"{method}: worker {p.pid} did not exit")
        elif p.exitcode != 0:
            problems.append(f"{method}: worker {p.pid} exited with {p.exitcode}")
    calls = 2 * len(SHAPES)
    for seed, failures, (host, device) in results:
        problems.extend(f"{method} worker {seed}: {f}" for f in failures)
        on_host = method == "fork"
        want = (calls, 0) if on_host else (0, calls)
        print(f"{method} worker {seed}: {len(failures)} wrong results, "
              f"{host} host, {device} device calls (want {want[0]} host, {want[1]} device)")
        if (host, device) != want:
            problems.append(f"{method} worker {seed}: calls ran on the wrong path: "
                          f"{host} host, {device} device")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    try:
        import numpy  # noqa: F401  (only: is it there)
    except ImportError:
        print("SKIP: Debian's numpy is missing (apt-get install python3-numpy)")
        sys.exit(SKIP)
    probe = subprocess.run([sys.argv[1], "one"], stdout=subprocess.PIPE, text=True)
    if probe.returncode == SKIP:
        print(probe.stdout.strip())
        sys.exit(SKIP)
    try:
        counters()
    except AttributeError:
        print("FAIL: libgemm590 is not loaded (LD_PRELOAD)")
        sys.exit(1)

    problems = []
    failures, (host, device) = matmuls(0)
    problems += [f"parent before: {f}" for f in failures]
    print(f"parent before: {host} host, {device} device calls")
    if (host, device) != (0, 2 * len(SHAPES)):
        problems.append("parent before: not every call ran on the device")
    for method in ("fork", "spawn"):
        run_workers(method, problems)
    failures, (host, device) = matmuls(3)
    problems += [f"parent after: {f}" for f in failures]
    print(f"parent after: {host} host, {device} device calls")
    if (host, device) != (0, 2 * len(SHAPES)):
        problems.append("parent after: not every call ran on the device")

    for p in problems:
        print(f"FAIL {p}")
    print("PASS" if not problems else "FAIL")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
