#!/usr/bin/env bash
# Configures the build directory (or reconfigures an existing one) and runs
# every test.  Arguments are passed on to `meson test`, e.g.
#   scripts/test.sh --suite integration
# BUILD_DIR chooses the build directory (default: build).
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${BUILD_DIR:-build}
scripts/configure.sh "$build_dir"
meson test -C "$build_dir" --print-errorlogs "$@"
