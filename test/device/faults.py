"""Fault injection: every OpenCL call site of libgemm590 fails in turn
(GEMM590_FAULT), and every result must still be right.

usage: faults.py PROBE LIB_SOURCE_DIR FAMILY...

The sites are read from the library's sources (every G590_CL("..."),
G590_CL_OBJECT("...") and g590_cl_fault("...")), so a new site is tested as soon
as it exists, and one that no family reaches fails this test.  Every run is a fresh process of
the probe (probe.c: checks every result itself) with the family forced on
the CPU device and GEMM590_LINK_CHUNK=64 KiB, so that the probe's large
call takes the chunked, double-buffered transfers and its small calls the
direct ones, and GEMM590_GEMM_SLICES=1, so that it sends A whole and op(B)
in panels (in K slices its split-K launches alone would set 588 kernel
arguments, each a probe run in part 2; the sliced path meets its faults in
the dgemm-syrk-sliced-*-fault-every tests).

Part 1, GEMM590_FAULT=<site>: every use of the site fails.  `probe mix`
runs with an empty disk cache, so that the build sites are reached (for
clCreateProgramWithBinary, a first run without the fault fills it).  From
the verbose log: the site was hit ("OpenCL <site> failed ... [injected by
GEMM590_FAULT]"), and

- most sites: each call that met the fault, and each later call that met
  the remembered failure (engine init, a failed build), ran on the host
  with a reason naming the site; every other call ran on the device.
- clCreateProgramWithBinary: the cache file is reported unusable and the
  program built from source: every call still runs on the device.
- clGetProgramInfo (reading the binary to save it): the program is used
  anyway, every call runs on the device, nothing is written to the cache.
- clEnqueueMapBuffer (pinned staging for chunked transfers): the large call
  takes the direct copies instead; every call still runs on the device.

Part 2, GEMM590_FAULT=<site>@<n> for n = 1, 2, ... until the site is no
longer hit: only the n-th use fails, so the failure lands in every step of
`probe big` in turn, in the middle of chunked uploads and downloads.  A
failure while C is read back leaves the leading columns on the device's
result ("device_columns=" in the log) and the host computes the rest:
the results must still be right, and that partial completion must happen
at least once per family.
"""
import glob
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from harness import CALL_LINE, Checks, gemm590_env, run_probe  # noqa: E402

SITE_CALL = re.compile(r'\b(?:G590_CL|G590_CL_OBJECT|g590_cl_fault)\("(\w+)"')
STILL_ON_DEVICE = {"clCreateProgramWithBinary", "clGetProgramInfo", "clEnqueueMapBuffer"}
CHUNK = 65536
MAX_OCCURRENCES = 200  # far above any site's uses in `probe big`: a runaway guard


def sites_in(lib_dir):
    sites = set()
    for path in glob.glob(os.path.join(lib_dir, "**", "*.c"), recursive=True):
        with open(path, encoding="utf-8") as f:
            sites.update(SITE_CALL.findall(f.read()))
    return sorted(sites)


def probe_env(family, cache_dir, fault=None):
    env = gemm590_env(GEMM590_DEVICE="cpu", GEMM590_KERNEL=family, GEMM590_CACHE_DIR=cache_dir,
                   GEMM590_LINK_CHUNK=CHUNK, GEMM590_GEMM_SLICES=1, GEMM590_VERBOSE=1)
    if fault:
        env["GEMM590_FAULT"] = fault
    return env


def injected_lines(r, site):
    return [l for l in r.lines if l.startswith(f"gemm590: OpenCL {site} failed")]


def wrong_paths(r, site, strict=True):
    """Calls on the wrong path, as log lines: a call on the host must name
    the site as its reason.  With `strict`, a call that met the fault (a
    failure line since the previous call line) must be on the host: for
    sites whose failure has no recovery on the device."""
    wrong, hit = [], False
    for line in r.lines:
        if line.startswith(f"gemm590: OpenCL {site} failed"):
            hit = True
            continue
        call = CALL_LINE.match(line)
        if not call:
            continue
        host_for_site = call.group(1) == "host" and call.group(2).startswith(f"error: {site} ")
        if not host_for_site and ((strict and hit) or call.group(1) != "device"):
            wrong.append(line)
        hit = False
    return wrong


def every_use(checks, probe, family, site, tmp):
    """Part 1: returns whether the site was hit."""
    label = f"{family} {site}"
    cache = os.path.join(tmp, f"{family}-{site}")
    if site == "clCreateProgramWithBinary":
        run_probe([probe, "mix"], probe_env(family, cache), quiet=True)
    r = run_probe([probe, "mix"], probe_env(family, cache, site), quiet=True)
    injected = injected_lines(r, site)
    counters = r.counters()
    if r.rc != 0 or counters is None:
        checks.check(False, f"{label}: probe failed (exit {r.rc}; 1: a wrong result, "
                            f"23: a sanitizer report)")
        r.show()
        return bool(injected)
    if not injected:
        checks.check(counters == (4, 0, 4), f"{label}: not reached by this family, "
                                            f"all 4 calls on the device ({counters})")
        return False
    _, host, device = counters
    problems = []
    if not all("[injected by GEMM590_FAULT]" in l for l in injected):
        problems.append("failure not marked as injected")
    paths = [p for p, _, _ in r.calls]
    if len(paths) != 4 or paths.count("host") != host or paths.count("device") != device:
        problems.append(f"verbose lines {paths} do not match counters ({host} host, {device} device)")
    if site in STILL_ON_DEVICE:
        if device != 4:
            problems.append(f"{host} calls left the device")
        if site == "clCreateProgramWithBinary" and not (
                any("is unusable; rebuilding" in l for l in r.lines)
                and "program=built" in r.calls[0][2]):
            problems.append("cache file not reported unusable and rebuilt")
        if site == "clGetProgramInfo" and os.path.isdir(cache) and os.listdir(cache):
            problems.append(f"cache written: {os.listdir(cache)}")
        outcome = "all 4 calls stayed on the device"
    else:
        if host < 1:
            problems.append("no call fell back to the host")
        problems += [f"wrong path: {l}" for l in wrong_paths(r, site)]
        outcome = f"{host} of 4 calls on the host, reason naming the site"
    if not checks.check(not problems, f"{label}: results right, {outcome}"):
        for p in problems:
            print(f"       {p}")
        r.show()
    return True


def each_use(checks, probe, family, site, cache):
    """Part 2: fails the n-th use for every n; returns (uses, partial runs)."""
    partial = 0
    for n in range(1, MAX_OCCURRENCES + 1):
        r = run_probe([probe, "big"], probe_env(family, cache, f"{site}@{n}"), quiet=True)
        hit = bool(injected_lines(r, site))
        if r.rc != 0 or (not hit and r.counters() != (1, 0, 1)):
            checks.check(False, f"{family} {site}@{n}: results right, on the device "
                                f"when the fault is not reached (exit {r.rc}, {r.counters()})")
            r.show()
            return n, partial
        if not hit:
            return n - 1, partial
        if not all("[injected by GEMM590_FAULT]" in l for l in injected_lines(r, site)):
            checks.check(False, f"{family} {site}@{n}: failure not marked as injected")
        if "device_columns=" in r.stderr:
            partial += 1
        # Not strict: a build failing on a cached binary is retried from source.
        wrong = wrong_paths(r, site, strict=False)
        if wrong:
            checks.check(False, f"{family} {site}@{n}: wrong path: {wrong}")
            r.show()
    checks.check(False, f"{family} {site}: still hit after {MAX_OCCURRENCES} uses")
    return MAX_OCCURRENCES, partial


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    probe, lib_dir, families = sys.argv[1], sys.argv[2], sys.argv[3:]
    checks = Checks()
    sites = sites_in(lib_dir)
    checks.check(len(sites) >= 16, f"{len(sites)} fault sites in {lib_dir}: {' '.join(sites)}")
    hit_by = {site: [] for site in sites}

    with tempfile.TemporaryDirectory(prefix="gemm590-faults-") as tmp:
        for family in families:
            # Without a fault every call runs on the device: host results
            # below are the faults' doing.  This also fills the cache of part 2.
            cache = os.path.join(tmp, family)
            r = run_probe([probe, "mix"], probe_env(family, cache))
            if not checks.check(r.rc == 0 and r.counters() == (4, 0, 4),
                                f"{family} without a fault: 4 right results on the device "
                                f"(exit {r.rc}, counters {r.counters()})"):
                r.show()
                continue
            for site in sites:
                if every_use(checks, probe, family, site, tmp):
                    hit_by[site].append(family)

            uses, partial = {}, 0
            for site in sites:
                uses[site], p = each_use(checks, probe, family, site, cache)
                partial += p
            print(f"     {family}, probe big: uses per site "
                  + ", ".join(f"{s} {n}" for s, n in uses.items() if n))
            checks.check(partial > 0, f"{family}: {sum(uses.values())} single-use faults, "
                                      f"all results right; {partial} left a partial C on the "
                                      f"device that the host completed")

    for site in sites:
        checks.check(bool(hit_by[site]), f"{site} reached by {', '.join(hit_by[site]) or 'no family'}")
    checks.finish()


if __name__ == "__main__":
    main()
