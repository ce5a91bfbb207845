"""Helpers shared by the integration-test drivers (standard library only).

Every driver prints what it runs and what it checked, so that
`meson test --print-errorlogs` shows enough to debug a failure without
re-running it by hand.  Exit codes follow Meson: 0 pass, 1 fail, 77 skip.
"""
import glob
import os
import shlex
import subprocess
import sys

SKIP = 77


def skip(reason):
    """Ends the test as skipped: only for a prerequisite that is truly absent."""
    print(f"SKIP: {reason}")
    sys.exit(SKIP)


class Checks:
    """Collects failed checks so one run reports all of them, not the first."""

    def __init__(self):
        self.failures = []

    def check(self, ok, what):
        print(f"{'ok  ' if ok else 'FAIL'} {what}")
        if not ok:
            self.failures.append(what)

    def finish(self):
        if self.failures:
            print(f"\n{len(self.failures)} check(s) failed:")
            for f in self.failures:
                print(f"  - {f}")
            sys.exit(1)
        print("\nall checks passed")
        sys.exit(0)


def run(cmd, *, env=None, cwd=None, stdin=None, must_succeed=True):
    """Runs cmd (a list), capturing text output; prints the command and, on
    failure, its output.  A command that must succeed and does not ends the
    test with a failure."""
    shown = " ".join(shlex.quote(str(c)) for c in cmd)
    print(f"$ {shown}" + (f"   (in {cwd})" if cwd else ""), flush=True)
    proc = subprocess.run([str(c) for c in cmd], env=env, cwd=cwd, stdin=stdin,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0 and must_succeed:
        print(f"command failed with exit code {proc.returncode}")
        print("--- stdout ---\n" + proc.stdout[-6000:])
        print("--- stderr ---\n" + proc.stderr[-6000:])
        sys.exit(1)
    return proc


def library_errors(stderr_lines):
    """libgemm590's own error lines ("gemm590: error: ..."), such as a host
    BLAS that could not be loaded: the call then still succeeds, on the slow
    built-in loop, so only the log tells."""
    return [line for line in stderr_lines if line.startswith("gemm590: error")]


def env_with(**changes):
    """A copy of this process's environment with `changes` applied."""
    env = dict(os.environ)
    env.update({k: str(v) for k, v in changes.items()})
    return env


class Installed:
    """libgemm590 installed by `meson install --destdir` into a scratch
    directory, and the pkg-config command that sees it where it lies.

    The installed gemm590.pc says prefix=/usr/local (say), which is not where
    the files are.  `--define-variable=prefix=DESTDIR/usr/local` relocates
    gemm590.pc alone; PKG_CONFIG_SYSROOT_DIR would also prefix the paths of
    openblas.pc (pulled in by Requires:) and break them, and
    `--define-prefix` guesses the prefix wrong under a multiarch libdir
    (lib/x86_64-linux-gnu)."""

    def __init__(self, meson, build_root, pkg_config, destdir):
        self.destdir = os.path.abspath(destdir)
        run([meson, "install", "-C", build_root, "--no-rebuild", "--quiet",
             "--destdir", self.destdir])
        found = glob.glob(os.path.join(self.destdir, "**", "pkgconfig", "gemm590.pc"),
                          recursive=True)
        if len(found) != 1:
            print(f"FAIL expected one installed gemm590.pc under {self.destdir}, found {found}")
            sys.exit(1)
        self.pc_dir = os.path.dirname(found[0])
        # Our .pc first; the system directories stay on the default path
        # because Requires: openblas must still resolve.
        self.pc_env = env_with(PKG_CONFIG_PATH=self.pc_dir)
        prefix = run([pkg_config, "--variable=prefix", "gemm590"], env=self.pc_env).stdout.strip()
        self.prefix = self.destdir + prefix
        self.pkg_config = [pkg_config, f"--define-variable=prefix={self.prefix}"]
        self.libdir = self.query("--variable=libdir")
        self.includedir = self.query("--variable=includedir")
        self.version = self.query("--modversion")

    def query(self, *args):
        """Runs the relocating pkg-config on gemm590 and returns its output."""
        return run(self.pkg_config + list(args) + ["gemm590"], env=self.pc_env).stdout.strip()

    def run_env(self):
        """Environment for running a consumer: the installed library first,
        and no LD_PRELOAD inherited that could hide which library is used."""
        env = env_with(LD_LIBRARY_PATH=self.libdir)
        env.pop("LD_PRELOAD", None)
        return env
