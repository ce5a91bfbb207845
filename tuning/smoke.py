#!/usr/bin/env python3
"""Smoke test of gemm590-tune --list and gemm590-info on an OpenCL CPU
device (PoCL); exits 77 (skipped) where there is none.  Then small
measurements (--max-size 64, --sample 0: the rules' regblock point alone,
a few seconds) of dgemm and dsyrk into one CSV, and of sgemm: rows carry
their routine, each routine has a host row and a device row with ok=1,
syrk rows have m == n and tb == !ta, and a rerun resumes per routine.

usage: smoke.py GEMM590_TUNE GEMM590_INFO"""
import csv
import os
import subprocess
import sys
import tempfile

tune, info = sys.argv[1], sys.argv[2]
p = subprocess.run([tune, "--device", "cpu", "--quick", "--list"], capture_output=True,
                   text=True, timeout=120)
if p.returncode == 1 and "no device" in p.stderr:
    print("no OpenCL CPU device: skipped")
    sys.exit(77)
failures = []
lines = p.stdout.splitlines()
if p.returncode != 0:
    failures.append(f"gemm590-tune --list: exit {p.returncode}: {p.stderr}")
# The host, the defaults of the 2x2 families, regblock points, 4 transposes per size.
if not any(l.startswith("candidate host") for l in lines):
    failures.append("no host candidate")
for family in ("tile20_v3", "tile24"):
    if not any(l.startswith(f"candidate {family} ") for l in lines):
        failures.append(f"no {family} candidate")
if sum(l.startswith("regblock point") for l in lines) < 8:
    failures.append("fewer than 8 regblock points")
if not any(l.startswith("shape 1x") for l in lines) or \
        not any(l.startswith("shape 64x64x64 ") for l in lines):
    failures.append("grid without the 1 x S/2 x S/2 or 64^3 shapes")

p = subprocess.run([info, "--table", "256", "256", "256", "N", "T"], capture_output=True,
                   text=True, timeout=120,
                   env={**os.environ, "GEMM590_DEVICE": "cpu", "GEMM590_CACHE_DIR": "off"})
if p.returncode != 0 or "would run:" not in p.stdout or "entry generic-cpu" not in p.stdout:
    failures.append(f"gemm590-info: exit {p.returncode}:\n{p.stdout}{p.stderr}")
p = subprocess.run([info, "0", "1", "1"], capture_output=True, text=True, timeout=60)
if p.returncode != 2:
    failures.append("gemm590-info accepted M = 0")


def tune_rows(routine, out, what):
    """Runs a small measurement of `routine` into `out`; its rows, or None."""
    args = [tune, "--device", "cpu", "--quick", "--max-size", "64", "--sample", "0",
            "--repeats", "1", "--out", out]
    if routine:
        args += ["--routine", routine]
    # GEMM590_CACHE_DIR=off: no programs of this test in the user's cache.
    p = subprocess.run(args, capture_output=True, text=True, timeout=100,
                       env={**os.environ, "GEMM590_CACHE_DIR": "off"})
    if p.returncode != 0:
        failures.append(f"{what}: exit {p.returncode}: {p.stdout[-600:]}{p.stderr[-600:]}")
        return None
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    return rows, p


scratch = tempfile.TemporaryDirectory()
both = os.path.join(scratch.name, "routines.csv")
for routine in ("dgemm", "dsyrk"):
    got = tune_rows(routine, both, f"gemm590-tune --routine {routine}")
    if not got:
        continue
    rows = [r for r in got[0] if r["routine"] == routine]
    if not any(r["candidate"] == "host" and r["ok"] == "1" for r in rows):
        failures.append(f"{routine}: no host row")
    if not any(r["candidate"] != "host" and r["ok"] == "1" and r["resident_s"] for r in rows):
        failures.append(f"{routine}: no device row with ok=1 and a resident time")
    if routine == "dsyrk":
        bad = [r for r in rows if r["m"] != r["n"] or r["tb"] != str(1 - int(r["ta"]))]
        if bad or not rows:
            failures.append(f"dsyrk: rows without m == n and tb == !ta: {bad[:2]}")
        # dgemm measured 64x64x64 NT just before, under the same labels: only
        # the routine tells these rows apart.
        if not any((r["m"], r["k"], r["ta"]) == ("64", "64", "0") for r in rows):
            failures.append("dsyrk: 64x64x64 NT skipped as if dgemm's rows were its own")
if os.path.exists(both):
    before = os.path.getsize(both)
    got = tune_rows("dgemm", both, "gemm590-tune --routine dgemm, rerun")
    if got and (os.path.getsize(both) != before or "resuming" not in got[1].stderr):
        failures.append("gemm590-tune --routine dgemm, rerun: measured again instead of resuming")
got = tune_rows(None, os.path.join(scratch.name, "sgemm.csv"), "gemm590-tune (sgemm)")
if got and (not got[0] or any(r["routine"] != "sgemm" for r in got[0])):
    failures.append("sgemm: rows without routine sgemm")

for f in failures:
    print("FAIL " + f)
sys.exit(1 if failures else 0)
