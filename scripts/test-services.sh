#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for the storage tests (or stop it with `stop`).
#
#   scripts/test-services.sh        install PostgreSQL if missing (Debian, as root), start a server on
#                                   127.0.0.1:55432 with trust auth and print, as the last line,
#                                   TEST_DATABASE_URL=postgresql+psycopg2://postgres@127.0.0.1:55432/parent_support_test
#   scripts/test-services.sh stop   stop that server and delete its files
#
# The cluster lives in a temporary folder under /tmp and holds test data only (fsync is off).
# Safe to run again: when a server already answers on the port, it only prints the URL.
# Progress and errors go to stderr; stdout carries only the URL line.
set -euo pipefail

HOST=127.0.0.1
PORT=55432
DB=parent_support_test
URL="postgresql+psycopg2://postgres@${HOST}:${PORT}/${DB}"
STATE=/tmp/parent-support-test-pg.dir   # holds the path of the running cluster's folder
LOCK=/tmp/parent-support-test-pg.lock

say() { echo "test-services: $*" >&2; }
die() { echo "test-services: ERROR: $*" >&2; exit 1; }

if command -v flock >/dev/null 2>&1; then
  exec 9>"$LOCK"
  flock -w 120 9 || die "another test-services.sh is still running (lock $LOCK)"
fi

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

# Run a PostgreSQL program as the cluster owner: `postgres` when we are root (PostgreSQL refuses to
# run as root), otherwise the current user.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

port_taken() { (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; }
answers() { [ -n "${BIN:-}" ] && "$BIN/pg_isready" -q -h "$HOST" -p "$PORT" -t 2 >/dev/null 2>&1; }

ensure_database() {
  local found
  found=$("$BIN/psql" -h "$HOST" -p "$PORT" -U postgres -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '$DB'" 2>&1) \
    || die "a server answers on $HOST:$PORT but connecting as postgres without a password failed: $found"
  if [ "$found" != "1" ]; then
    "$BIN/createdb" -h "$HOST" -p "$PORT" -U postgres "$DB" >&2 || die "could not create database $DB"
  fi
}

BIN=$(pg_bin)

if [ "${1:-}" = "stop" ]; then
  dir=$(cat "$STATE" 2>/dev/null || true)
  if [ -z "$dir" ] || [ ! -d "$dir/data" ]; then
    if answers; then
      die "a server answers on $HOST:$PORT but was not started by this script; stop it yourself"
    fi
    say "no test server is running"
    rm -f "$STATE"
    exit 0
  fi
  as_owner "$BIN/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || say "pg_ctl stop failed (already stopped?)"
  rm -rf "$dir" "$STATE"
  say "stopped and removed $dir"
  exit 0
elif [ -n "${1:-}" ]; then
  die "unknown argument '$1' (use no argument to start, or 'stop')"
fi

if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ] || [ ! -x "$BIN/pg_ctl" ]; then
  [ "$(id -u)" -eq 0 ] || die "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb) and installing it needs root: run this as root, or apt-get install postgresql"
  command -v apt-get >/dev/null 2>&1 || die "PostgreSQL is not installed and apt-get is not available: install PostgreSQL yourself"
  say "installing PostgreSQL with apt-get (once)..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null \
    || die "apt-get install postgresql failed"
  BIN=$(pg_bin)
  [ -n "$BIN" ] && [ -x "$BIN/initdb" ] || die "postgresql was installed but no /usr/lib/postgresql/*/bin/initdb was found"
fi

if answers; then
  ensure_database
  say "already running on $HOST:$PORT"
  echo "TEST_DATABASE_URL=$URL"
  exit 0
fi

port_taken && die "port $PORT on $HOST is in use by something that is not a PostgreSQL server: free it, or set TEST_DATABASE_URL"

# A cluster left over from a stopped or crashed server is of no use: start again from nothing.
old=$(cat "$STATE" 2>/dev/null || true)
if [ -n "$old" ] && [ -d "$old" ]; then
  as_owner "$BIN/pg_ctl" -D "$old/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$old"
fi
rm -f "$STATE"

dir=$(mktemp -d /tmp/parent-support-test-pg.XXXXXX)
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || die "user 'postgres' does not exist (is the postgresql package installed correctly?)"
  chown postgres: "$dir"
fi
echo "$dir" > "$STATE"

say "creating a cluster in $dir"
as_owner "$BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync \
  >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }

cat >> "$dir/data/postgresql.conf" <<CONF
# test-services.sh: a throwaway server for tests only
listen_addresses = '$HOST'
port = $PORT
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 50
CONF

# 9>&-: the server must not inherit the lock, or it would hold it for as long as it runs.
if ! as_owner "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null 2>&1 9>&-; then
  tail -n 20 "$dir/server.log" >&2 2>/dev/null || true
  die "the PostgreSQL server did not start (log: $dir/server.log)"
fi
answers || die "the server started but does not answer on $HOST:$PORT (log: $dir/server.log)"
ensure_database
say "started PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') on $HOST:$PORT (folder $dir)"
echo "TEST_DATABASE_URL=$URL"
