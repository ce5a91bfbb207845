"""Builds programs against an installed libgemm590, the way users will.

    consumers.py MODE --meson M --build-root B --pkg-config P --cc "CC" [--cxx "CXX"]

Each run installs the build with `meson install --destdir` into a scratch
directory, then, by MODE:

  pkg-config   `cc prog.c $(pkg-config --cflags --libs gemm590)` for
               consumer_with_cblas.c, once per include order of <cblas.h>
               and <gemm590.h>.
  meson        configures meson_consumer/ (dependency('gemm590') through
               pkg-config), builds and runs it.
  header-only  consumer_header_only.c with -I/-L of the install and no
               BLAS flags at all, as C11 and as C++.

Consumers run with LD_LIBRARY_PATH at the installed libdir, and report
which file defines cblas_sgemm: it must be the installed library.
"""
import argparse
import glob
import os
import re
import shlex
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from harness import Checks, env_with, run, skip  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


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


def check_consumer_output(checks, installed, label, proc):
    """Checks one run of consumer_with_cblas: its own verdict, and that it
    used the installed library of the installed version."""
    print(proc.stdout)
    checks.check(proc.returncode == 0,
                 f"{label}: program's own checks pass (exit {proc.returncode})")
    m = re.search(r"^sgemm from (.*)$", proc.stdout, re.M)
    libdir = os.path.realpath(installed.libdir)
    checks.check(m is not None and os.path.realpath(m.group(1)).startswith(libdir + os.sep),
                 f"{label}: cblas_sgemm came from the installed {libdir}")
    checks.check(f"version {installed.version}\n" in proc.stdout,
                 f"{label}: gemm590_version() is the installed .pc's {installed.version}")


def with_pkg_config(checks, installed, args, work):
    flags = shlex.split(installed.query("--cflags", "--libs"))
    for define, label in ((None, "<cblas.h> first"), ("-DGEMM590_H_FIRST", "<gemm590.h> first")):
        exe = os.path.join(work, "consumer")
        run(shlex.split(args.cc) + ["-std=c11", "-Wall", "-Wextra", "-Werror"]
            + ([define] if define else [])
            + [os.path.join(HERE, "consumer_with_cblas.c"), "-o", exe] + flags)
        check_consumer_output(checks, installed, label, run([exe], env=installed.run_env(),
                                                            must_succeed=False))


def with_meson(checks, installed, args, work):
    # The relocating pkg-config command goes in a native file: Meson has no
    # other way to pass --define-variable to its pkg-config lookups.
    native = os.path.join(work, "native.ini")
    with open(native, "w") as f:
        f.write("[binaries]\npkgconfig = [%s]\n" % ", ".join(repr(a) for a in installed.pkg_config))
        f.write("[built-in options]\npkg_config_path = [%r]\n" % installed.pc_dir)
    build = os.path.join(work, "build")
    setup = run([args.meson, "setup", "--native-file", native, build,
                 os.path.join(HERE, "meson_consumer")])
    found = rf"Run-time dependency gemm590 found: YES {re.escape(installed.version)}"
    checks.check(re.search(found, setup.stdout) is not None,
                 "meson found dependency('gemm590') through pkg-config")
    run([args.meson, "compile", "-C", build])
    check_consumer_output(checks, installed, "meson consumer",
                          run([os.path.join(build, "consumer")], env=installed.run_env(),
                              must_succeed=False))


def header_only(checks, installed, args, work):
    source = os.path.join(HERE, "consumer_header_only.c")
    link = [f"-I{installed.includedir}", f"-L{installed.libdir}", "-lgemm590"]
    builds = [("C11", "header_only_c", shlex.split(args.cc) + ["-std=c11"])]
    if args.cxx:
        builds.append(("C++", "header_only_cxx",
                       shlex.split(args.cxx) + ["-x", "c++", "-std=c++11"]))
    else:
        print("no C++ compiler configured: the C++ build of the header is not checked")
    for label, name, compiler in builds:
        exe = os.path.join(work, name)
        run(compiler + ["-Wall", "-Wextra", "-Wpedantic", "-Werror", source, "-o", exe] + link)
        proc = run([exe], env=installed.run_env(), must_succeed=False)
        print(proc.stdout)
        checks.check(proc.returncode == 0,
                     f"{label}: program's own checks pass (exit {proc.returncode})")


MODES = {"pkg-config": with_pkg_config, "meson": with_meson, "header-only": header_only}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=MODES)
    parser.add_argument("--meson", required=True)
    parser.add_argument("--build-root", required=True)
    parser.add_argument("--pkg-config", required=True)
    parser.add_argument("--cc", required=True)
    parser.add_argument("--cxx")
    args = parser.parse_args()
    if shutil.which(args.pkg_config) is None:
        skip(f"pkg-config ({args.pkg_config}) not found")

    checks = Checks()
    with tempfile.TemporaryDirectory(prefix=f"gemm590-consumer-{args.mode}-") as work:
        installed = Installed(args.meson, args.build_root, args.pkg_config,
                              os.path.join(work, "destdir"))
        MODES[args.mode](checks, installed, args, work)
    checks.finish()


if __name__ == "__main__":
    main()
