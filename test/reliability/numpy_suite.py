"""numpy's own tests of matmul, dot and linalg, with and without libgemm590.

usage: numpy_suite.py LIBGEMM590_SO [--python /usr/bin/python3]

Runs, with Debian's python3-numpy and python3-pytest, the test modules
below three times and compares the sets of failing tests:

  plain    numpy as installed (OpenBLAS through libblas.so.3);
  host     LD_PRELOAD=libgemm590.so with its default settings: on this
           machine (no GPU) every SGEMM goes through libgemm590's checks
           and dispatch to the host BLAS;
  device   LD_PRELOAD=libgemm590.so with GEMM590_DEVICE=cpu and
           GEMM590_KERNEL=regblock: every SGEMM numpy makes runs on
           libgemm590's own kernel on the OpenCL CPU device (PoCL).

A test that fails with libgemm590 but not plain fails this driver; so does
a run that made no SGEMM call through libgemm590 (counters read in the
pytest process after the tests), as the comparison would then prove
nothing.  Exit 0 pass, 1 fail, 77 skip (numpy, pytest or hypothesis
missing: apt-get install python3-numpy python3-pytest python3-hypothesis).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from harness import COMMON, report, skip  # noqa: E402

TIMEOUT = 600  # seconds per pytest run: a hang fails
# (module, -k expression).  test_huge_vectordot is left out everywhere: an
# 18 s vector dot of 2^28 elements that makes no SGEMM call.
MODULES = [
    ("numpy.core.tests.test_multiarray", "(matmul or dot) and not huge_vectordot"),
    ("numpy.core.tests.test_einsum", None),
    ("numpy.linalg.tests", None),
    ("numpy.matrixlib.tests", None),
]

# Runs pytest in this process, then prints libgemm590's counters (when it is
# loaded) as the last line, so the driver knows the calls went through it.
RUNNER = r"""
import json, sys
import pytest
sys.path.append(%r)
from harness import counters
rc = pytest.main(sys.argv[1:])
try:
    calls = list(counters())
except AttributeError:
    calls = None
print("COUNTERS " + json.dumps(calls), flush=True)
sys.exit(0 if rc in (0, 1) else rc)
""" % COMMON


def outcomes(junit):
    """{test id: 'passed' | 'failed' | 'skipped'} from a JUnit XML file."""
    result = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        test_id = f"{case.get('classname')}::{case.get('name')}"
        kinds = {child.tag for child in case}
        result[test_id] = ("failed" if kinds & {"failure", "error"} else
                           "skipped" if "skipped" in kinds else "passed")
    return result


def run(python, name, env, tmp):
    """One configuration over every module: (outcomes, counters, seconds)."""
    tests, calls = {}, [0, 0]
    seconds = 0.0
    for module, expr in MODULES:
        junit = os.path.join(tmp, f"{name}-{module}.xml")
        cmd = [python, "-c", RUNNER, "-p", "no:cacheprovider", "-q", "--pyargs", module,
               f"--junitxml={junit}"] + (["-k", expr] if expr else [])
        proc = subprocess.run(cmd, env=env, cwd=tmp, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=TIMEOUT)
        last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
        if proc.returncode != 0 or not last.startswith("COUNTERS ") or not os.path.exists(junit):
            print(proc.stdout[-4000:])
            raise RuntimeError(f"{name}: pytest on {module} did not complete "
                               f"(exit {proc.returncode})")
        got = json.loads(last[len("COUNTERS "):])
        if got is None:
            calls = None
        elif calls is not None:
            calls = [calls[0] + got[0], calls[1] + got[1]]
        root = ET.parse(junit).getroot()
        suite = root if root.tag == "testsuite" else root.find("testsuite")
        seconds += float(suite.get("time", 0))
        tests.update(outcomes(junit))
    return tests, calls, seconds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("lib")
    parser.add_argument("--python", default="/usr/bin/python3")
    args = parser.parse_args()
    probe = subprocess.run([args.python, "-c", "import numpy, pytest, hypothesis"],
                           stderr=subprocess.PIPE, text=True)
    if probe.returncode != 0:
        skip(f"{args.python} lacks numpy, pytest or hypothesis "
             "(apt-get install python3-numpy python3-pytest python3-hypothesis):\n"
             + probe.stderr.strip().splitlines()[-1])

    base = {k: v for k, v in os.environ.items()
            if not k.startswith("GEMM590_") and k != "LD_PRELOAD"}
    base["PYTHONDONTWRITEBYTECODE"] = "1"
    lib = os.path.abspath(args.lib)
    configs = [
        ("plain", base),
        ("host", {**base, "LD_PRELOAD": lib, "GEMM590_CACHE_DIR": "off"}),
        ("device", {**base, "LD_PRELOAD": lib, "GEMM590_CACHE_DIR": "off",
                    "GEMM590_DEVICE": "cpu", "GEMM590_KERNEL": "regblock"}),
    ]
    problems = []
    with tempfile.TemporaryDirectory(prefix="gemm590-numpy-") as tmp:
        results = {}
        for name, env in configs:
            tests, calls, seconds = run(args.python, name, env, tmp)
            results[name] = tests
            count = {k: sum(1 for v in tests.values() if v == k)
                     for k in ("passed", "failed", "skipped")}
            path = "" if calls is None else f"; SGEMM through libgemm590: {calls[0]} host, " \
                                            f"{calls[1]} device"
            print(f"{name:6}: {len(tests)} tests, {count['passed']} passed, {count['failed']} "
                  f"failed, {count['skipped']} skipped in {seconds:.0f} s{path}", flush=True)
            if name == "plain":
                continue
            if calls is None:
                problems.append(f"{name}: libgemm590 was not loaded (LD_PRELOAD)")
            elif calls[1 if name == "device" else 0] == 0:
                problems.append(f"{name}: no SGEMM call ran on the {name} path")
        plain_failed = {t for t, v in results["plain"].items() if v == "failed"}
        for name in ("host", "device"):
            failed = {t for t, v in results[name].items() if v == "failed"}
            missing = set(results["plain"]) - set(results[name])
            for t in sorted(failed - plain_failed):
                problems.append(f"{name}: {t} fails only with libgemm590")
            if missing:
                problems.append(f"{name}: {len(missing)} tests of the plain run did not run, "
                                f"e.g. {sorted(missing)[0]}")
        print(f"failing without libgemm590: {sorted(plain_failed) or 'none'}")
    report(problems)


if __name__ == "__main__":
    main()
