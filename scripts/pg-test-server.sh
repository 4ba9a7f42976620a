#!/usr/bin/env bash
# Starts or stops a throwaway PostgreSQL server for tests:
#
#   scripts/pg-test-server.sh start DIR PORT   initdb into DIR/data (removing an old DIR),
#                                              start it on 127.0.0.1:PORT with trust auth
#   scripts/pg-test-server.sh stop DIR PORT    stop it (if running) and remove DIR
#
# Clients connect to postgresql://postgres@127.0.0.1:PORT/postgres. The Unix socket lives in
# /tmp/cairn-pg-PORT. Run as root, the server runs as user postgres (runuser); run as another
# user, it runs as that user. PostgreSQL's binaries are taken from PG_BIN, else
# /usr/lib/postgresql/15/bin, else the newest /usr/lib/postgresql/*/bin, else the PATH.
set -euo pipefail

usage() {
  echo "usage: $0 start|stop DIR PORT" >&2
  exit 2
}
[[ $# -eq 3 ]] || usage
action=$1
dir=$2
port=$3
[[ "$port" =~ ^[0-9]+$ ]] || usage
socket_dir=/tmp/cairn-pg-$port

bin=${PG_BIN:-}
if [[ -z "$bin" ]]; then
  if [[ -x /usr/lib/postgresql/15/bin/pg_ctl ]]; then
    bin=/usr/lib/postgresql/15/bin
  else
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  fi
fi
pg() {
  local tool=$1
  shift
  local exe=$tool
  [[ -n "$bin" ]] && exe=$bin/$tool
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$exe" "$@"
  else
    "$exe" "$@"
  fi
}
owner() {
  if [[ $(id -u) -eq 0 ]]; then chown -R postgres:postgres "$@"; fi
}

stop() {
  if [[ -f "$dir/data/postmaster.pid" ]]; then
    pg pg_ctl -D "$dir/data" -m immediate -w -t 30 stop >/dev/null || true
  fi
  rm -rf "$dir" "$socket_dir"
}

case "$action" in
  start)
    stop
    mkdir -p "$dir" "$socket_dir"
    owner "$dir" "$socket_dir"
    if ! pg initdb -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync \
      >"$dir/initdb.log" 2>&1; then
      cat "$dir/initdb.log" >&2
      echo "pg-test-server: initdb failed" >&2
      exit 1
    fi
    if ! pg pg_ctl -D "$dir/data" -l "$dir/server.log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $socket_dir -c fsync=off -c max_connections=50" \
      start >/dev/null; then
      cat "$dir/server.log" >&2 || true
      echo "pg-test-server: the server did not start on 127.0.0.1:$port (port in use?)" >&2
      stop
      exit 1
    fi
    echo "pg-test-server: postgresql://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    stop
    ;;
  *)
    usage
    ;;
esac
