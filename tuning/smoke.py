#!/usr/bin/env python3
"""Smoke test of gemm590-tune --list and gemm590-info on an OpenCL CPU
device (PoCL); exits 77 (skipped) where there is none.

usage: smoke.py GEMM590_TUNE GEMM590_INFO"""
import os
import subprocess
import sys

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

for f in failures:
    print("FAIL " + f)
sys.exit(1 if failures else 0)
