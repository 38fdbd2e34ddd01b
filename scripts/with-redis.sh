#!/usr/bin/env bash
# Run a command with a Redis answering on 127.0.0.1:6379. When none answers, start
# redis-server (Debian's package; installed with apt-get when missing), and stop what
# this script started when the command ends.
set -euo pipefail
port=6379
answers() {
  if command -v redis-cli >/dev/null 2>&1; then
    redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG
  else
    exec 3<>"/dev/tcp/127.0.0.1/$port" 2>/dev/null || return 1
    printf 'PING\r\n' >&3; local reply; read -r -t 2 reply <&3 || true; exec 3>&-
    [[ "$reply" == +PONG* ]]
  fi
}
started=""
if ! answers; then
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "with-redis: installing redis-server from Debian's packages" >&2
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq redis-server >/dev/null
    else sudo apt-get update -qq && sudo apt-get install -y -qq redis-server >/dev/null; fi
  fi
  dir="$(mktemp -d)"
  echo "with-redis: starting redis-server on 127.0.0.1:$port" >&2
  redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
    --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
  for _ in $(seq 50); do answers && break; sleep 0.1; done
  answers || { echo "with-redis: redis-server did not answer" >&2; exit 1; }
  started="$dir"
fi
stop() {
  if [ -n "$started" ]; then
    echo "with-redis: stopping the redis-server it started" >&2
    kill "$(cat "$started/redis.pid")" 2>/dev/null || true
    rm -rf "$started"
  fi
}
trap stop EXIT
"$@"
