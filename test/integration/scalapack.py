"""ScaLAPACK PSGEMM and PDGEMM over 2 or 4 MPI ranks with libgemm590 as
each rank's node BLAS (LD_PRELOAD), on PoCL's two CPU devices.

    scalapack.py RANKS LIBGEMM590 SCALAPACK_PROGRAM

Each rank checks its own blocks of C against a long double reference
(scalapack.c).  From GEMM590_VERBOSE (mpirun --tag-output), each rank must
show that it took device (local rank mod 2) of the pool of two, and that
its local products went through libgemm590's sgemm_ and dgemm_ on that
device.  Skips (77) without mpirun or PoCL's two devices.
"""
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from harness import Checks, env_with, library_errors, run, skip  # noqa: E402


def main():
    ranks, lib, program = int(sys.argv[1]), os.path.abspath(sys.argv[2]), sys.argv[3]
    mpirun = shutil.which("mpirun")
    if not mpirun:
        skip("mpirun not found (Debian package openmpi-bin)")
    # As root Open MPI refuses to start without these; above the number of
    # cores it needs --oversubscribe.
    env = env_with(OMPI_ALLOW_RUN_AS_ROOT=1, OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1)
    exported = {"LD_PRELOAD": lib, "GEMM590_VERBOSE": "1", "GEMM590_DEVICE": "cpu",
                "GEMM590_KERNEL": "regblock", "GEMM590_CACHE_DIR": "off",
                "POCL_DEVICES": "pthread pthread"}
    if os.environ.get("POCL_CACHE_DIR"):
        exported["POCL_CACHE_DIR"] = os.environ["POCL_CACHE_DIR"]
    cmd = [mpirun, "-np", ranks, "--oversubscribe", "--tag-output"]
    for name, value in exported.items():
        cmd += ["-x", f"{name}={value}"]
    proc = run(cmd + [program], env=env, must_succeed=False)
    print(proc.stdout)
    if "pool=2" not in proc.stderr and "gemm590: device" not in proc.stderr:
        skip("no OpenCL CPU device with POCL_DEVICES='pthread pthread' (Debian package "
             "pocl-opencl-icd)")

    checks = Checks()
    checks.check(proc.returncode == 0, f"mpirun exit code {proc.returncode} is 0")
    # "[1,R]<stream>:line" per rank.
    lines = {}
    for stream in (proc.stdout, proc.stderr):
        for line in stream.splitlines():
            m = re.match(r"\[\d+,(\d+)\]<std(?:out|err)>:(.*)$", line)
            if m:
                lines.setdefault(int(m.group(1)), []).append(m.group(2))
    checks.check(sorted(lines) == list(range(ranks)), f"output from every rank {sorted(lines)}")
    for r in range(ranks):
        own = lines.get(r, [])
        for routine in ("psgemm", "pdgemm"):
            verdict = [x for x in own if x.startswith(f"rank {r} {routine} ")]
            checks.check(len(verdict) == 1 and verdict[0].endswith(" ok"),
                         f"rank {r} {routine} right: {verdict}")
        want = f"index=0:{r % 2} pool=2 local_rank={r} (OMPI_COMM_WORLD_LOCAL_RANK)"
        device = [x for x in own if x.startswith("gemm590: device ")]
        checks.check(len(device) == 1 and device[0].endswith(want),
                     f"rank {r} took device 0:{r % 2}: {device}")
        for entry in ("sgemm_", "dgemm_"):
            calls = [x for x in own if x.startswith(f"gemm590: {entry} layout=")]
            on_device = [x for x in calls if f" path=device " in x and f" devices=0:{r % 2} " in x]
            checks.check(len(calls) > 0 and len(on_device) == len(calls),
                         f"rank {r}: {len(calls)} local {entry} products through libgemm590, "
                         f"{len(on_device)} of them on its device")
        errors = library_errors(own)
        checks.check(not errors, f"rank {r}: no libgemm590 error lines {errors[:3]}")
    checks.finish()


if __name__ == "__main__":
    main()
