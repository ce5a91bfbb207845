"""Runs Debian's reference Level-3 BLAS testers (libblas-test) with
libgemm590 preloaded in front of the reference libblas.so.3.

    reference_testers.py MODE LIBGEMM590 BLAS_TEST_DIR

fortran-s: xblat3s < sblat3.in: SGEMM and SSYRK as sgemm_, ssyrk_.
fortran-d: xblat3d < dblat3.in: DGEMM and DSYRK as dgemm_, dsyrk_.
cblas-s:   xscblat3 < sin3: cblas_sgemm and cblas_ssyrk in both layouts.
cblas-d:   xdcblat3 < din3: cblas_dgemm and cblas_dsyrk in both layouts.

The testers judge the results themselves (error exits, then every
combination of shapes, transposes, uplo, alpha and beta against their own
reference computation).  We check their verdict for each routine
libgemm590 exports, that nothing failed anywhere, and, from
GEMM590_VERBOSE, that the calls they counted really reached libgemm590: a
preload that did not take would let the reference routines pass these
same tests.
"""
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from harness import Checks, env_with, library_errors, run, skip  # noqa: E402

# mode: (program, input, the Fortran tester's summary file, routines)
TESTERS = {
    "fortran-s": ("xblat3s", "sblat3.in", "sblat3.out", ["sgemm", "ssyrk"]),
    "fortran-d": ("xblat3d", "dblat3.in", "dblat3.out", ["dgemm", "dsyrk"]),
    "cblas-s": ("xscblat3", "sin3", None, ["sgemm", "ssyrk"]),
    "cblas-d": ("xdcblat3", "din3", None, ["dgemm", "dsyrk"]),
}


def verdicts(mode, routine):
    """The entry point the tester calls, and the report lines that say it passed."""
    if mode.startswith("fortran"):
        name = routine.upper()
        return routine + "_", [rf"{name} +PASSED THE TESTS OF ERROR-EXITS",
                               rf"{name} +PASSED THE COMPUTATIONAL TESTS \( *(\d+) CALLS\)"]
    name = "cblas_" + routine
    return name, [rf"{name} +PASSED THE TESTS OF ERROR-EXITS",
                  rf"{name} +PASSED THE COLUMN-MAJOR +COMPUTATIONAL TESTS \( *(\d+) CALLS\)",
                  rf"{name} +PASSED THE ROW-MAJOR +COMPUTATIONAL TESTS \( *(\d+) CALLS\)"]


def main():
    mode, lib, blas_dir = sys.argv[1], os.path.abspath(sys.argv[2]), sys.argv[3]
    program, input_name, summary_name, routines = TESTERS[mode]
    tester, tester_input = os.path.join(blas_dir, program), os.path.join(blas_dir, input_name)
    if not (os.access(tester, os.X_OK) and os.path.isfile(tester_input)):
        skip(f"{tester} or {tester_input} not found (Debian package libblas-test)")
    if not os.path.isfile(os.path.join(blas_dir, "libblas.so.3")):
        skip(f"reference {blas_dir}/libblas.so.3 not found (Debian package libblas3)")

    # LD_LIBRARY_PATH pins the reference BLAS for everything libgemm590 does
    # not export: through the alternatives system libblas.so.3 may well be
    # OpenBLAS.
    env = env_with(LD_PRELOAD=lib, LD_LIBRARY_PATH=blas_dir, GEMM590_VERBOSE=1)
    checks = Checks()
    # The Fortran testers write their summary to *.out in the current
    # directory; a scratch directory keeps it out of the build tree.
    with tempfile.TemporaryDirectory(prefix=f"gemm590-{program}-") as work:
        with open(tester_input) as stdin:
            proc = run([tester], env=env, cwd=work, stdin=stdin, must_succeed=False)
        summary_path = os.path.join(work, summary_name or "none")
        summary = open(summary_path).read() if os.path.exists(summary_path) else ""
    report = proc.stdout + summary
    print("--- tester report ---\n" + (summary or proc.stdout))
    checks.check(proc.returncode == 0, f"{program} exit code {proc.returncode} is 0")
    bad = [line for line in report.splitlines() if re.search(r"FAIL|FATAL", line)]
    checks.check(not bad, f"no FAIL/FATAL line in the report {bad[:5]}")

    log = proc.stderr.splitlines()
    for routine in routines:
        entry, patterns = verdicts(mode, routine)
        reported_calls = 0
        for pattern in patterns:
            m = re.search(pattern, report)
            checks.check(m is not None, f"report has /{pattern}/")
            if m and m.groups():
                reported_calls += int(m.group(1))
        # "gemm590: dsyrk_ layout=..." is a call that was checked and run
        # (or quick-returned); "gemm590: dsyrk_ path=none reason=\"invalid
        # ..." is one of the tester's deliberate error exits.
        computed = sum(1 for line in log if line.startswith(f"gemm590: {entry} layout="))
        rejected = sum(1 for line in log
                       if line.startswith(f"gemm590: {entry} path=none reason=\"invalid"))
        checks.check(reported_calls > 0 and computed >= reported_calls,
                     f"{computed} '{entry}' calls logged by libgemm590 >= "
                     f"{reported_calls} CALLS the tester reported")
        checks.check(rejected > 0,
                     f"the error-exit tests of {entry} reached libgemm590 "
                     f"({rejected} invalid calls logged)")
    errors = library_errors(log)
    checks.check(not errors, f"no libgemm590 error lines {errors[:5]}")
    checks.finish()


if __name__ == "__main__":
    main()
