#!/usr/bin/env bash
# Configures and builds rhip into build/ (the program ends up at build/rhip).
set -euo pipefail
cd "$(dirname "$0")/.."
build_type=${RHIP_BUILD_TYPE:-Release}
if [ ! -f build/build.ninja ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="$build_type"
fi
ninja -C build "$@"
