"""numpy under LD_PRELOAD=libgemm590.so: fork while the device is busy,
spawned processes racing on one program cache directory.

usage: LD_PRELOAD=.../libgemm590.so GEMM590_DEVICE=cpu GEMM590_KERNEL=tile24 \\
       /usr/bin/python3 numpy_procs.py

Run by Debian's /usr/bin/python3, whose numpy calls cblas_sgemm through
libblas.so.3, so LD_PRELOAD makes its float32 matmuls libgemm590's.  This
extends test/device/numpy_mp.py (fork and spawn from a parent that used the
device, results and paths checked) and test/device/cache.py (damaged cache
files, four C processes starting at once on an empty directory):

1. Fork while the device is busy: a parent thread keeps making device
   matmuls while the main thread runs FORK_ROUNDS 'fork' pools of 2
   workers x 4 tasks.  A fork can land while that thread holds the
   library's device lock or is inside PoCL: the children must compute on
   the host (the library's counters say so), get right results and not
   hang; the parent's thread must go on, right, on the device.
2. Cache race: CACHE_ROUNDS rounds of 2 'spawn' processes (each loads the
   library afresh) released at once by a barrier onto one cache directory,
   each computing the 4 transpose variants of a matmul (4 kernel
   programs, 4 cache files) on the device, so both build and write the same
   files at the same moment.  Even rounds start from an empty directory;
   odd rounds from the previous round's files damaged (truncated, bytes
   flipped, junk), which both processes must find unusable, rebuild and
   replace.  After each round: both processes right and on the device;
   exactly 4 files, each well-formed (lib/cl/program.c's format: magic,
   key, length, FNV-1a of the binary), no temporary file left; and a third
   process loads all 4 programs from disk (program=disk), right, leaving
   the files as they were.

Every result is compared with float64 numpy within the float32 bound of the
correctness tests, 8 (K + 2) eps (|A| |B|) elementwise.  Every wait has a
timeout, so a hang fails instead of stalling.  Exit 0 pass, 1 fail, 77 skip.
"""
import multiprocessing
import os
import re
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from harness import (ALL_LAYOUTS, CACHE_MAGIC, checked_matmuls, counters,  # noqa: E402
                     gather, parse_cache_file, report, require_preloaded_numpy, skip)

TIMEOUT = 120  # seconds for any one wait on a process or pool
FORK_ROUNDS = 30
CACHE_ROUNDS = 20
PROGRAMS = 4  # tile24 x (transpose of A, of B); numpy's beta is always 0
CALL_LINE = re.compile(r"^gemm590: cblas_sgemm .*? path=(\w+)(?:.*? program=(\w+))?", re.M)
FORK_SHAPES = [(40, 50, 60), (129, 33, 70)]


# ---- 1. fork while the device is busy ----

def fork_task(seed):
    return checked_matmuls(seed, FORK_SHAPES)


def busy_device(stop, report):
    """Device matmuls until told to stop; report: [calls, failures, paths].
    The float64 references are computed before the thread starts: this
    thread must stay out of OpenBLAS, whose fork handler hangs a thread
    that is inside an OpenBLAS call when another thread forks (seen with
    plain numpy, without libgemm590)."""
    import numpy as np
    cases = []
    rng = np.random.default_rng(1000)
    for _ in range(3):
        a = rng.uniform(-1, 1, (200, 200)).astype(np.float32)
        b = rng.uniform(-1, 1, (200, 200)).astype(np.float32)
        ref = a.astype(np.float64) @ b.astype(np.float64)
        bound = 8 * 202 * np.finfo(np.float32).eps * (
            np.abs(a).astype(np.float64) @ np.abs(b).astype(np.float64))
        cases.append((a, b, ref, bound))
    report[3].set()
    while not stop.is_set():
        a, b, ref, bound = cases[report[0] % len(cases)]
        before = counters()
        got = a @ b
        after = counters()
        report[0] += 1
        report[1] += not np.all(np.abs(got - ref) <= bound)
        report[2].append((after[0] - before[0], after[1] - before[1]))


def fork_while_busy(problems):
    stop, report = threading.Event(), [0, 0, [], threading.Event()]
    busy = threading.Thread(target=busy_device, args=(stop, report), daemon=True)
    busy.start()
    report[3].wait(TIMEOUT)  # references computed: from here on only device calls
    ctx = multiprocessing.get_context("fork")
    tasks = done = 0
    for r in range(FORK_ROUNDS):
        pool = ctx.Pool(2)
        try:
            results = pool.map_async(fork_task, range(10 * r, 10 * r + 4)).get(TIMEOUT)
        except multiprocessing.TimeoutError:
            problems.append(f"fork round {r}: workers did not finish within {TIMEOUT} s")
            pool.terminate()
            break
        finally:
            pool.close()
        pool.terminate()
        pool.join()
        tasks += 4
        for failures, (host, device) in results:
            done += 1
            problems.extend(f"fork round {r}: {f}" for f in failures)
            if (host, device) != (len(FORK_SHAPES), 0):
                problems.append(f"fork round {r}: a child made {host} host and {device} device "
                                f"calls (want {len(FORK_SHAPES)} and 0: the device belongs to "
                                "the parent)")
    stop.set()
    busy.join(TIMEOUT)
    if busy.is_alive():
        problems.append("the parent's device thread hung")
    wrong_path = [c for c in report[2] if c != (0, 1)]
    print(f"fork while busy: {FORK_ROUNDS} pools, {done} of {tasks} tasks right on the host; "
          f"parent thread: {report[0]} device matmuls meanwhile, {report[1]} wrong, "
          f"{len(wrong_path)} not on the device")
    if report[1] or wrong_path or report[0] == 0:
        problems.append("the parent's device thread went wrong or did not run")


# ---- 2. spawned processes racing on one cache directory ----

def cache_worker(barrier, log, seed, queue):
    """One spawned process: stderr to `log` (the library's verbose lines),
    wait for the sibling, compute the 4 variants, report."""
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 2)
    barrier.wait(TIMEOUT)
    queue.put((seed,) + checked_matmuls(seed, [(70, 90, 50)], ALL_LAYOUTS))


def run_spawned(ctx, cache_dir, logs, seeds):
    """Starts one spawned worker per seed on cache_dir; returns their
    results (seed, failures, calls) and problems."""
    os.environ["GEMM590_CACHE_DIR"] = cache_dir  # read by each child's library
    barrier, queue = ctx.Barrier(len(seeds)), ctx.Queue()
    procs = [ctx.Process(target=cache_worker, args=(barrier, log, seed, queue))
             for log, seed in zip(logs, seeds)]
    return gather(procs, queue, TIMEOUT, TIMEOUT, "spawned process")


def origins(log):
    """program= of each device call line in a child's log."""
    with open(log) as f:
        text = f.read()
    return [m.group(2) for m in CALL_LINE.finditer(text) if m.group(1) == "device"], text


def damage(i, data):
    """A cache file damaged in one of three ways, by i."""
    if i % 3 == 0:
        return data[:len(data) // 2]
    if i % 3 == 1:
        return data[:-64] + bytes(b ^ 0x5a for b in data[-64:])
    return CACHE_MAGIC + os.urandom(len(data) - len(CACHE_MAGIC))


def cache_race(tmp, problems):
    ctx = multiprocessing.get_context("spawn")
    os.environ["GEMM590_VERBOSE"] = "1"
    previous = {}  # the last round's files: name -> contents
    origin_counts, rebuilt = {"built": 0, "disk": 0}, 0
    for r in range(CACHE_ROUNDS):
        d = os.path.join(tmp, f"cache-{r}")
        os.makedirs(d)
        damaged = r % 2 == 1 and bool(previous)
        for i, (name, data) in enumerate(sorted(previous.items()) if damaged else []):
            with open(os.path.join(d, name), "wb") as f:
                f.write(damage(i, data))
        logs = [os.path.join(tmp, f"round-{r}-{i}.log") for i in range(2)]
        results, round_problems = run_spawned(ctx, d, logs, [2 * r, 2 * r + 1])
        for seed, failures, (host, device) in results:
            round_problems.extend(f"process {seed}: {f}" for f in failures)
            if (host, device) != (0, PROGRAMS):
                round_problems.append(f"process {seed}: {host} host, {device} device calls "
                                      f"(want 0 and {PROGRAMS})")
        round_rebuilt = 0
        for log in logs:
            found, text = origins(log)
            for o in found:
                if o in origin_counts:
                    origin_counts[o] += 1
            round_rebuilt += "unusable; rebuilding" in text
            if len(found) != PROGRAMS or not set(found) <= {"built", "disk"}:
                round_problems.append(f"{os.path.basename(log)}: program origins {found}")
        rebuilt += round_rebuilt
        if damaged and round_rebuilt == 0:
            round_problems.append("no process reported the damaged files unusable")
        names = sorted(os.listdir(d))
        bins = [n for n in names if n.endswith(".bin")]
        if len(bins) != PROGRAMS or len(names) != PROGRAMS:
            round_problems.append(f"cache holds {names}, want {PROGRAMS} .bin files only")
        contents = {}
        for n in bins:
            with open(os.path.join(d, n), "rb") as f:
                contents[n] = f.read()
            if parse_cache_file(contents[n]) is None:
                round_problems.append(f"{n} is not a whole, valid cache file")
        # A third process must load every program from the files as left.
        check_log = os.path.join(tmp, f"round-{r}-check.log")
        results, more = run_spawned(ctx, d, [check_log], [1000 + r])
        round_problems += more
        for seed, failures, (host, device) in results:
            round_problems.extend(f"checking process: {f}" for f in failures)
            if device != PROGRAMS:
                round_problems.append(f"checking process: {device} device calls")
        found, _ = origins(check_log)
        if found != ["disk"] * PROGRAMS:
            round_problems.append(f"checking process: program origins {found}, want disk x 4")
        for n in bins:
            with open(os.path.join(d, n), "rb") as f:
                if f.read() != contents[n]:
                    round_problems.append(f"{n} changed by a process that only loaded it")
        print(f"cache round {r} ({'damaged files' if damaged else 'empty directory'}): "
              f"{'ok' if not round_problems else 'FAIL'}", flush=True)
        problems += [f"cache round {r}: {p}" for p in round_problems]
        previous = contents
    print(f"cache race: {CACHE_ROUNDS} rounds x 2 processes + 1 checking process; program "
          f"origins of the racing processes: {origin_counts['built']} built, "
          f"{origin_counts['disk']} from disk; {rebuilt} racing processes found damaged files "
          "and rebuilt")


def main():
    require_preloaded_numpy()
    problems = []
    failures, (host, device) = checked_matmuls(0, [(64, 80, 96)])
    if (host, device) == (1, 0) and not failures:
        skip("the parent's matmul ran on the host: no OpenCL CPU device "
             "(install pocl-opencl-icd)")
    if failures or (host, device) != (0, 1):
        problems.append(f"parent's first matmul: {failures}, {host} host, {device} device")
    start = time.monotonic()
    fork_while_busy(problems)
    with tempfile.TemporaryDirectory(prefix="gemm590-procs-") as tmp:
        cache_race(tmp, problems)
    print(f"{time.monotonic() - start:.0f} s")
    report(problems)


if __name__ == "__main__":
    main()
