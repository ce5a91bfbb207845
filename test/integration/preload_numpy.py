"""float32 and float64 products through numpy and scipy (gemm and syrk),
and scipy's float64 LAPACK, for preload.py to run under
LD_PRELOAD=libgemm590.so GEMM590_VERBOSE=1 (by Debian's python3 or a pip
venv's).

Every case writes, to stderr, "case NAME LIB CALLS" before it runs and
"case-ok NAME" or "case-bad NAME ..." after comparing with a float64 (for
float64 data: long double) reference; the library's verbose lines in
between belong to that case.  LIB (numpy, scipy, numpy-dgemm, ...) tells the
driver which BLAS entry point it must see, CALLS how many calls at least
(0: none is required, e.g. LAPACK).  Exits 1 if any result is wrong.

Inputs are uniform in [-1, 1) (random signs, never all zero); outputs that
the caller provides are poisoned with NaN so an element the library does
not write shows up.
"""
import sys

import numpy as np
import scipy
import scipy.linalg.blas as blas

EPS32 = float(np.finfo(np.float32).eps)
M, N, K = 37, 29, 53  # odd, distinct: a swapped dimension cannot go unnoticed
rng = np.random.default_rng(590)
bad_cases = []


def rand(*shape):
    return rng.uniform(-1.0, 1.0, size=shape).astype(np.float32)


def rand64(*shape):
    return rng.uniform(-1.0, 1.0, size=shape)


def nan_like(shape, order="C", dtype=np.float32):
    return np.full(shape, np.nan, dtype=dtype, order=order)


def log(msg):
    # Flushed at once so it interleaves correctly with the library's
    # unbuffered stderr writes.
    print(msg, file=sys.stderr, flush=True)


def reference_matmul(x, y):
    """x @ y in long double, element by element of the K sum (numpy's own
    float64 matmul would go through the library under test)."""
    return np.einsum("...ik,...kj->...ij", x.astype(np.longdouble), y.astype(np.longdouble))


def compare(name, got, a, b, alpha, beta, c, triangle=None):
    """got ~ alpha * a @ b + beta * c, with a, b, c the operands as the
    product sees them (float32 or float64).  The bound is that of a K-term
    dot product in their precision: (K + 2) * eps * (|alpha| |a| @ |b| +
    |beta| |c|).  triangle 'U' or 'L': only that triangle of got is the
    product (syrk)."""
    dtype = a.dtype
    want = alpha * reference_matmul(a, b)
    scale = abs(alpha) * reference_matmul(np.abs(a), np.abs(b))
    if c is not None:
        want += beta * c.astype(np.longdouble)
        scale += abs(beta) * np.abs(c.astype(np.longdouble))
    bound = (a.shape[-1] + 2) * float(np.finfo(dtype).eps) * scale + np.finfo(dtype).tiny
    if triangle is not None:
        keep = np.triu if triangle == "U" else np.tril
        got, want, bound = keep(got), keep(want), keep(bound) + np.finfo(dtype).tiny
    if got.shape != want.shape:
        detail = f"shape {got.shape}, want {want.shape}"
    elif got.dtype != dtype:
        detail = f"dtype {got.dtype}, want {dtype}"
    elif not np.all(np.abs(got - want) <= bound):  # NaN fails here too
        ratio = np.nan_to_num(np.abs(got - want) / bound, nan=np.inf)
        worst = np.unravel_index(np.argmax(ratio), ratio.shape)
        detail = f"at {worst}: got {got[worst]}, want {want[worst]}, bound {bound[worst]:.3g}"
    else:
        log(f"case-ok {name}")
        return
    log(f"case-bad {name} {detail}")
    bad_cases.append(name)


def case(name, lib, product, a, b, alpha=1.0, beta=0.0, c=None, calls=1, triangle=None):
    """Announces the case, runs product() (which must call BLAS `calls`
    times through LIB's entry point) and checks its result."""
    log(f"case {name} {lib} {calls}")
    compare(name, product(), a, b, alpha, beta, c, triangle)


def float64_cases():
    """dgemm and syrk through numpy and scipy, and LAPACK on top of them."""
    a, b = rand64(M, K), rand64(K, N)
    case("matmul-f64", "numpy-dgemm", lambda: a @ b, a, b)
    # numpy computes a @ a.T (the same buffer, transposed) with syrk.
    a32 = rand(M, K)
    case("syrk-f32", "numpy-ssyrk", lambda: a32 @ a32.T, a32, a32.T)
    case("syrk-f64", "numpy-dsyrk", lambda: a @ a.T, a, a.T)
    case("dgemm", "scipy-dgemm", lambda: blas.dgemm(0.75, a, b), a, b, alpha=0.75)
    case("dsyrk-upper", "scipy-dsyrk", lambda: blas.dsyrk(1.5, a), a, a.T, alpha=1.5,
         triangle="U")
    case("ssyrk-lower-trans", "scipy-ssyrk", lambda: blas.ssyrk(1.0, a32, trans=1, lower=1),
         a32.T, a32, triangle="L")
    # float64 LAPACK calls dgemm/dsyrk (under Debian through the preloaded
    # symbols): its results must stay right.  Residuals, not bit patterns.
    import scipy.linalg as la
    n = 96
    spd = rand64(n, n)
    spd = spd @ spd.T + n * np.eye(n)
    x = rand64(n, 3)
    checks = {
        "lapack-solve": lambda: np.max(np.abs(spd @ la.solve(spd, x) - x)),
        "lapack-cholesky": lambda: np.max(np.abs((lambda r: r.T @ r)(la.cholesky(spd)) - spd)),
        "lapack-qr": lambda: np.max(np.abs((lambda q, r: q @ r)(*la.qr(spd)) - spd)),
        "lapack-svd": lambda: np.max(np.abs((lambda u, s, vt: (u * s) @ vt)(*la.svd(spd)) - spd)),
    }
    for name, residual in checks.items():
        log(f"case {name} lapack 0")
        r = residual()
        if r <= 1e-9 * n * n:
            log(f"case-ok {name}")
        else:
            log(f"case-bad {name} residual {r:.3g}")
            bad_cases.append(name)


def numpy_cases():
    a, b = rand(M, K), rand(K, N)
    case("matmul", "numpy", lambda: a @ b, a, b)
    case("matmul-out-nan", "numpy", lambda: np.matmul(a, b, out=nan_like((M, N))), a, b)
    case("dot", "numpy", lambda: np.dot(a, b), a, b)

    # .T of a C-ordered array is a Fortran-ordered view: numpy passes it to
    # BLAS as a transpose, without a copy.  (a.T @ a would be SYRK.)
    at, bt = rand(K, M).T, rand(N, K).T
    case("transposed-a", "numpy", lambda: at @ b, at, b)
    case("transposed-b", "numpy", lambda: a @ bt, a, bt)
    case("transposed-both", "numpy", lambda: at @ bt, at, bt)

    af, bf = np.asfortranarray(a), np.asfortranarray(b)
    case("fortran-order", "numpy", lambda: af @ bf, af, bf)

    batch = 4
    a3, b3 = rand(batch, M, K), rand(batch, K, N)
    case("batched-3d", "numpy", lambda: a3 @ b3, a3, b3, calls=batch)


def scipy_cases():
    # scipy's sgemm takes op(A), op(B) through trans_a/trans_b: A is stored
    # K x M when trans_a is set, and so on.
    a, b = rand(M, K), rand(K, N)
    at_stored, bt_stored = rand(K, M), rand(N, K)
    c = np.asfortranarray(rand(M, N))

    case("sgemm", "scipy", lambda: blas.sgemm(0.75, a, b), a, b, alpha=0.75)
    case("sgemm-trans-a", "scipy", lambda: blas.sgemm(1.0, at_stored, b, trans_a=True),
         at_stored.T, b)
    case("sgemm-trans-b", "scipy", lambda: blas.sgemm(1.0, a, bt_stored, trans_b=True),
         a, bt_stored.T)
    case("sgemm-trans-both-beta", "scipy",
         lambda: blas.sgemm(-0.5, at_stored, bt_stored, beta=1.5, c=c, trans_a=True,
                            trans_b=True),
         at_stored.T, bt_stored.T, alpha=-0.5, beta=1.5, c=c)
    # beta = 0: the reference never reads C, so NaN there must not leak out.
    case("sgemm-beta0-nan-c", "scipy",
         lambda: blas.sgemm(1.0, a, b, beta=0.0, c=nan_like((M, N), order="F")), a, b)


def main():
    print(f"python {sys.version.split()[0]}, numpy {np.__version__} from {np.__file__}, "
          f"scipy {scipy.__version__} from {scipy.__file__}")
    numpy_cases()
    scipy_cases()
    float64_cases()
    if bad_cases:
        print(f"wrong results: {bad_cases}")
        sys.exit(1)


if __name__ == "__main__":
    main()
