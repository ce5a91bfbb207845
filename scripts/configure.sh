#!/usr/bin/env bash
# Configures the build directory $1 (default: build), or reconfigures it
# when it already exists so that changed options and build files apply.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${1:-build}
if [ -f "$build_dir/meson-private/coredata.dat" ]; then
  meson setup --reconfigure "$build_dir"
else
  meson setup "$build_dir"
fi
