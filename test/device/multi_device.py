"""A test program on PoCL's two CPU devices with GEMM590_DEVICE naming
both, so that products big enough are split across them.

    multi_device.py WANT PROGRAM [ARG...]

Runs PROGRAM (a self-checking test: its exit status judges the results)
with POCL_DEVICES="pthread pthread", GEMM590_DEVICE=0:0,0:1 and
GEMM590_VERBOSE=1 added to the environment, and checks from the verbose
lines that calls were split (devices=0:0,0:1); with WANT=redone, also that
a device's range was finished by the other (redone=...) after the
GEMM590_FAULT the caller set; with WANT=host (every launch failing on both
devices), that split calls fell back to the host, which computed every
column.  Skips (77) when the program does.
"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from harness import SKIP, Checks, env_with, run  # noqa: E402


def main():
    want, cmd = sys.argv[1], sys.argv[2:]
    env = env_with(POCL_DEVICES="pthread pthread", GEMM590_DEVICE="0:0,0:1", GEMM590_VERBOSE=1)
    proc = run(cmd, env=env, must_succeed=False)
    print(proc.stdout[-3000:])
    if proc.returncode == SKIP:
        print(proc.stdout)
        sys.exit(SKIP)
    lines = proc.stderr.splitlines()
    split = [x for x in lines if " devices=0:0,0:1 " in x and " path=device " in x]
    redone = [x for x in split if re.search(r" redone=\d+:\d+>\d+:\d+", x)]
    checks = Checks()
    checks.check(proc.returncode == 0, f"{os.path.basename(cmd[0])} exit code {proc.returncode}")
    if want == "host":
        fell_back = [x for x in lines if re.search(r' path=host reason="device \d+:\d+: ', x)]
        checks.check(len(fell_back) > 0, f"{len(fell_back)} split calls computed by the host "
                                         f"after both devices failed: {fell_back[:1]}")
        checks.finish()
        return
    checks.check(len(split) > 0, f"{len(split)} calls split across devices 0:0 and 0:1")
    if want == "redone":
        checks.check(len(redone) > 0, f"{len(redone)} split calls finished by the other device "
                                      f"after a failure: {redone[:1]}")
    checks.finish()


if __name__ == "__main__":
    main()
