"""What libgemm590 exports and what it links: only the public API.

    exports.py LIBGEMM590 HEADER NM READELF

- `nm -D --defined-only` lists exactly the BLAS entry points below plus
  gemm590_* functions; every other symbol, internal g590_ helpers included,
  stays hidden.  An extra export could shadow the same name in a program
  or its BLAS under LD_PRELOAD.
- The exported gemm590_* functions are exactly those the public header
  declares: nothing exported by accident, nothing declared but missing.
- No BLAS symbol is imported and no BLAS library is a DT_NEEDED entry: the
  host BLAS is reached through dlopen alone, so that our own cblas_sgemm
  and sgemm_ can never be what the fallback resolves to.
"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from harness import Checks, run  # noqa: E402

# Each routine as CBLAS and Fortran, with the 64-bit-integer and prefixed
# spellings imported by pip wheels.
BLAS_ENTRIES = {
    spelling.format(r)
    for r in ("sgemm", "dgemm", "ssyrk", "dsyrk")
    for spelling in ("cblas_{}", "{}_", "cblas_{}64_", "{}_64_", "scipy_cblas_{}",
                     "scipy_cblas_{}64_", "scipy_{}_", "scipy_{}_64_")
}


def symbols(nm, lib, which):
    """Names from `nm -D` with `which` (--defined-only/--undefined-only),
    without any @version suffix."""
    out = run([nm, "-D", which, lib]).stdout
    return {line.split()[-1].split("@")[0] for line in out.splitlines() if line.strip()}


def main():
    lib, header, nm, readelf = sys.argv[1:5]
    checks = Checks()

    defined = symbols(nm, lib, "--defined-only")
    print("exported:", " ".join(sorted(defined)))
    extension = {s for s in defined if s.startswith("gemm590_")}
    extra = sorted(defined - BLAS_ENTRIES - extension)
    checks.check(not extra, f"nothing exported beyond the public API: extra {extra}")
    checks.check(BLAS_ENTRIES <= defined,
                 f"every BLAS entry point is exported: missing {sorted(BLAS_ENTRIES - defined)}")

    declared = set(re.findall(r"\b(gemm590_\w+)\s*\(", open(header).read()))
    checks.check(extension == declared,
                 f"exported gemm590_* == declared in {header}: "
                 f"undeclared {sorted(extension - declared)}, "
                 f"unexported {sorted(declared - extension)}")

    blas_like = re.compile(r"^(cblas_|openblas|scipy_)|^[sdcz](gemm|dot|axpy)|^xerbla")
    imported = sorted(s for s in symbols(nm, lib, "--undefined-only") if blas_like.search(s))
    checks.check(not imported, f"no BLAS symbol imported: {imported}")
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.*?)\]", run([readelf, "-d", lib]).stdout)
    print("DT_NEEDED:", " ".join(needed))
    # Host BLAS libraries by soname (CLBlast, a device BLAS, is not one).
    host_blas = re.compile(r"^lib(c?blas|openblas|scipy_openblas|blis|mkl|flexiblas|atlas|lapack)")
    linked = [n for n in needed if host_blas.match(n)]
    checks.check(not linked, f"no BLAS library in DT_NEEDED: {linked}")
    checks.finish()


if __name__ == "__main__":
    main()
