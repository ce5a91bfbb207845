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
import multiprocessing
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from harness import (SKIP, checked_matmuls, gather, report,  # noqa: E402
                     require_preloaded_numpy)

TIMEOUT = 90
SHAPES = [(64, 80, 96), (150, 129, 37), (33, 300, 17)]  # (M, K, N)
# Row-major operands, then column-major ones (numpy passes transposes).
LAYOUTS = ((False, False), (True, True))


def matmuls(seed):
    """Computes SHAPES in both LAYOUTS; returns a list of failures and the
    (host, device) calls it caused."""
    return checked_matmuls(seed, SHAPES, LAYOUTS)


def worker(queue, seed):
    queue.put((seed,) + matmuls(seed))


def run_workers(method, problems):
    ctx = multiprocessing.get_context(method)
    queue = ctx.Queue()
    procs = [ctx.Process(target=worker, args=(queue, seed)) for seed in (1, 2)]
    results, more = gather(procs, queue, TIMEOUT, 10, f"{method} worker")
    problems += more
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
    probe = subprocess.run([sys.argv[1], "one"], stdout=subprocess.PIPE, text=True)
    if probe.returncode == SKIP:
        print(probe.stdout.strip())
        sys.exit(SKIP)
    require_preloaded_numpy()

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

    report(problems)


if __name__ == "__main__":
    main()
