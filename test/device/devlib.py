"""Helpers of the device-test drivers (standard library only).

The drivers run the C probe of this directory in fresh processes under
GEMM590_* settings and judge its verbose log.  Every check prints one line,
so `meson test --print-errorlogs` shows what was run and what failed.
Exit codes follow Meson: 0 pass, 1 fail, 77 skip.
"""
import os
import re
import shlex
import subprocess
import sys

SKIP = 77

# One verbose line per SGEMM call (lib/dispatch.c).
CALL_LINE = re.compile(r'^gemm590: \S+ layout=.* path=(\w+)(?: reason="([^"]*)")?')
PROBE_LINE = re.compile(r'^probe: (\d+) calls, (\d+) host, (\d+) device$', re.M)


class Checks:
    """Collects failed checks so that one run reports all of them."""

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


def env_with(**settings):
    """This environment without any GEMM590_* variable, plus `settings`:
    a variable set by whoever runs the tests must not change what is tested."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GEMM590_")}
    env.update({k: str(v) for k, v in settings.items()})
    return env


def run(cmd, env, timeout=120, quiet=False):
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


def start(cmd, env):
    """Starts cmd without waiting (for concurrent runs); see finish()."""
    return subprocess.Popen([str(c) for c in cmd], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish(popen, timeout=120):
    stdout, stderr = popen.communicate(timeout=timeout)
    if popen.returncode == SKIP:
        print(stdout.strip())
        sys.exit(SKIP)
    return Run(subprocess.CompletedProcess(popen.args, popen.returncode, stdout, stderr))
