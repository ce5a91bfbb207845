#!/usr/bin/env python3
"""The command lines of the programs in bench/ and tuning/ (bench/cli.h).

usage: test_tools_cli.py VERSION PROGRAM...

For every PROGRAM (named by its file name): --help exits 0 and lists every
option, --version exits 0 and names the program and VERSION, and an
unknown option, a missing value and bad numbers exit 2 with one line on
stderr naming the option and the value.  Then, with the device disabled:
gemm590-bench prints its host rows with rates to three significant
digits, --plot fails at once (non-zero, a clear message) when its Python
lacks matplotlib, and gemm590-info says why no table entry is in use and
explains each leaf in words.  No timing is asserted."""
import os
import re
import subprocess
import sys
import tempfile

version, programs = sys.argv[1], {os.path.basename(p): p for p in sys.argv[2:]}
failures = []
scratch = tempfile.TemporaryDirectory()
ENV = {**{k: v for k, v in os.environ.items() if not k.startswith("GEMM590_")},
       "GEMM590_CACHE_DIR": os.path.join(scratch.name, "cache")}

# Per program: the options --help must list, and command lines it must
# refuse with exit 2 together with the text stderr must name.
SPECS = {
    "gemm590-bench": {
        "options": ["--sizes", "--shape", "--trans", "--variants", "--no-host", "--floor", "--csv",
                    "--plot", "--python", "--build-log", "--nvblas", "--cublas",
                    "--clblast-tuned", "--help", "--version"],
        "bad": [(["--sizes", "12x"], ["--sizes", "12x"]),
                (["--sizes", "64,-4"], ["--sizes", "-4"]),
                (["--shape", "64x0x64"], ["--shape", "64x0x64"]),
                (["--trans", "NX"], ["--trans", "NX"]),
                (["--variants", "no_such_family"], ["--variants", "no_such_family"]),
                (["--plot", "x.png"], ["--plot", "--csv"]),
                (["--csv"], ["--csv"])],
    },
    "call-cost": {
        "options": ["--sizes", "--rounds", "--calls", "--help", "--version"],
        "bad": [(["--sizes", "4,x"], ["--sizes", "x"]), (["--rounds", "0"], ["--rounds", "0"]),
                (["--calls", "-1"], ["--calls", "-1"]), (["extra"], ["extra"])],
    },
    "copy-bench": {"options": ["--help", "--version"], "bad": [(["extra"], ["extra"])]},
    "half-bench": {
        "options": ["--sizes", "--no-host", "--help", "--version"],
        "bad": [(["--sizes", "abc"], ["--sizes", "abc"]), (["--sizes", "0"], ["--sizes", "0"]),
                (["--sizes"], ["--sizes"])],
    },
    "level3-bench": {
        "options": ["--sizes", "--routines", "--repeats", "--host-blas", "--nvblas", "--no-host",
                    "--help", "--version"],
        "bad": [(["--sizes", "12x"], ["--sizes", "12x"]), (["--repeats", "0"], ["--repeats", "0"]),
                (["extra"], ["extra"])],
    },
    "regret-bench": {
        "options": ["--shapes", "--file", "--repeats", "--first", "--double", "--help",
                    "--version"],
        "bad": [(["--shapes", "64x64"], ["64x64"]), (["--repeats", "0"], ["--repeats", "0"]),
                (["--first", "x"], ["--first", "x"]), (["--file", "/nonexistent/shapes"],
                                                       ["--file", "/nonexistent/shapes"]),
                (["extra"], ["extra"])],
    },
    "sgemm_vs_openblas": {
        "options": ["N", "--help", "--version"],
        "bad": [(["abc"], ["abc"]), (["64", "-5"], ["-5"]), (["0"], ["'0'"])],
    },
    "shape_time": {
        "options": ["--repeats", "-r", "SHAPE", "--help", "--version"],
        "bad": [(["--repeats", "x", "64x64x64"], ["--repeats", "x"]),
                (["-r", "0", "64x64x64"], ["--repeats", "0"]),
                (["64x64"], ["64x64"]), (["64x64x64:NX"], ["NX"]), (["-r"], ["-r"])],
    },
    "table_probe": {
        "options": ["embedded", "select", "--help", "--version"],
        "bad": [(["select", "A", "B", "gpu", "1", "1", "x", "0", "0"], ["K", "x"]),
                (["select", "A", "B", "tpu", "1", "1", "1", "0", "0"], ["tpu"]),
                (["select", "A", "B", "gpu", "1", "1", "1", "0", "2"], ["TB", "2"])],
    },
    "gemm590-info": {
        "options": ["--table", "--fp16", "--help", "--version"],
        "bad": [(["0", "1", "1"], ["M", "0"]), (["1", "1", "abc"], ["K", "abc"]),
                (["1", "1", "1", "X", "N"], ["TA", "X"]), (["1", "1"], ["M N K"])],
    },
    "gemm590-tune": {
        "options": ["--quick", "--routine", "--out", "--device", "--max-size", "--repeats",
                    "--survivors", "--sample", "--time-limit", "--list", "--help", "--version"],
        "bad": [(["--repeats", "0"], ["--repeats", "0"]),
                (["--routine", "zgemm"], ["--routine", "zgemm"]),
                (["--sample", "-1"], ["--sample", "-1"]),
                (["--max-size", "big"], ["--max-size", "big"]),
                (["--time-limit", "-3"], ["--time-limit", "-3"]), (["--out"], ["--out"])],
    },
}


def run(args, env=None, timeout=120):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                          env=env or ENV)


def fail(what, p):
    failures.append(f"{what}: exit {p.returncode}\n  stdout: {p.stdout[-600:]!r}\n"
                    f"  stderr: {p.stderr[-600:]!r}")


def check_cli(name, path, spec):
    p = run([path, "--help"])
    if p.returncode != 0 or not p.stdout.startswith("usage: " + name):
        fail(f"{name} --help", p)
    for option in spec["options"]:
        if not re.search(r"(^|[\s\[,])" + re.escape(option) + r"\b", p.stdout):
            failures.append(f"{name} --help does not list {option}")
    p = run([path, "--version"])
    if p.returncode != 0 or name not in p.stdout or version not in p.stdout:
        fail(f"{name} --version", p)
    refusals = [(["--no-such-option"], ["--no-such-option"])] + spec["bad"]
    for args, named in refusals:
        p = run([path] + args)
        lines = p.stderr.strip().splitlines()
        if p.returncode != 2 or len(lines) != 1 or not lines[0].startswith(name + ": ") or \
                not all(n in lines[0] for n in named):
            fail(f"{name} {' '.join(args)} (wanted exit 2, one line naming {named})", p)


def three_digits(rate):
    """True when `rate` is printed with three significant digits."""
    mantissa = rate.split("e")[0].replace(".", "").lstrip("0")
    return len(mantissa) == 3 and float(rate) > 0


def check_bench_host_rows(bench):
    for disable in ({"GEMM590_DISABLE_DEVICE": "1"}, {"GEMM590_DEVICE": "none"}):
        p = run([bench, "--sizes", "64", "--shape", "40x30x20", "--variants", "tile24"],
                env={**ENV, **disable})
        what = f"gemm590-bench with {disable}"
        if p.returncode != 0 or "note: host rows only" not in p.stdout:
            fail(what, p)
            continue
        rows = [l.split() for l in p.stdout.splitlines()
                if l.startswith(("cblas_sgemm(selector,host)", "openblas"))]
        if len(rows) != 4 or any(r[0].startswith("tile24") for r in rows):
            fail(f"{what}: wanted the selector's and openblas's rows of 2 shapes", p)
        for r in rows:
            if r[4] != "-" or not three_digits(r[5]):
                failures.append(f"{what}: row {r}: wanted '-' resident and 3 digits e2e")


def python_without_matplotlib():
    """A Python that cannot import matplotlib: this one without its site
    packages (-S -I), behind a script, as --python takes a program."""
    path = os.path.join(scratch.name, "python-bare")
    with open(path, "w") as f:
        f.write(f'#!/bin/sh\nexec "{sys.executable}" -S -I "$@"\n')
    os.chmod(path, 0o755)
    if run([path, "-c", "import matplotlib"]).returncode == 0:
        return None
    return path


def check_bench_plot(bench):
    bare = python_without_matplotlib()
    if not bare:
        print("note: no Python without matplotlib could be made: --plot refusal not checked")
        return
    csv, png = os.path.join(scratch.name, "b.csv"), os.path.join(scratch.name, "b.png")
    base = [bench, "--sizes", "64", "--csv", csv, "--plot", png]
    env = {**ENV, "GEMM590_DISABLE_DEVICE": "1"}
    for how, args, extra in (("--python", ["--python", bare], {}),
                             ("$PYTHON", [], {"PYTHON": bare})):
        p = run(base + args, env={**env, **extra})
        if p.returncode == 0 or "matplotlib" not in p.stderr or bare not in p.stderr or \
                "--python" not in p.stderr or "openblas" in p.stdout:
            fail(f"gemm590-bench --plot through {how} without matplotlib (wanted a failure "
                 "before any row, naming the Python, matplotlib and --python)", p)
    p = run(base + ["--python", os.path.join(scratch.name, "no-such-python")], env=env)
    if p.returncode == 0 or "no-such-python" not in p.stderr:
        fail("gemm590-bench --plot with a missing Python", p)


def check_info(info):
    p = run([info, "--table", "256", "256", "256"], env={**ENV, "GEMM590_DEVICE": "none"})
    if p.returncode != 0:
        fail("gemm590-info --table without a device", p)
        return
    out = p.stdout
    if not re.search(r"^table entry: none in use: GEMM590_DISABLE_DEVICE=1 .*every call runs "
                     r"on the host BLAS", out, re.M) or "would run: host BLAS" not in out:
        fail("gemm590-info without a device: no reason why no entry is in use", p)
    leaves = re.findall(r"^    leaf \d+: (.*) -> ", out, re.M)
    if not leaves or any(re.search(r"<|>", l) for l in leaves) or \
            not any("flops" in l for l in leaves) or "every shape" not in leaves:
        fail("gemm590-info --table: leaves not in words", p)


for name in SPECS:
    if name in programs:
        check_cli(name, programs[name], SPECS[name])
    else:
        failures.append(f"{name}: not given to the test")
if "gemm590-bench" in programs:
    check_bench_host_rows(programs["gemm590-bench"])
    check_bench_plot(programs["gemm590-bench"])
if "gemm590-info" in programs:
    check_info(programs["gemm590-info"])

for f in failures:
    print("FAIL " + f)
print(f"{len(failures)} failure(s), {len(programs)} programs")
sys.exit(1 if failures else 0)
