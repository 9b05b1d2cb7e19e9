#!/usr/bin/env bash
# Builds rhip and bench_ingest, starts a fresh `rhip serve` on a temp dir, runs the ingest,
# small-transaction and read-by-id benchmarks against it, and stops it. About 1-2 minutes.
#   bench/run_ingest.sh [bench_ingest options, e.g. --clients 8 --tx-clients 32]
# Environment: see bench/server_lib.sh.
set -euo pipefail
source "$(dirname "$0")/server_lib.sh"

bench_build
bench_prepare
bench_start_server
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), kernel $(uname -r)"
echo "rhip $(git -C "$root" rev-parse --short HEAD) (uncommitted files in the checkout: $(git -C "$root" status --porcelain | wc -l))"
"$build/bench_ingest" --server "127.0.0.1:$port" --client "$bench_client" --synthea "$work/synthea" \
  --work-dir "$work/bench" "$@"
echo "server data dir: $(du -sh "$work/server" | cut -f1)"
