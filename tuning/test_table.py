#!/usr/bin/env python3
"""Tests of the decision-table lookup (lib/core/table.c) through table_probe.

usage: test_table.py TABLE_PROBE SCRATCH_DIR

Checks the embedded tables, then user table files: a valid one decides
(and says so in the rule), GEMM590_TABLE=off and GEMM590_MIN_DEVICE_FLOPS
hand the decision back to the rules, and every broken or foreign file
gives exactly one warning and the embedded table, never a crash, including
truncations and corruptions of a valid file."""
import os
import random
import subprocess
import sys

probe, scratch = sys.argv[1], sys.argv[2]
os.makedirs(scratch, exist_ok=True)
failures = []

# A table for one made-up GPU: host up to M = 100, a 64x64 regblock above.
VALID = """gemm590-table 1
# test table
entry test-gpu
match name
key Probe GPU 7
type gpu
host-measured yes
choice host
choice regblock -DTM=64 -DTN=64 -DKS=8 -DWM=4 -DWN=4
node M 100 1 2
leaf 0
leaf 1
end
"""
PROBE_GPU = ["Probe GPU 7", "Probe Vendor", "gpu"]
OTHER_GPU = ["Other GPU", "Other Vendor", "gpu"]


def run(args, table=None, **env_extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GEMM590_")}
    env["GEMM590_CACHE_DIR"] = "off"
    if table is not None:
        path = os.path.join(scratch, "table.txt")
        with open(path, "wb") as f:
            f.write(table.encode() if isinstance(table, str) else table)
        env["GEMM590_TABLE"] = path
    env.update(env_extra)
    return subprocess.run([probe] + args, env=env, capture_output=True, text=True, timeout=60)


def check(cond, what, proc=None):
    if not cond:
        detail = f"\n  stdout: {proc.stdout!r}\n  stderr: {proc.stderr!r}" if proc else ""
        failures.append(what + detail)


def select(device, m, n, k, ta=0, tb=0, repeat=1, **kw):
    return run(["select"] + device + [str(m), str(n), str(k), str(ta), str(tb), str(repeat)],
               **kw)


p = run(["embedded"])
check(p.returncode == 0 and p.stdout.startswith("ok"), "embedded tables are consistent", p)

# An unmeasured OpenCL CPU device: the generic CPU entry says host.
p = select(["Unknown CPU 1", "Unknown Vendor", "cpu"], 4096, 4096, 4096)
check(p.stdout.startswith("host | table generic-cpu"), "unknown CPU: host by generic-cpu", p)

# A valid user table decides for its device, and the rule names it.
p = select(PROBE_GPU, 50, 4096, 4096, table=VALID)
check(p.stdout.startswith("host | table user:test-gpu, leaf 1") and not p.stderr,
      "user table: host leaf", p)
p = select(PROBE_GPU, 2048, 2048, 2048, table=VALID, GEMM590_VERBOSE="1")
check(p.stdout == "device regblock -DTM=64 -DTN=64 -DKS=8 -DWM=4 -DWN=4 | "
      "table user:test-gpu, leaf 2: M>100\n" and not p.stderr, "user table: device leaf", p)
# The product M*N*K as a feature: host up to a million.
by_product = VALID.replace("node M 100 1 2", "node MNK 1000000 1 2")
p = select(PROBE_GPU, 100, 100, 101, table=by_product, GEMM590_VERBOSE="1")
check(p.stdout == "device regblock -DTM=64 -DTN=64 -DKS=8 -DWM=4 -DWN=4 | "
      "table user:test-gpu, leaf 2: MNK>1000000\n", "user table: M*N*K split", p)
p = select(PROBE_GPU, 100, 100, 100, table=by_product)
check(p.stdout.startswith("host | table user:test-gpu, leaf 1"), "user table: M*N*K host", p)
# Without GEMM590_VERBOSE the rule is short (no conditions).
p = select(PROBE_GPU, 2048, 2048, 2048, table=VALID)
check(p.stdout.endswith("| table user:test-gpu, leaf 2\n"), "user table: short rule", p)

# Switched off, or the user fixed the host/device threshold: the rules.
for env in ({"GEMM590_TABLE": "off"}, {"GEMM590_MIN_DEVICE_FLOPS": "0"}):
    p = select(PROBE_GPU, 50, 4096, 4096, **env)
    check(p.stdout.startswith("device regblock") and "table" not in p.stdout,
          f"{env}: the rules decide", p)


# Entries of other routines: a dgemm entry decides cblas_dgemm only; sgemm
# keeps its own entry, and syrk, without one, the rules.
ROUTINES = VALID + VALID.replace("entry test-gpu", "entry test-gpu-dgemm").replace(
    "gemm590-table 1\n# test table\n", "").replace(
    "host-measured yes", "routine dgemm\nhost-measured yes").replace(
    "node M 100 1 2", "node M 3000 1 2")
p = run(["select-dgemm"] + PROBE_GPU + ["2048", "2048", "2048", "0", "0"], table=ROUTINES)
check(p.stdout.startswith("host | table user:test-gpu-dgemm, leaf 1") and not p.stderr,
      "dgemm entry: its own tree (host up to M = 3000)", p)
p = run(["select-dgemm"] + PROBE_GPU + ["4096", "2048", "2048", "0", "0"], table=ROUTINES)
check(p.stdout.startswith("device regblock") and "user:test-gpu-dgemm, leaf 2" in p.stdout,
      "dgemm entry: device leaf", p)
p = select(PROBE_GPU, 2048, 2048, 2048, table=ROUTINES)
check("user:test-gpu, leaf 2" in p.stdout, "sgemm keeps its entry beside a dgemm one", p)
p = run(["select-dsyrk"] + PROBE_GPU + ["2048", "2048", "2048", "0", "1"], table=ROUTINES)
check(p.stdout.startswith("device regblock") and "table" not in p.stdout and not p.stderr,
      "dsyrk without an entry: the rules, no warning", p)
# A file with only a dgemm entry for the device leaves sgemm to the
# embedded table (with the foreign-file warning: it has no sgemm entry).
only_dgemm = "gemm590-table 1\n" + ROUTINES.split("end\n", 1)[1]
p = run(["select-dgemm"] + PROBE_GPU + ["4096", "2048", "2048", "0", "0"], table=only_dgemm)
check("user:test-gpu-dgemm" in p.stdout and not p.stderr, "a file of dgemm entries only", p)

# float64 on the tensor cores takes m16n8k8 (-DMMA=2) on sm_90, from the
# device's entry as from the rules, and m8n8k4 (-DMMA=1) before it; a
# forced kernel keeps what it names.
H200 = ["NVIDIA H200", "NVIDIA Corporation", "gpu"]
for routine, shape in (("select-dgemm", ["4096", "4096", "4096", "0", "0"]),
                       ("select-dsyrk", ["4096", "4096", "4096", "0", "1"])):
    for table in (None, "off"):
        env = {"GEMM590_TABLE": table} if table else {}
        p = run([routine] + H200 + shape, **env)
        check("-DMMA=2" in p.stdout, f"{routine} on an H200 (table {table or 'embedded'}): m16n8k8", p)
        p = run([routine, "NVIDIA A100", "NVIDIA Corporation", "gpu"] + shape, **env)
        check("-DMMA=1" in p.stdout, f"{routine} on an A100 (table {table or 'embedded'}): m8n8k4", p)
forced = "regblock:-DTM=128 -DTN=64 -DKS=8 -DWARPS_M=2 -DWARPS_N=2 -DMMA=1"
p = run(["select-dgemm"] + H200 + ["4096", "4096", "4096", "0", "0"], GEMM590_KERNEL=forced)
check("-DMMA=1" in p.stdout and "forced" in p.stdout, "a forced -DMMA=1 stays m8n8k4", p)
p = run(["select-dgemm"] + H200 + ["4096", "4096", "4096", "0", "0"],
        GEMM590_KERNEL="regblock:-DTM=32 -DTN=32 -DKS=8 -DWM=4 -DWN=4 -DASYNC=1")
check(p.stdout.startswith("host | regblock -DASYNC=1"), "-DASYNC=1 without the tensor cores: host", p)


def one_warning(proc):
    lines = [l for l in proc.stderr.splitlines() if l.startswith("gemm590: warning: table file")]
    return len(lines) == 1 and len(proc.stderr.splitlines()) == 1


# A valid table for another device: one warning however many calls.
p = select(OTHER_GPU, 50, 4096, 4096, repeat=3, table=VALID)
check(p.returncode == 0 and one_warning(p) and "no entry for device" in p.stderr
      and p.stdout.count("\n") == 3, "foreign table: one warning", p)

# Broken files: one warning, then the embedded table (here: no entry for
# the probe GPU, so the rules) for every call.
BROKEN = {
    "empty": "",
    "not a table": "hello\n",
    "wrong version": VALID.replace("gemm590-table 1", "gemm590-table 2"),
    "unknown family": VALID.replace("regblock -D", "nosuch -D"),
    "fp16 family": VALID.replace("regblock -DTM=64 -DTN=64 -DKS=8 -DWM=4 -DWN=4",
                                 "fp16_mixed -DWG=16 -DKS=16"),
    "backward child": VALID.replace("node M 100 1 2", "node M 100 0 2"),
    "child out of range": VALID.replace("node M 100 1 2", "node M 100 1 9"),
    "choice out of range": VALID.replace("leaf 1\nend", "leaf 5\nend"),
    "unsafe options": VALID.replace("-DWN=4", "-DWN=4 \"; rm"),
    "no end": VALID.replace("end\n", ""),
    "unknown keyword": VALID.replace("type gpu", "kind gpu"),
    "unknown routine": VALID.replace("host-measured yes", "routine zgemm\nhost-measured yes"),
    "binary": b"gemm590-table 1\n\0\0\xff",
    "huge": "gemm590-table 1\n" + "# x\n" * 300000,
}
for name, text in BROKEN.items():
    p = select(PROBE_GPU, 2048, 2048, 2048, repeat=2, table=text)
    check(p.returncode == 0 and one_warning(p) and "user:" not in p.stdout
          and p.stdout.count("\n") == 2, f"broken table ({name}): one warning", p)

p = select(PROBE_GPU, 2048, 2048, 2048, GEMM590_TABLE=os.path.join(scratch, "missing.txt"))
check(p.returncode == 0 and one_warning(p), "missing named table: one warning", p)

# Every truncation and random byte corruption of the valid file: a clean
# answer (the user table or one warning), never a crash.
rng = random.Random(590)
variants = [VALID[:i] for i in range(0, len(VALID), 7)]
for _ in range(40):
    data = bytearray(VALID.encode())
    for _ in range(rng.randint(1, 4)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    variants.append(bytes(data))
for v in variants:
    p = select(PROBE_GPU, 2048, 2048, 2048, table=v)
    check(p.returncode == 0 and ("user:test-gpu" in p.stdout or one_warning(p)),
          f"mutated table {v!r}: no crash, user table or one warning", p)

for f in failures:
    print("FAIL " + f)
print(f"{len(failures)} failures")
sys.exit(1 if failures else 0)
