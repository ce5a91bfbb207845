"""GEMM590_VERBOSE=2: every device call prints its timeline (lib/cl/trace.c).

usage: trace.py TEST_DGEMM_SYRK

Runs the dgemm/syrk contract test (which checks every result itself) with
GEMM590_VERBOSE=2 on the CPU device, large sizes and a small link chunk, so
that calls take the chunked transfers and a syrk's A its K slices.  Then
from the log: each call that ran on the device printed one "sums" and one
"steps" trace line right before its verbose line, naming its entry and
shape; the steps start in order, none before the call or of negative
length, and the sums are the steps' per kind.
"""
import os
import re
import subprocess
import sys

env = dict(os.environ, GEMM590_VERBOSE="2")
run = subprocess.run([sys.argv[1], "--quick", "--large", "--expect-device", "--seed", "7"],
                     env=env, capture_output=True, text=True, timeout=280)
print(run.stdout[-400:])
if run.returncode != 0:
    print(run.stderr[-2000:])
    sys.exit("the contract test failed under GEMM590_VERBOSE=2")

lines = [l for l in run.stderr.splitlines() if l.startswith("gemm590: ")]
device_calls = traced = sliced = lost_calls = 0
for i, line in enumerate(lines):
    if " path=device " not in line:
        continue
    device_calls += 1
    if i < 2:
        sys.exit("device call without trace lines: " + line)
    sums, steps = lines[i - 2], lines[i - 1]
    m = re.match(r"gemm590: trace (\S+) (\d+)x(\d+)x(\d+) sums (.*)$", sums)
    s = re.match(r"gemm590: trace (\S+) (\d+)x(\d+)x(\d+) steps (.*)$", steps)
    if not m or not s or m.groups()[:4] != s.groups()[:4]:
        sys.exit("no trace lines before: " + line + "\n" + sums + "\n" + steps)
    entry = line.split()[1]
    if m.group(1) != entry:
        sys.exit("trace of %s before a %s call" % (m.group(1), entry))
    at_prev = -1.0
    per_kind = {}
    for step in s.group(5).split():
        what, at, ms = re.match(r"([a-z.]+)@(-?[0-9.]+)\+([0-9.]+)$", step).groups()
        at, ms = float(at), float(ms)
        if at < -0.01 or at < at_prev - 0.002:
            sys.exit("steps out of order in: " + steps)
        at_prev = at
        total, count = per_kind.get(what, (0.0, 0))
        per_kind[what] = (total + ms, count + 1)
    lost = m.group(5).endswith(" (steps lost)")
    if lost:
        # More steps than the trace keeps: the sums count only those kept.
        lost_calls += 1
        continue
    for item in m.group(5).split():
        what, total, count = re.match(r"([a-z.]+)=([0-9.]+)x(\d+)$", item).groups()
        want_total, want_count = per_kind.pop(what, (None, None))
        if want_count != int(count) or abs(want_total - float(total)) > 0.002 * (want_count + 1):
            sys.exit("sums do not match steps for %s in:\n%s\n%s" % (what, sums, steps))
    if per_kind:
        sys.exit("steps without sums: %s" % sorted(per_kind))
    if "up.copy" not in m.group(5) or "down" not in m.group(5):
        sys.exit("a chunked call without staging copies: " + sums)
    traced += 1
    sliced += " slices=" in line
print("device calls %d, traced %d (%d with steps lost), syrk calls with A in slices %d"
      % (device_calls, traced + lost_calls, lost_calls, sliced))
if device_calls == 0 or traced + lost_calls != device_calls or traced == 0 or sliced == 0:
    sys.exit("expected every device call traced and some sliced syrk")
