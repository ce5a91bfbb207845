"""Helpers shared by the Python test drivers of every folder under test/
(standard library only; numpy only inside the functions that say so).

A driver finds this module from its own location:

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))

Every driver prints what it runs and what it checked, so that
`meson test --print-errorlogs` shows enough to debug a failure without
re-running it by hand.  Exit codes follow Meson: 0 pass, 1 fail, 77 skip.
"""
import ctypes
import os
import re
import shlex
import struct
import subprocess
import sys

SKIP = 77

COMMON = os.path.dirname(os.path.abspath(__file__))


def skip(reason):
    """Ends the test as skipped: only for a prerequisite that is truly absent."""
    print(f"SKIP: {reason}", flush=True)
    sys.exit(SKIP)


class Checks:
    """Collects failed checks so that one run reports all of them, not the first."""

    def __init__(self):
        self.failures = []

    def check(self, ok, what):
        print(f"{'ok  ' if ok else 'FAIL'} {what}", flush=True)
        if not ok:
            self.failures.append(what)
        return ok

    def finish(self):
        if self.failures:
            print(f"\n{len(self.failures)} check(s) failed:")
            for f in self.failures:
                print(f"  - {f}")
            sys.exit(1)
        print("\nall checks passed")
        sys.exit(0)


def report(problems):
    """Ends a test that collected its failures as a list of descriptions:
    a FAIL line for each, then PASS or FAIL."""
    for p in problems:
        print(f"FAIL {p}")
    print("PASS" if not problems else "FAIL", flush=True)
    sys.exit(1 if problems else 0)


# ---- environments ----

def env_with(**changes):
    """A copy of this process's environment with `changes` applied."""
    env = dict(os.environ)
    env.update({k: str(v) for k, v in changes.items()})
    return env


def gemm590_env(**settings):
    """This environment without any GEMM590_* variable, plus `settings`:
    a variable set by whoever runs the tests must not change what is tested."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GEMM590_")}
    env.update({k: str(v) for k, v in settings.items()})
    return env


# ---- programs ----

def run(cmd, *, env=None, cwd=None, stdin=None, must_succeed=True):
    """Runs cmd (a list), capturing text output; prints the command and, on
    failure, its output.  A command that must succeed and does not ends the
    test with a failure."""
    shown = " ".join(shlex.quote(str(c)) for c in cmd)
    print(f"$ {shown}" + (f"   (in {cwd})" if cwd else ""), flush=True)
    proc = subprocess.run([str(c) for c in cmd], env=env, cwd=cwd, stdin=stdin,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0 and must_succeed:
        print(f"command failed with exit code {proc.returncode}")
        print("--- stdout ---\n" + proc.stdout[-6000:])
        print("--- stderr ---\n" + proc.stderr[-6000:])
        sys.exit(1)
    return proc


def library_errors(stderr_lines):
    """libgemm590's own error lines ("gemm590: error: ..."), such as a host
    BLAS that could not be loaded: the call then still succeeds, on the slow
    built-in loop, so only the log tells."""
    return [line for line in stderr_lines if line.startswith("gemm590: error")]


# ---- the device tests' C probe (test/device/probe.c) and its verbose log ----

# One verbose line per SGEMM call (lib/core/dispatch.c).
CALL_LINE = re.compile(r'^gemm590: \S+ layout=.* path=(\w+)(?: reason="([^"]*)")?')
PROBE_LINE = re.compile(r'^probe: (\d+) calls, (\d+) host, (\d+) device$', re.M)


class Run:
    """One finished process: exit status, output, the library's call lines."""

    def __init__(self, proc):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.lines = proc.stderr.splitlines()
        self.calls = []  # (path, reason, line) per SGEMM call, in order
        for line in self.lines:
            m = CALL_LINE.match(line)
            if m:
                self.calls.append((m.group(1), m.group(2) or "", line))

    def counters(self):
        """(calls, host, device) as the probe printed them, or None."""
        m = PROBE_LINE.search(self.stdout)
        return tuple(int(x) for x in m.groups()) if m else None

    def show(self):
        print("--- stdout ---\n" + self.stdout[-4000:])
        print("--- stderr ---\n" + self.stderr[-8000:], flush=True)


def run_probe(cmd, env, timeout=120, quiet=False):
    """Runs cmd; a probe that reports a missing device ends the test as skipped."""
    settings = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(env.items())
                        if k.startswith("GEMM590_"))
    if not quiet:
        print(f"$ {settings} {' '.join(shlex.quote(str(c)) for c in cmd)}", flush=True)
    proc = subprocess.run([str(c) for c in cmd], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=timeout)
    if proc.returncode == SKIP:
        print(proc.stdout.strip())
        sys.exit(SKIP)
    return Run(proc)


def start_probe(cmd, env):
    """Starts cmd without waiting (for concurrent runs); see finish_probe()."""
    return subprocess.Popen([str(c) for c in cmd], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish_probe(popen, timeout=120):
    stdout, stderr = popen.communicate(timeout=timeout)
    if popen.returncode == SKIP:
        print(stdout.strip())
        sys.exit(SKIP)
    return Run(subprocess.CompletedProcess(popen.args, popen.returncode, stdout, stderr))


# ---- the program cache's files (lib/cl/program.c) ----

# magic "G590BIN1", u32 key length, key, u64 binary length, u64 FNV-1a of
# the binary, binary.
CACHE_MAGIC = b"G590BIN1"


def fnv1a(data):
    h = 0xcbf29ce484222325
    for byte in data:
        h = ((h ^ byte) * 0x100000001b3) & 0xffffffffffffffff
    return h


def parse_cache_file(data):
    """(key, binary offset) of a well-formed cache file, else None."""
    if len(data) < 12 or data[:8] != CACHE_MAGIC:
        return None
    (key_len,) = struct.unpack_from("<I", data, 8)
    head = 12 + key_len
    if len(data) < head + 16:
        return None
    blen, checksum = struct.unpack_from("<QQ", data, head)
    binary = data[head + 16:]
    if blen == 0 or blen != len(binary) or fnv1a(binary) != checksum:
        return None
    return data[12:head], head + 16


# ---- libgemm590 in this process (LD_PRELOAD), numpy's float32 products ----

class Counters(ctypes.Structure):
    _fields_ = [("calls", ctypes.c_uint64 * 2), ("flops", ctypes.c_double * 2)]


def counters():
    """(host, device) calls libgemm590 counted in this process; raises
    AttributeError when it is not loaded."""
    c = Counters()
    ctypes.CDLL(None).gemm590_get_counters(ctypes.byref(c))
    return c.calls[0], c.calls[1]


def require_preloaded_numpy():
    """Skips without Debian's numpy; fails unless libgemm590 is loaded."""
    try:
        import numpy  # noqa: F401  (only: is it there)
    except ImportError:
        skip("Debian's numpy is missing (apt-get install python3-numpy)")
    try:
        counters()
    except AttributeError:
        print("FAIL: libgemm590 is not loaded (LD_PRELOAD)")
        sys.exit(1)


# Which operands are column-major (numpy passes them as CBLAS transposes).
ROW_MAJOR = ((False, False),)
ALL_LAYOUTS = ((False, False), (True, False), (False, True), (True, True))


def checked_matmuls(seed, shapes, layouts=ROW_MAJOR):
    """Computes a @ b for each (m, k, n) of shapes, in each layout of A and
    B, and compares it with float64 numpy within the float32 bound of the
    C tests, 8 (K + 2) eps (|A| |B|) elementwise.  Returns (failure
    descriptions, (host, device) calls made)."""
    import numpy as np
    rng = np.random.default_rng(seed)
    failures = []
    host = device = 0
    for m, k, n in shapes:
        a = rng.uniform(-1, 1, (m, k)).astype(np.float32)
        b = rng.uniform(-1, 1, (k, n)).astype(np.float32)
        for a_col, b_col in layouts:
            x = a.T.copy().T if a_col else a
            y = b.T.copy().T if b_col else b
            # Only the float32 product is counted: the float64 reference
            # below calls cblas_dgemm, which libgemm590 serves too.
            before = counters()
            got = x @ y
            after = counters()
            host, device = host + after[0] - before[0], device + after[1] - before[1]
            ref = x.astype(np.float64) @ y.astype(np.float64)
            bound = 8 * (k + 2) * np.finfo(np.float32).eps * (
                np.abs(x).astype(np.float64) @ np.abs(y).astype(np.float64))
            if got.dtype != np.float32 or not np.all(np.abs(got - ref) <= bound):
                failures.append(f"A @ B (A {'column' if a_col else 'row'}-major, B "
                                f"{'column' if b_col else 'row'}-major), M={m} K={k} N={n}: "
                                f"max error {np.max(np.abs(got - ref)):.3g}")
    return failures, (host, device)


def gather(procs, queue, timeout, join_timeout, what):
    """Starts the multiprocessing processes procs, each of which puts one
    result on queue; waits up to `timeout` seconds for each result, then for
    each process to exit.  Returns (results, problems)."""
    for p in procs:
        p.start()
    results, problems = [], []
    try:
        for _ in procs:
            results.append(queue.get(timeout=timeout))
    except Exception as e:  # queue.Empty: a process hung or died
        problems.append(f"only {len(results)} of {len(procs)} processes ({what}) reported "
                        f"within {timeout} s ({type(e).__name__})")
    for p in procs:
        p.join(join_timeout)
        if p.is_alive():
            p.kill()
            problems.append(f"{what} {p.pid} did not exit")
        elif p.exitcode != 0:
            problems.append(f"{what} {p.pid} exited with {p.exitcode}")
    return results, problems
