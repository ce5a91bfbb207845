"""The host BLAS's CBLAS route when that CBLAS wraps its Fortran routines.

usage: netlib_cblas.py TEST_DGEMM_SYRK NETLIB_LIBBLAS

libgemm590 calls the host BLAS's CBLAS routines where it has them
(lib/host/blas.c).  Netlib's CBLAS calls sgemm_ back through the PLT, which
is libgemm590's own sgemm_: that call must be served by the host's Fortran
routine, neither counted nor logged a second time, and never by the
built-in loop.  test_dgemm_syrk --quick (every spelling of dgemm, ssyrk,
dsyrk, results checked against a long-double reference) runs on the host
twice: with the build's OpenBLAS and with netlib's libblas.so.3; both must
pass with the same number of host calls, one verbose line each.
"""
import os
import re
import subprocess
import sys

test, netlib = sys.argv[1], sys.argv[2]
if not os.path.exists(netlib):
    print(f"SKIP: {netlib} not installed")
    sys.exit(77)


def run(extra):
    env = dict(os.environ, GEMM590_DISABLE_DEVICE="1", GEMM590_VERBOSE="1", **extra)
    r = subprocess.run([test, "--quick"], env=env, capture_output=True, text=True)
    calls = re.search(r"calls: host (\d+)", r.stdout)
    hosts = re.findall(r" path=host .*?host=(\S+)", r.stderr)
    print(f"{extra or 'default host BLAS'}: exit {r.returncode}, {r.stdout.strip().splitlines()[-1:]}, "
          f"{len(hosts)} host lines")
    return r.returncode, int(calls.group(1)) if calls else -1, hosts


failed = []
rc0, calls0, hosts0 = run({})
rc1, calls1, hosts1 = run({"GEMM590_FALLBACK_LIB": netlib})
if rc0 or rc1:
    failed.append(f"test_dgemm_syrk failed (exit {rc0}, {rc1})")
if calls1 != calls0 or calls0 <= 0:
    failed.append(f"host calls counted: {calls1} with netlib, {calls0} with the default")
if len(hosts1) != len(hosts0):
    failed.append(f"verbose host lines: {len(hosts1)} with netlib, {len(hosts0)} with the default")
slow = sorted({h for h in hosts1 if h.startswith("builtin")})
if slow:
    failed.append(f"calls fell to the built-in loop: {slow}")
if not any(h == netlib for h in hosts1):
    failed.append("no call named netlib's library as its host")
for f in failed:
    print("FAIL", f)
print("FAILED" if failed else "PASS")
sys.exit(1 if failed else 0)
