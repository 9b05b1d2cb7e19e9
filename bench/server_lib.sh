# Shared by bench/*.sh (source it): build, Synthea extraction, a fresh `rhip serve`.
# Sets root, build, data, work, port, server_pid; removes work and stops the server on exit.
# The server is started with RHIP_BOOTSTRAP_CLIENT=$bench_client; pass `--client "$bench_client"`
# to bench_ingest / bench_search, or use bench_token for curl.
# Environment: RHIP_BUILD_DIR (default build-bench), RHIP_SHARED_DATA (default
# ../shared/data), RHIP_SERVE_ARGS (extra `rhip serve` options, e.g. "--workers 4").

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${RHIP_BUILD_DIR:-$root/build-bench}"
data="${RHIP_SHARED_DATA:-$root/../shared/data}"
work=""
server_pid=""
# The full-access system client every bench server is started with (/fhir needs a token).
bench_client="bench:bench-secret"

# bench_token PORT: a bearer token for $bench_client from the server on PORT.
bench_token() {
  curl -fsS "http://127.0.0.1:$1/auth/token" \
    -d "grant_type=client_credentials&client_id=${bench_client%%:*}&client_secret=${bench_client#*:}" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}

bench_build() {
  [[ -f "$build/build.ninja" ]] || cmake -S "$root" -B "$build" -G Ninja > /dev/null
  ninja -C "$build" -j2 rhip bench_ingest
}

# Stops the server (SIGTERM, then waits) and removes its data dir.
bench_cleanup_server() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2> /dev/null; then
    kill -TERM "$server_pid"
    wait "$server_pid" || true
  fi
  server_pid=""
  [[ -z "$work" ]] || rm -rf "$work/server" "$work/bench"
}

bench_cleanup() {
  bench_cleanup_server
  [[ -z "$work" ]] || rm -rf "$work"
}

# Makes $work and extracts the Synthea bundles into $work/synthea.
bench_prepare() {
  work="$(mktemp -d "${TMPDIR:-/tmp}/rhip-bench.XXXXXX")"
  trap bench_cleanup EXIT
  echo "extracting Synthea bundles ..."
  mkdir -p "$work/synthea"
  tar -xJf "$data/synthea-r4-dev.tar.xz" -C "$work/synthea"
}

# Prints a TCP port that is free on 127.0.0.1 now.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Runs a command as the postgres user when run as root (initdb refuses root), else as is.
as_pg() { if [[ $EUID -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# Starts `rhip serve` on a free port with data in $work/server; waits for /healthz.
bench_start_server() {
  port="$(free_port)"
  # shellcheck disable=SC2086  # RHIP_SERVE_ARGS is a list of options
  RHIP_BOOTSTRAP_CLIENT="$bench_client" "$build/rhip" serve --data "$work/server" --listen "127.0.0.1:$port" ${RHIP_SERVE_ARGS:-} \
    > "$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do
    curl -fsS "http://127.0.0.1:$port/healthz" > /dev/null 2>&1 && return 0
    kill -0 "$server_pid" 2> /dev/null || break
    sleep 0.1
  done
  echo "rhip serve did not become ready:" >&2
  cat "$work/server.log" >&2
  return 1
}

# start_pg DIR: a throwaway PostgreSQL 15 cluster in DIR (initdb/pg_ctl as the postgres user
# when run as root), fsync on; sets pg_uri and pg_data. Stop it with stop_pg.
# Environment: RHIP_PG_BIN (default /usr/lib/postgresql/15/bin), RHIP_PG_SHARED_BUFFERS (1GB).
pg_data=""
start_pg() {
  local dir="$1" pg_bin="${RHIP_PG_BIN:-/usr/lib/postgresql/15/bin}" port
  mkdir -p "$dir"
  [[ $EUID -ne 0 ]] || chown postgres: "$dir"
  chmod 711 "$(dirname "$dir")"
  pg_data="$dir/data"
  port="$(free_port)"
  as_pg "$pg_bin/initdb" -D "$pg_data" -A trust -U postgres -E UTF8 --no-locale --no-sync \
    --no-instructions > "$dir/initdb.log"
  as_pg "$pg_bin/pg_ctl" -D "$pg_data" -l "$dir/server.log" -w -t 30 -o \
    "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='$dir' -c fsync=on -c shared_buffers=${RHIP_PG_SHARED_BUFFERS:-1GB}" \
    start > /dev/null
  as_pg "$pg_bin/createdb" -h 127.0.0.1 -p "$port" -U postgres rhip
  pg_uri="postgresql://postgres@127.0.0.1:$port/rhip"
}

stop_pg() {
  local pg_bin="${RHIP_PG_BIN:-/usr/lib/postgresql/15/bin}"
  [[ -z "$pg_data" ]] || as_pg "$pg_bin/pg_ctl" -D "$pg_data" -m fast -w stop > /dev/null 2>&1 || true
  pg_data=""
}
