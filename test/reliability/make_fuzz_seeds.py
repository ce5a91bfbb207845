"""Writes the committed seed corpus of fuzz_args.c into a directory.

usage: python3 make_fuzz_seeds.py test/reliability/fuzz_seeds

Each seed is one call, encoded the way LLVMFuzzerTestOneInput decodes its
input (entry, transposes or layout, M, N, K, lda, ldb, ldc, alpha, beta,
pointer flags, data seed); run this again after changing that decoding.
The seeds give libFuzzer valid calls to mutate from, every parameter
number, and the huge sizes whose 32-bit products overflow.
"""
import os
import struct
import sys

# Must match take_size() and take_scalar() in fuzz_args.c.
EDGES = [0, -1, -2**31, 2**31 - 1, 2**31 - 2, 46341, 65536, 1 << 20, -(1 << 30), 1 << 30]
WIDE_EDGES = [1 << 31, (1 << 32) + 3, 1 << 40, 2**63 - 1, -2**63, 1 << 62, -(1 << 32)]
SCALARS = [0.0, 1.0, -1.0, 0.5, 2.0, -0.75]
ENTRIES = ["cblas_sgemm", "cblas_sgemm64_", "scipy_cblas_sgemm", "scipy_cblas_sgemm64_",
           "sgemm_", "sgemm_64_", "scipy_sgemm_", "scipy_sgemm_64_"]
MIN = "min"  # a leading dimension given as the operand's minimum plus a slack


def size(v, wide):
    if 0 <= v < 40:
        return bytes([0, v])
    if v in EDGES:
        return bytes([200, EDGES.index(v)])
    if wide and v in WIDE_EDGES:
        return bytes([232, WIDE_EDGES.index(v)])
    return bytes([255]) + (struct.pack("<q", v) if wide else struct.pack("<i", v))


def ld(v, wide):
    """(MIN, slack) with slack in -1..14, or any size."""
    if isinstance(v, tuple):
        return bytes([0, v[1] + 1])
    return bytes([220]) + size(v, wide)


def scalar(x):
    if x == "nan":
        return bytes([205])
    if x == "inf":
        return bytes([211])
    return bytes([SCALARS.index(x)])


def call(out, name, entry, layout="C", ta="N", tb="N", m=0, n=0, k=0, lda=(MIN, 0),
         ldb=(MIN, 0), ldc=(MIN, 0), alpha=1.0, beta=0.0, flags=0, seed=1):
    """Writes one seed.  layout 'C', 'R' or a raw int; CBLAS transposes
    'N', 'T', 'C' or a raw int; Fortran ones any character.  flags: bits
    0-2 pass A, B, C as NULL (not a zero-byte allocation) when untouched,
    bit 3 gives an invalid call a real C."""
    wide = "64" in entry
    data = bytes([ENTRIES.index(entry)])
    if "cblas" not in entry:
        for t in (ta, tb):
            data += bytes(["NnTtCc".index(t)]) if t in "NnTtCc" else bytes([250, ord(t)])
    else:
        data += (bytes([0]) if layout == "C" else bytes([120]) if layout == "R" else
                 bytes([250]) + struct.pack("<i", layout))
        for t in (ta, tb):
            data += (bytes(["NTC".index(t)]) if isinstance(t, str) else
                     bytes([250]) + struct.pack("<i", t))
    data += size(m, wide) + size(n, wide) + size(k, wide)
    data += ld(lda, wide) + ld(ldb, wide) + ld(ldc, wide)
    data += scalar(alpha) + scalar(beta) + bytes([flags]) + struct.pack("<Q", seed)
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    # Valid calls for libFuzzer to mutate from.
    call(out, "valid-cblas-col-NN", "cblas_sgemm", m=5, n=7, k=3, lda=(MIN, 2), ldb=(MIN, 1),
         ldc=(MIN, 3), beta=0.5)
    call(out, "valid-cblas-row-TC", "cblas_sgemm", layout="R", ta="T", tb="C", m=9, n=4, k=6,
         alpha=-0.75, beta=1.0)
    call(out, "valid-sgemm-TN-beta0", "sgemm_", ta="t", tb="n", m=17, n=3, k=25, ldc=(MIN, 4))
    call(out, "valid-null-zero-sizes", "cblas_sgemm", flags=7)
    call(out, "valid-alpha0-null-ab", "sgemm_64_", m=6, n=5, k=4, alpha=0.0, beta=2.0, flags=3)
    # Element offsets past 2^31 and 2^32 (sparse mappings in fuzz_args.c).
    call(out, "huge-lda-32bit-product", "sgemm_", ta="T", m=3, n=2, k=3, lda=2**31 - 1,
         beta=0.5)
    call(out, "huge-ldc-32bit-product", "cblas_sgemm", m=2, n=3, k=2, ldc=2**31 - 2, beta=1.0)
    call(out, "huge-ldb-row-major", "cblas_sgemm", layout="R", m=2, n=3, k=3, ldb=2**31 - 1,
         alpha=2.0)
    call(out, "huge-lda-2p32-sgemm64", "sgemm_64_", m=2, n=2, k=3, lda=(1 << 32) + 3, beta=0.5)
    call(out, "huge-ldc-2p31-cblas64", "cblas_sgemm64_", layout="R", m=3, n=2, k=2, ldc=1 << 31)
    # Sizes whose 32-bit products overflow: quick returns and rejections.
    call(out, "huge-mn-quick-return", "cblas_sgemm", m=46341, n=46341, beta=1.0, flags=7)
    call(out, "huge-mn-ldc-short", "cblas_sgemm", layout="R", m=46341, n=46341, k=5, ldc=46340,
         flags=8)
    call(out, "huge-m-2p32-lda-short", "cblas_sgemm64_", m=(1 << 32) + 3, n=2, k=2, lda=1 << 31,
         flags=8)
    call(out, "huge-k-alpha0-beta1", "sgemm_64_", m=1 << 40, n=1 << 40, k=1 << 62, alpha=0.0,
         beta=1.0, lda=1 << 62, ldb=1 << 62, ldc=2**63 - 1)
    call(out, "huge-k-alpha0-scales-c", "cblas_sgemm64_", m=3, n=2, k=2**63 - 1, ldb=2**63 - 1,
         alpha=0.0, beta=0.5, flags=3)
    call(out, "int64-min-m", "sgemm_64_", m=-2**63, n=3, k=3, flags=8)
    call(out, "negative-k-32", "scipy_sgemm_", m=3, n=3, k=-2**31)
    call(out, "int-max-all", "scipy_cblas_sgemm", m=2**31 - 1, n=2**31 - 1, k=2**31 - 1,
         lda=2**31 - 1, ldb=2**31 - 1, ldc=2**31 - 1, beta=1.0)
    # Every parameter number.
    call(out, "bad-layout", "cblas_sgemm", layout=0, m=3, n=3, k=3, flags=8)
    call(out, "bad-transa-cblas", "scipy_cblas_sgemm64_", ta=114, m=3, n=3, k=3)
    call(out, "bad-transb-row", "cblas_sgemm", layout="R", tb=0, m=3, n=3, k=3, flags=8)
    call(out, "bad-transa-fortran", "sgemm_", ta="x", m=3, n=3, k=3)
    call(out, "bad-transb-fortran", "scipy_sgemm_64_", tb="\0", m=3, n=3, k=3)
    call(out, "bad-lda-row", "cblas_sgemm", layout="R", m=4, n=3, k=5, lda=(MIN, -1), flags=8)
    call(out, "bad-ldb-col", "cblas_sgemm", m=4, n=3, k=5, ldb=(MIN, -1))
    call(out, "bad-ldc-fortran", "sgemm_", m=4, n=3, k=5, ldc=(MIN, -1), flags=8)
    # NaN and Inf scalars: computed, footprints checked.
    call(out, "nan-alpha", "cblas_sgemm", m=3, n=4, k=5, alpha="nan")
    call(out, "inf-beta", "sgemm_", m=3, n=4, k=5, beta="inf")


if __name__ == "__main__":
    main()
