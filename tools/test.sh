#!/usr/bin/env bash
# Builds rhip and runs every test: unit, storage conformance on SQLite and PostgreSQL,
# and integration tests against the real build/rhip.
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/build.sh
ctest --test-dir build --output-on-failure -j "$(nproc)" --timeout 900
