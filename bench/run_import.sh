#!/usr/bin/env bash
# Bulk import benchmark: `rhip import` of a generated NDJSON population (Patients + 9
# Observations each, bench/import/generate_ndjson.py) and of the Synthea dev bundles into a
# fresh store per engine, against a same-run baseline: the sqlite3 shell loading the same NDJSON
# lines as rows of one table in one transaction (the cost of just writing the bytes durably).
#   bench/run_import.sh [RESOURCES (default 200000)] [THREADS (default 4)]
# Environment: RHIP_IMPORT_ENGINES (default "sqlite postgres"), RHIP_BIN (a rhip binary to use
# instead of building one), plus those of server_lib.sh.
set -euo pipefail
source "$(dirname "$0")/server_lib.sh"
resources="${1:-200000}"
threads="${2:-4}"
engines="${RHIP_IMPORT_ENGINES:-sqlite postgres}"
if [[ -n "${RHIP_BIN:-}" ]]; then
  rhip_bin="$RHIP_BIN"
else
  [[ -f "$build/build.ninja" ]] || cmake -S "$root" -B "$build" -G Ninja > /dev/null
  ninja -C "$build" -j2 rhip
  rhip_bin="$build/rhip"
fi
bench_prepare
trap 'stop_pg; bench_cleanup' EXIT
python3 "$root/bench/import/generate_ndjson.py" "$work/ndjson" "$resources"

cpu_seconds() { awk '{print $1 + $2}' "$1"; }

# run_import NAME INPUT [--db URI]: one import into a fresh data dir, with its figures.
run_import() {
  local name="$1" input="$2"
  shift 2
  rm -rf "$work/data-$name"
  local t0 t1
  t0=$(date +%s.%N)
  /usr/bin/time -f "%U %S" -o "$work/time" \
    "$rhip_bin" import "$input" --data "$work/data-$name" --threads "$threads" "$@" \
    2> "$work/import.log" || { cat "$work/import.log" >&2; return 1; }
  t1=$(date +%s.%N)
  local n
  n=$(grep -o '[0-9]* resources imported' "$work/import.log" | cut -d' ' -f1)
  printf '%-28s %9d resources %7.1f s %9.0f resources/s  CPU %6.1f s (%4.0f us/resource)  %s\n' \
    "$name" "$n" "$(echo "$t1 - $t0" | bc)" "$(echo "$n / ($t1 - $t0)" | bc -l)" \
    "$(cpu_seconds "$work/time")" "$(echo "$(cpu_seconds "$work/time") * 1000000 / $n" | bc -l)" \
    "$(grep -o '([0-9]* search-index rows built in [0-9.]* s)' "$work/import.log")"
}

echo "machine: $(nproc) cores (shared), rhip $rhip_bin, checkout $(git -C "$root" rev-parse --short HEAD), threads $threads"
echo "uptime: $(uptime)"
# Baseline: the same NDJSON lines as rows of one table, one transaction, WAL, synchronous=FULL.
t0=$(date +%s.%N)
cat "$work"/ndjson/*.ndjson | sqlite3 "$work/raw.db" "PRAGMA journal_mode=WAL;" "PRAGMA synchronous=FULL;" \
  "CREATE TABLE raw (body TEXT);" ".mode ascii" ".separator \\037 \\n" ".import /dev/stdin raw" > /dev/null
t1=$(date +%s.%N)
raw_rows=$(sqlite3 "$work/raw.db" "SELECT COUNT(*) FROM raw")
printf '%-28s %9d rows      %7.1f s %9.0f rows/s\n' "baseline: sqlite3 .import" "$raw_rows" \
  "$(echo "$t1 - $t0" | bc)" "$(echo "$raw_rows / ($t1 - $t0)" | bc -l)"
for engine in $engines; do
  case "$engine" in
    sqlite)
      run_import "sqlite ndjson" "$work/ndjson"
      run_import "sqlite synthea-dev" "$work/synthea/smart-on-fhir-r4/dev"
      ;;
    postgres)
      for input in ndjson synthea; do
        start_pg "$work/pg"
        if [[ $input == ndjson ]]; then
          run_import "postgres ndjson" "$work/ndjson" --db "$pg_uri"
        else
          run_import "postgres synthea-dev" "$work/synthea/smart-on-fhir-r4/dev" --db "$pg_uri"
        fi
        stop_pg
        rm -rf "$work/pg"
      done
      ;;
    *) echo "unknown engine $engine" >&2; exit 2 ;;
  esac
done
echo "uptime: $(uptime)"
