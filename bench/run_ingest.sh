#!/usr/bin/env bash
# Builds rhip and bench_ingest, starts a fresh `rhip serve` on a temp dir, runs the ingest,
# small-transaction and read-by-id benchmarks against it, and stops it. About 2-3 minutes.
#   bench/run_ingest.sh [bench_ingest options, e.g. --clients 8]
# Environment: RHIP_BUILD_DIR (default build-bench), RHIP_SHARED_DATA (default ../shared/data),
# RHIP_SERVE_ARGS (extra `rhip serve` options, e.g. "--workers 4").
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build="${RHIP_BUILD_DIR:-$root/build-bench}"
data="${RHIP_SHARED_DATA:-$root/../shared/data}"

[[ -f "$build/build.ninja" ]] || cmake -S "$root" -B "$build" -G Ninja > /dev/null
ninja -C "$build" -j2 rhip bench_ingest

work="$(mktemp -d "${TMPDIR:-/tmp}/rhip-bench.XXXXXX")"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2> /dev/null; then
    kill -TERM "$server_pid"
    wait "$server_pid" || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "extracting Synthea bundles ..."
mkdir -p "$work/synthea"
tar -xJf "$data/synthea-r4-dev.tar.xz" -C "$work/synthea"

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
# shellcheck disable=SC2086  # RHIP_SERVE_ARGS is a list of options
"$build/rhip" serve --data "$work/server" --listen "127.0.0.1:$port" ${RHIP_SERVE_ARGS:-} \
  > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$port/healthz" > /dev/null 2>&1 && break
  kill -0 "$server_pid" 2> /dev/null || { cat "$work/server.log"; exit 1; }
  sleep 0.1
done

echo "machine: $(nproc) cores, $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "rhip $(git -C "$root" rev-parse --short HEAD) (+ uncommitted changes: $(git -C "$root" status --porcelain | wc -l) files), server pid $server_pid"
"$build/bench_ingest" --server "127.0.0.1:$port" --synthea "$work/synthea" \
  --work-dir "$work/bench" "$@"
echo "server data dir: $(du -sh "$work/server" | cut -f1)"
