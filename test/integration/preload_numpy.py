"""float32 products through numpy and scipy, for preload.py to run under
LD_PRELOAD=libgemm590.so GEMM590_VERBOSE=1 (by Debian's python3 or a pip
venv's).

Every case writes, to stderr, "case NAME LIB CALLS" before it runs and
"case-ok NAME" or "case-bad NAME ..." after comparing with float64; the
library's verbose lines in between belong to that case.  LIB (numpy or
scipy) tells the driver which BLAS entry point it must see, CALLS how many
SGEMM calls at least.  Exits 1 if any result is wrong.

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


def nan_like(shape, order="C"):
    return np.full(shape, np.nan, dtype=np.float32, order=order)


def log(msg):
    # Flushed at once so it interleaves correctly with the library's
    # unbuffered stderr writes.
    print(msg, file=sys.stderr, flush=True)


def compare(name, got, a, b, alpha, beta, c):
    """got ~ alpha * a @ b + beta * c, with a, b, c the float32 operands as
    the product sees them.  The bound is that of a K-term float32 dot
    product: (K + 2) * eps * (|alpha| |a| @ |b| + |beta| |c|)."""
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    want = alpha * (a64 @ b64)
    scale = abs(alpha) * (np.abs(a64) @ np.abs(b64))
    if c is not None:
        want += beta * c.astype(np.float64)
        scale += abs(beta) * np.abs(c.astype(np.float64))
    bound = (a.shape[-1] + 2) * EPS32 * scale + np.finfo(np.float32).tiny
    if got.shape != want.shape:
        detail = f"shape {got.shape}, want {want.shape}"
    elif got.dtype != np.float32:
        detail = f"dtype {got.dtype}, want float32"
    elif not np.all(np.abs(got - want) <= bound):  # NaN fails here too
        ratio = np.nan_to_num(np.abs(got - want) / bound, nan=np.inf)
        worst = np.unravel_index(np.argmax(ratio), ratio.shape)
        detail = f"at {worst}: got {got[worst]}, want {want[worst]}, bound {bound[worst]:.3g}"
    else:
        log(f"case-ok {name}")
        return
    log(f"case-bad {name} {detail}")
    bad_cases.append(name)


def case(name, lib, product, a, b, alpha=1.0, beta=0.0, c=None, calls=1):
    """Announces the case, runs product() (which must call BLAS `calls`
    times through LIB's entry point) and checks its result."""
    log(f"case {name} {lib} {calls}")
    compare(name, product(), a, b, alpha, beta, c)


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
    if bad_cases:
        print(f"wrong results: {bad_cases}")
        sys.exit(1)


if __name__ == "__main__":
    main()
