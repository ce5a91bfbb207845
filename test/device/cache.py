"""The on-disk program cache (GEMM590_CACHE_DIR), from the outside.

usage: cache.py PROBE

Every run is a fresh process of `probe one` (one checked call, so one
kernel program and one cache file; see probe.c) with tile24 forced on the
CPU device.  Checked:

1. an empty cache directory: the program is built (program=built) and one
   valid file written; the next process loads it (program=disk).
2. the file damaged in each way a cache can be (bytes flipped in the
   binary, in the key, truncated at several lengths, replaced by another
   program's valid cache file, by junk behind a valid magic): the result
   is still right, the log reports the file unusable and the program
   rebuilt, the file is rewritten valid and the next process loads it.
3. GEMM590_CACHE_DIR=off writes nothing, where the default location
   (XDG_CACHE_HOME, here a scratch directory) does get the file; a cache
   directory that cannot be created only costs the build.
4. several processes started at once on one empty directory all succeed
   and leave exactly one valid file, no temporary files.

"Valid" is judged twice: by the format (lib/cl/program.c: magic
"G590BIN1", u32 key length, key, u64 binary length, u64 FNV-1a of the
binary, binary) and by the next process loading it from disk.
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from harness import (CACHE_MAGIC, Checks, finish_probe, gemm590_env,  # noqa: E402
                     parse_cache_file, run_probe, start_probe)

RACE_PROCESSES, RACE_ROUNDS = 4, 3


def probe_env(cache_dir, **extra):
    """The probe's settings; cache_dir None leaves GEMM590_CACHE_DIR unset."""
    if cache_dir is not None:
        extra["GEMM590_CACHE_DIR"] = cache_dir
    return gemm590_env(GEMM590_DEVICE="cpu", GEMM590_KERNEL="tile24", GEMM590_VERBOSE=1,
                       **extra)


def origin(r):
    """The program= of the one call, or a description of what went wrong."""
    if r.rc != 0 or r.counters() != (1, 0, 1) or len(r.calls) != 1:
        r.show()
        return f"exit {r.rc}, counters {r.counters()}, {len(r.calls)} call lines"
    for word in r.calls[0][2].split():
        if word.startswith("program="):
            return word[len("program="):]
    return "no program= in " + r.calls[0][2]


def listing(d):
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def files_under(d):
    return [os.path.join(top, f) for top, _, names in os.walk(d) for f in names]


def read(path):
    with open(path, "rb") as f:
        return f.read()


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    probe = sys.argv[1]
    checks = Checks()
    with tempfile.TemporaryDirectory(prefix="gemm590-cache-") as tmp:
        # PoCL keeps a kernel cache of its own, by default in XDG_CACHE_HOME:
        # elsewhere, so that what step 3 finds there is libgemm590's.
        os.environ["POCL_CACHE_DIR"] = os.path.join(tmp, "pocl")
        # 1. Build, write, reuse.
        cache = os.path.join(tmp, "cache")
        r = run_probe([probe, "one"], probe_env(cache))
        checks.check(origin(r) == "built", "empty cache: program=built")
        files = listing(cache)
        if not checks.check(len(files) == 1 and files[0].endswith(".bin"),
                            f"one .bin file written: {files}"):
            checks.finish()
        path = os.path.join(cache, files[0])
        good = read(path)
        parsed = parse_cache_file(good)
        checks.check(parsed is not None, f"{files[0]} is well-formed ({len(good)} bytes)")
        if parsed is None:
            checks.finish()
        key, bin_start = parsed
        print(f"     key: {key.decode(errors='replace')!r}")
        r = run_probe([probe, "one"], probe_env(cache))
        checks.check(origin(r) == "disk", "second process: program=disk")
        checks.check(read(path) == good, "loading leaves the file as it was")

        # 2. Damaged files.  Another program's file: tile20_v3 has another key.
        other = os.path.join(tmp, "other")
        run_probe([probe, "one"], {**probe_env(other), "GEMM590_KERNEL": "tile20_v3"})
        foreign = read(os.path.join(other, listing(other)[0]))
        mid = (bin_start + len(good)) // 2
        damaged = {
            "16 bytes of the binary flipped":
                good[:mid] + bytes(b ^ 0xff for b in good[mid:mid + 16]) + good[mid + 16:],
            "a byte of the key flipped":
                good[:20] + bytes([good[20] ^ 0x01]) + good[21:],
            "truncated to half": good[:len(good) // 2],
            "truncated inside the header": good[:10],
            "truncated by one byte": good[:-1],
            "another program's valid file": foreign,
            "junk behind a valid magic": CACHE_MAGIC + os.urandom(len(good) - len(CACHE_MAGIC)),
            "truncated to zero bytes": b"",
        }
        for what, data in damaged.items():
            write(path, data)
            r = run_probe([probe, "one"], probe_env(cache), quiet=True)
            reported = any(l.startswith(f"gemm590: cache file {path} is unusable") for l in r.lines)
            rebuilt = origin(r) == "built"
            now = read(path)
            valid = parse_cache_file(now) is not None and parse_cache_file(now)[0] == key
            reused = origin(run_probe([probe, "one"], probe_env(cache), quiet=True)) == "disk"
            leftovers = [f for f in listing(cache) if f != files[0]]
            checks.check(reported and rebuilt and valid and reused and not leftovers,
                         f"{what}: right result, reported unusable ({reported}), rebuilt "
                         f"({rebuilt}), rewritten valid ({valid}), then loaded ({reused}), "
                         f"no other files ({leftovers})")

        # 3. off writes nothing; the default location, in the same setting, does.
        for setting, expect in (("off", False), (None, True)):
            home, xdg = os.path.join(tmp, f"home-{setting}"), os.path.join(tmp, f"xdg-{setting}")
            os.makedirs(home)
            os.makedirs(xdg)
            r = run_probe([probe, "one"], probe_env(setting, HOME=home, XDG_CACHE_HOME=xdg))
            written = files_under(home) + files_under(xdg)
            checks.check(origin(r) == "built" and bool(written) == expect,
                         f"GEMM590_CACHE_DIR={setting or '(unset)'}: program=built, "
                         f"files written: {written or 'none'}")

        blocked = os.path.join(tmp, "a-file")
        write(blocked, b"")
        r = run_probe([probe, "one"], probe_env(os.path.join(blocked, "cache")))
        checks.check(origin(r) == "built", "cache directory under a regular file: right "
                                           "result, program=built")

        # 4. Concurrent first use of one directory.
        for round_ in range(RACE_ROUNDS):
            shared = os.path.join(tmp, f"race-{round_}")
            procs = [start_probe([probe, "one"], probe_env(shared))
                     for _ in range(RACE_PROCESSES)]
            origins = [origin(finish_probe(p)) for p in procs]
            files = listing(shared)
            valid = (len(files) == 1
                     and parse_cache_file(read(os.path.join(shared, files[0]))) is not None)
            checks.check(all(o in ("built", "disk") for o in origins) and valid,
                         f"{RACE_PROCESSES} processes at once on an empty directory: "
                         f"right results ({origins}), left {files}, valid: {valid}")
    checks.finish()


if __name__ == "__main__":
    main()
