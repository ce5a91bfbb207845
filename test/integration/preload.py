"""LD_PRELOAD libgemm590 into Python and check that numpy's and scipy's
float32 and float64 products (gemm, syrk, LAPACK on top) are intercepted
and right.

    preload.py debian --lib LIB --python /usr/bin/python3
    preload.py pip    --lib LIB --python /usr/bin/python3 --venv-cache DIR

debian: Debian's python3-numpy/python3-scipy, linked against the system
        BLAS: numpy calls cblas_sgemm, scipy calls sgemm_.
pip:    numpy and scipy wheels from PyPI in a venv made with
        `python -m venv` (kept in DIR, keyed by interpreter and
        requirements, so only the first run downloads).  The wheels bundle
        their own OpenBLAS under prefixed names: numpy 2.x calls
        scipy_cblas_sgemm64_, scipy calls scipy_sgemm_.

preload_numpy.py does the products and judges them against float64; this
driver checks, case by case, that libgemm590 logged the expected entry
point computing (path=host or path=device) at least as many times as the
case needs.
"""
import argparse
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from harness import Checks, env_with, library_errors, run, skip  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

# Exact pins: the bundled OpenBLAS's symbol names are not a stable interface
# of the wheels (MacPython/openblas-libs#203 asks users to pin with ==), and
# these names are what the test asserts.  Bump deliberately.  threadpoolctl
# is for host_blas.py (it sets the bundled OpenBLAS's thread count), in the
# same venv so that both drivers share one download.
PIP_REQUIREMENTS = ["numpy==2.4.6", "scipy==1.17.1", "threadpoolctl==3.8.0"]

ENTRIES = {
    "debian": {"numpy": "cblas_sgemm", "scipy": "sgemm_", "numpy-dgemm": "cblas_dgemm",
               "numpy-ssyrk": "cblas_ssyrk", "numpy-dsyrk": "cblas_dsyrk",
               "scipy-dgemm": "dgemm_", "scipy-ssyrk": "ssyrk_", "scipy-dsyrk": "dsyrk_",
               "lapack": None},
    "pip": {"numpy": "scipy_cblas_sgemm64_", "scipy": "scipy_sgemm_",
            "numpy-dgemm": "scipy_cblas_dgemm64_", "numpy-ssyrk": "scipy_cblas_ssyrk64_",
            "numpy-dsyrk": "scipy_cblas_dsyrk64_", "scipy-dgemm": "scipy_dgemm_",
            "scipy-ssyrk": "scipy_ssyrk_", "scipy-dsyrk": "scipy_dsyrk_", "lapack": None},
}


def python_version(python):
    proc = run([python, "-c", "import sys; print(sys.version)"])
    return proc.stdout.strip()


def pip_venv(python, cache_dir):
    """Returns the python of a venv with PIP_REQUIREMENTS, creating it on
    first use.  A venv counts as ready only once its marker file exists, so
    an interrupted install is redone; a lock keeps concurrent runs from
    building the same one."""
    key = hashlib.sha256("\n".join([python, python_version(python)] + PIP_REQUIREMENTS)
                         .encode()).hexdigest()[:16]
    os.makedirs(cache_dir, exist_ok=True)
    venv = os.path.join(cache_dir, key)
    ready = os.path.join(venv, "gemm590-ready")
    with open(os.path.join(cache_dir, key + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(ready):
            print(f"reusing venv {venv}")
        else:
            shutil.rmtree(venv, ignore_errors=True)
            if run([python, "-m", "venv", venv], must_succeed=False).returncode != 0:
                skip(f"`{python} -m venv` does not work (Debian package python3-venv)")
            pip = run([os.path.join(venv, "bin", "python"), "-m", "pip", "install",
                       "--no-input", "--progress-bar", "off"] + PIP_REQUIREMENTS,
                      must_succeed=False)
            if pip.returncode != 0:
                print(pip.stdout[-3000:] + pip.stderr[-3000:])
                skip(f"pip cannot install {PIP_REQUIREMENTS} (no network or no index?)")
            open(ready, "w").close()
    return os.path.join(venv, "bin", "python")


def parse_cases(stderr):
    """Splits the child's stderr into cases: {name: (lib, calls, verdict, lines)}."""
    cases, current = {}, None
    for line in stderr.splitlines():
        if m := re.match(r"case (\S+) (\S+) (\d+)$", line):
            current = m.group(1)
            cases[current] = [m.group(2), int(m.group(3)), None, []]
        elif m := re.match(r"case-(ok|bad) (\S+)", line):
            cases[m.group(2)][2] = line
        elif current and line.startswith("gemm590:"):
            cases[current][3].append(line)
    return cases


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=ENTRIES)
    parser.add_argument("--lib", required=True)
    parser.add_argument("--python", required=True)
    parser.add_argument("--venv-cache")
    args = parser.parse_args()
    if not os.access(args.python, os.X_OK):
        skip(f"{args.python} not found")

    python = args.python
    if args.mode == "debian":
        probe = run([python, "-c", "import numpy, scipy.linalg.blas"], must_succeed=False)
        if probe.returncode != 0:
            skip(f"{python} cannot import numpy and scipy (Debian packages python3-numpy, "
                 f"python3-scipy): {probe.stderr.strip().splitlines()[-1:]}")
    else:
        python = pip_venv(python, args.venv_cache)

    env = env_with(LD_PRELOAD=os.path.abspath(args.lib), GEMM590_VERBOSE=1)
    proc = run([python, os.path.join(HERE, "preload_numpy.py")], env=env, must_succeed=False)
    print(proc.stdout)
    print("--- stderr ---\n" + proc.stderr)

    checks = Checks()
    checks.check(proc.returncode == 0, f"preload_numpy.py exit code {proc.returncode} is 0")
    errors = library_errors(proc.stderr.splitlines())
    checks.check(not errors, f"no libgemm590 error lines {errors[:5]}")
    cases = parse_cases(proc.stderr)
    checks.check(len(cases) > 0, "the child ran its cases")
    for name, (lib, calls, verdict, lines) in cases.items():
        entry = ENTRIES[args.mode][lib]
        # Entry names are followed by a space: cblas_sgemm must not match
        # cblas_sgemm64_.
        computed = [line for line in lines if line.startswith(f"gemm590: {entry} ")
                    and re.search(r" path=(host|device)\b", line)]
        checks.check(len(computed) >= calls,
                     f"{name}: {len(computed)} '{entry}' calls computed by libgemm590, "
                     f"want >= {calls}")
        checks.check(verdict is not None and verdict.startswith("case-ok"),
                     f"{name}: result matches float64 ({verdict})")
    checks.finish()


if __name__ == "__main__":
    main()
