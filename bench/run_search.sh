#!/usr/bin/env bash
# Builds rhip and bench_search, starts a fresh `rhip serve` on SQLite and one on a throwaway
# PostgreSQL 15 cluster (initdb/pg_ctl as the postgres user, as src/db/testing does), loads the
# synthetic population into each and runs the search query shapes; stops and deletes everything.
#   bench/run_search.sh [bench_search options, e.g. --patients 10000 --iterations 200]
# Environment: RHIP_SEARCH_ENGINES (default "sqlite postgres"), RHIP_PG_BIN (default
# /usr/lib/postgresql/15/bin), RHIP_PG_SHARED_BUFFERS (default 1GB), RHIP_KEEP=1 to keep the
# servers and data (prints how to reach them and waits for Enter), RHIP_BIN=path of a rhip
# binary to use instead of building one (e.g. one built from a clean `git archive HEAD` while
# others have uncommitted edits in the checkout); see bench/server_lib.sh.
set -euo pipefail
source "$(dirname "$0")/server_lib.sh"
engines="${RHIP_SEARCH_ENGINES:-sqlite postgres}"

if [[ -n "${RHIP_BIN:-}" ]]; then
  ninja -C "$build" -j2 bench_search
  rhip_bin="$RHIP_BIN"
else
  ninja -C "$build" -j2 rhip bench_search
  rhip_bin="$build/rhip"
fi
work="$(mktemp -d "${TMPDIR:-/tmp}/rhip-search.XXXXXX")"
chmod 711 "$work"  # the postgres user must reach its cluster below it
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2> /dev/null && wait "$pid" 2> /dev/null || true; done
  stop_pg
  rm -rf "$work"
}
trap cleanup EXIT


# start_rhip NAME [serve options]: a server on a free port; sets rhip_port.
start_rhip() {
  local name="$1"
  shift
  rhip_port="$(free_port)"
  RHIP_BOOTSTRAP_CLIENT="$bench_client" "$rhip_bin" serve --listen "127.0.0.1:$rhip_port" "$@" > "$work/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 300); do
    curl -fsS "http://127.0.0.1:$rhip_port/healthz" > /dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "rhip serve ($name) did not become ready:" >&2
  cat "$work/$name.log" >&2
  return 1
}

targets=()
for engine in $engines; do
  case "$engine" in
    sqlite)
      start_rhip sqlite --data "$work/sqlite"
      targets+=(--target "sqlite,127.0.0.1:$rhip_port,$work/sqlite")
      ;;
    postgres)
      start_pg "$work/pg"
      uri="$pg_uri"
      mkdir -p "$work/pg-rhip"
      start_rhip postgres --data "$work/pg-rhip" --db "$uri"
      targets+=(--target "postgres,127.0.0.1:$rhip_port,$uri")
      ;;
    *) echo "unknown engine $engine" >&2; exit 2 ;;
  esac
done

echo "machine: $(nproc) cores (shared with other users), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), kernel $(uname -r)"
echo "rhip $rhip_bin; checkout $(git -C "$root" rev-parse --short HEAD) (uncommitted files: $(git -C "$root" status --porcelain | wc -l)); uptime: $(uptime)"
"$build/bench_search" "${targets[@]}" --client "$bench_client" "$@"
echo "uptime: $(uptime)"
du -sh "$work"/sqlite "$work"/pg/data 2> /dev/null || true
if [[ "${RHIP_KEEP:-}" == 1 ]]; then
  echo "servers: ${targets[*]}; press Enter to stop them"
  read -r
fi
