#!/usr/bin/env bash
# Profiles the server during one bench_ingest phase (ingest, tx or read) on a fresh
# `rhip serve`, in two runs:
#  1. without a profiler: each thread's time split on CPU / waiting for a CPU / blocked
#     (bench/thread_times.py, from /proc schedstat);
#  2. under `perf record` (software cpu-clock event: this VM has no hardware counters,
#     DWARF call graphs): where the CPU time goes, by thread and by function.
#     bench/perf_breakdown.py then sorts the busiest thread's samples by stage;
#  3. under `perf trace -s` (in-kernel, cheap): time per thread in the syscalls that block
#     (futex: idle or waiting on a lock; fdatasync: durable commits; pwrite64), so that the
#     writer thread's off-CPU time is split.
# Output in $RHIP_PROFILE_DIR (default /tmp/rhip-profile).
#   bench/profile.sh PHASE [bench_ingest options, e.g. --max-bundles 60]
# Environment: see bench/server_lib.sh.
set -euo pipefail
source "$(dirname "$0")/server_lib.sh"
phase="${1:?usage: bench/profile.sh ingest|tx|read [bench_ingest options]}"
shift
out="${RHIP_PROFILE_DIR:-/tmp/rhip-profile}"
mkdir -p "$out"

bench_build
bench_prepare
load() {
  "$build/bench_ingest" --server "127.0.0.1:$port" --client "$bench_client" --synthea "$work/synthea" \
    --work-dir "$work/bench" --phases "$phase" --no-baselines "$@"
}
times="$(dirname "$0")/thread_times.py"

echo "### run 1: thread times, no profiler"
bench_start_server
"$times" snapshot "$server_pid" > "$out/before.json"
load "$@"
"$times" snapshot "$server_pid" > "$out/after.json"
"$times" diff "$out/before.json" "$out/after.json" | tee "$out/thread-times.txt"
bench_cleanup_server

echo "### run 2: perf record"
bench_start_server
rm -f "$out/perf.data" "$out/perf.data.old"
perf record -e cpu-clock -F 499 --call-graph dwarf,16384 -p "$server_pid" -o "$out/perf.data" \
  2> "$out/perf-record.log" &
perf_pid=$!
sleep 1
load "$@"
kill -INT "$perf_pid"
wait "$perf_pid" || true
set +o pipefail  # head closes the pipe early by design
report() {
  perf report -i "$out/perf.data" --stdio -g none "$@" 2> /dev/null | grep -v '^#' | grep -v '^$' |
    sed 's/ *$//' | cut -c1-160
}
report --no-children --sort pid | head -12 > "$out/by-thread.txt"
writer_tid="$(head -1 "$out/by-thread.txt" | awk '{print $2}' | cut -d: -f1)"
report --no-children --sort dso,symbol | head -60 > "$out/by-function.txt"
report --children --sort symbol --tid "$writer_tid" | head -100 > "$out/busiest-thread-inclusive.txt"
report --children --sort symbol | head -100 > "$out/inclusive.txt"
echo "== CPU samples by thread";   cat "$out/by-thread.txt"
echo "== by function (self)"; head -40 "$out/by-function.txt"
echo "== busiest thread ($writer_tid), inclusive"; head -70 "$out/busiest-thread-inclusive.txt"
echo "== by stage"
perf script -i "$out/perf.data" -F tid,ip,sym 2> /dev/null |
  "$(dirname "$0")/perf_breakdown.py" | tee "$out/by-stage.txt"
bench_cleanup_server

echo "### run 3: blocking syscalls by thread"
bench_start_server
perf trace -s -e futex,fdatasync,fsync,pwrite64 -p "$server_pid" -o "$out/syscalls.txt" &
trace_pid=$!
sleep 1
load "$@"
kill -INT "$trace_pid"
wait "$trace_pid" || true
# The busiest thread's block comes first only by chance: print the ones with fdatasync.
awk '/^ rhip/ {block = $0; shown = 0; next}
     /fdatasync/ && !shown {print block; shown = 1}
     shown {print}' "$out/syscalls.txt" | head -40
