#!/usr/bin/env bash
# Start a throwaway Redis server for the replica tests and benchmark (or stop it with `stop`).
#
#   scripts/test-redis.sh        install Redis if missing (Debian's redis-server, as root), start a server on
#                                127.0.0.1:56379 that keeps nothing on disk, and print, as the last line,
#                                TEST_REDIS_URL=redis://127.0.0.1:56379
#   scripts/test-redis.sh stop   stop that server and delete its folder
#
# Safe to run again: when a server already answers on the port, it only prints the URL.
# Progress and errors go to stderr; stdout carries only the URL line.
set -euo pipefail

HOST=127.0.0.1
PORT=56379
URL="redis://${HOST}:${PORT}"
STATE=/tmp/parent-support-test-redis.dir
LOCK=/tmp/parent-support-test-redis.lock

say() { echo "test-redis: $*" >&2; }
die() { echo "test-redis: ERROR: $*" >&2; exit 1; }

if command -v flock >/dev/null 2>&1; then
  exec 9>"$LOCK"
  flock -w 120 9 || die "another test-redis.sh is still running (lock $LOCK)"
fi

answers() { command -v redis-cli >/dev/null 2>&1 && [ "$(redis-cli -h "$HOST" -p "$PORT" ping 2>/dev/null)" = "PONG" ]; }

if [ "${1:-}" = "stop" ]; then
  dir=$(cat "$STATE" 2>/dev/null || true)
  if [ -n "$dir" ] && [ -f "$dir/redis.pid" ]; then
    kill "$(cat "$dir/redis.pid")" 2>/dev/null || true
    for _ in $(seq 50); do answers || break; sleep 0.1; done
    rm -rf "$dir" "$STATE"
    say "stopped and removed $dir"
  else
    say "no test server started by this script is running"
  fi
  exit 0
elif [ -n "${1:-}" ]; then
  die "unknown argument '$1' (use no argument to start, or 'stop')"
fi

if ! command -v redis-server >/dev/null 2>&1; then
  [ "$(id -u)" -eq 0 ] || die "Redis is not installed and installing it needs root: run this as root, or apt-get install redis-server"
  command -v apt-get >/dev/null 2>&1 || die "Redis is not installed and apt-get is not available: install Redis yourself"
  say "installing Redis with apt-get (once)..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends redis-server redis-tools >/dev/null || die "apt-get install redis-server failed"
fi

if answers; then
  say "already running on $HOST:$PORT"
  echo "TEST_REDIS_URL=$URL"
  exit 0
fi
(exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null && die "port $PORT on $HOST is in use by something that is not Redis"

dir=$(mktemp -d /tmp/parent-support-test-redis.XXXXXX)
echo "$dir" > "$STATE"
# 9>&-: the server must not inherit the lock. No snapshots, no append-only file: test data only.
redis-server --bind "$HOST" --port "$PORT" --save '' --appendonly no --dir "$dir" \
  --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" 9>&- \
  || die "redis-server did not start (log: $dir/redis.log)"
for _ in $(seq 100); do answers && break; sleep 0.1; done
answers || die "redis-server started but does not answer on $HOST:$PORT (log: $dir/redis.log)"
say "started $(redis-server --version | awk '{print $1, $2, $3}') on $HOST:$PORT (folder $dir)"
echo "TEST_REDIS_URL=$URL"
