#!/usr/bin/env bash
# Throwaway PostgreSQL 15 + PgBouncer 1.18 (transaction mode) for the `postgres`-labelled tests.
#   scripts/test-servers.sh start|stop|restart-postgres|restart-pgbouncer|stop-pgbouncer|start-pgbouncer|env
# `start` writes .tmp/test-servers.env (exports the SCRAPERSKY_TEST_* variables); source it before
# running the tests. Servers listen on 127.0.0.1 only; they run as the `postgres` system user.
set -euo pipefail

SCRIPT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
REPO="$(cd "$(dirname "$SCRIPT")/.." && pwd)"
STATE_DIR="$REPO/.tmp"
ENV_FILE="$STATE_DIR/test-servers.env"
DIR_FILE="$STATE_DIR/test-servers.dir"
PG_BIN=/usr/lib/postgresql/15/bin
PGBOUNCER=/usr/sbin/pgbouncer
DB_NAME=scrapersky_test
SERVER_USER=postgres

die() { echo "test-servers: $*" >&2; exit 1; }

# Runs a command as the server user (servers refuse to run as root).
as_server() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u "$SERVER_USER" -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Waits up to $2 seconds for a TCP listener on 127.0.0.1:$1.
wait_port() {
  local port=$1 deadline=$((SECONDS + $2))
  while [ $SECONDS -lt "$deadline" ]; do
    if python3 -c "import socket,sys; s=socket.socket(); s.settimeout(0.5); sys.exit(s.connect_ex(('127.0.0.1',$port)))" 2>/dev/null; then
      return 0
    fi
    sleep 0.2
  done
  return 1
}

# Stops the process whose PID is on the first line of file $1 (TERM, then KILL after 10 s).
stop_pid_file() {
  local file=$1 pid
  [ -f "$file" ] || return 0
  pid=$(head -n1 "$file" | tr -d '[:space:]')
  [ -n "$pid" ] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
}

load_state() {
  [ -f "$DIR_FILE" ] || die "servers are not started (no $DIR_FILE); run '$SCRIPT start'"
  DIR=$(cat "$DIR_FILE")
  # shellcheck disable=SC1090
  source "$DIR/ports"
}

start_postgres() {
  as_server "$PG_BIN/pg_ctl" -D "$DIR/data" -l "$DIR/postgres.log" -w -t 30 \
    -o "-p $PG_PORT -k $DIR -c listen_addresses=127.0.0.1" start >/dev/null \
    || { tail -n 20 "$DIR/postgres.log" >&2 || true; die "PostgreSQL did not start"; }
  wait_port "$PG_PORT" 30 || die "PostgreSQL is not listening on 127.0.0.1:$PG_PORT"
}

start_pgbouncer() {
  as_server "$PGBOUNCER" -d "$DIR/pgbouncer.ini" \
    || { tail -n 20 "$DIR/pgbouncer.log" >&2 || true; die "PgBouncer did not start"; }
  wait_port "$BOUNCER_PORT" 30 || { tail -n 20 "$DIR/pgbouncer.log" >&2 || true; die "PgBouncer is not listening on 127.0.0.1:$BOUNCER_PORT"; }
}

cmd_stop() {
  if [ -f "$DIR_FILE" ]; then
    DIR=$(cat "$DIR_FILE")
    if [ -d "$DIR" ]; then
      stop_pid_file "$DIR/pgbouncer.pid"
      stop_pid_file "$DIR/data/postmaster.pid"
      rm -rf "$DIR"
    fi
    rm -f "$DIR_FILE"
  fi
  rm -f "$ENV_FILE"
}

cmd_start() {
  # Already up (another test run started them): reuse, so nobody's servers vanish mid-run.
  if [ -f "$DIR_FILE" ] && [ -f "$ENV_FILE" ] && [ -f "$(cat "$DIR_FILE")/ports" ]; then
    DIR=$(cat "$DIR_FILE")
    # shellcheck disable=SC1090
    source "$DIR/ports"
    if wait_port "$PG_PORT" 1 && wait_port "$BOUNCER_PORT" 1; then cat "$ENV_FILE"; return 0; fi
  fi
  cmd_stop
  mkdir -p "$STATE_DIR"
  DIR=$(mktemp -d "$STATE_DIR/test-servers.XXXXXX")
  echo "$DIR" >"$DIR_FILE"
  chmod 755 "$STATE_DIR" "$DIR"
  [ "$(id -u)" -eq 0 ] && chown "$SERVER_USER" "$DIR"
  PG_PORT=$(free_port)
  BOUNCER_PORT=$(free_port)
  while [ "$BOUNCER_PORT" = "$PG_PORT" ]; do BOUNCER_PORT=$(free_port); done
  printf 'PG_PORT=%s\nBOUNCER_PORT=%s\n' "$PG_PORT" "$BOUNCER_PORT" >"$DIR/ports"

  as_server "$PG_BIN/initdb" -D "$DIR/data" -U "$SERVER_USER" --auth=trust -E UTF8 \
    --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; die "initdb failed"; }
  cat >>"$DIR/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$DIR'
max_connections = 200
log_statement = 'none'
log_min_messages = warning
log_min_error_statement = error
log_connections = off
log_disconnections = off
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
  start_postgres
  as_server "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U "$SERVER_USER" "$DB_NAME" \
    || die "createdb $DB_NAME failed"

  printf '"%s" ""\n' "$SERVER_USER" >"$DIR/userlist.txt"
  cat >"$DIR/pgbouncer.ini" <<EOF
[databases]
$DB_NAME = host=127.0.0.1 port=$PG_PORT dbname=$DB_NAME
# Any other database name (tests that create a fresh database each) goes to the same server.
* = host=127.0.0.1 port=$PG_PORT

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BOUNCER_PORT
unix_socket_dir = $DIR
auth_type = trust
auth_file = $DIR/userlist.txt
pool_mode = transaction
default_pool_size = 2
max_client_conn = 400
logfile = $DIR/pgbouncer.log
pidfile = $DIR/pgbouncer.pid
admin_users = $SERVER_USER
server_reset_query =
EOF
  [ "$(id -u)" -eq 0 ] && chown "$SERVER_USER" "$DIR"/*
  start_pgbouncer

  cat >"$ENV_FILE" <<EOF
export SCRAPERSKY_TEST_PG_URL='postgresql://$SERVER_USER@127.0.0.1:$PG_PORT/$DB_NAME'
export SCRAPERSKY_TEST_PGBOUNCER_URL='postgresql://$SERVER_USER@127.0.0.1:$BOUNCER_PORT/$DB_NAME'
export SCRAPERSKY_TEST_PG_LOG='$DIR/postgres.log'
export SCRAPERSKY_TEST_PGBOUNCER_LOG='$DIR/pgbouncer.log'
export SCRAPERSKY_TEST_SERVERS='$SCRIPT'
EOF
  cat "$ENV_FILE"
}

cmd_restart_postgres() {
  load_state
  # Fast shutdown: a smart one (TERM) waits for PgBouncer's server connections to go away, which
  # they never do, and the KILL after 10 s leaves a postmaster.pid that blocks the start.
  as_server "$PG_BIN/pg_ctl" -D "$DIR/data" -m fast -w -t 30 stop >/dev/null 2>&1 \
    || stop_pid_file "$DIR/data/postmaster.pid"
  start_postgres
}

cmd_restart_pgbouncer() {
  load_state
  stop_pid_file "$DIR/pgbouncer.pid"
  start_pgbouncer
}

cmd_stop_pgbouncer() {
  load_state
  stop_pid_file "$DIR/pgbouncer.pid"
}

cmd_start_pgbouncer() {
  load_state
  start_pgbouncer
}

case "${1:-}" in
  start) cmd_start ;;
  stop-pgbouncer) cmd_stop_pgbouncer ;;
  start-pgbouncer) cmd_start_pgbouncer ;;
  stop) cmd_stop ;;
  restart-postgres) cmd_restart_postgres ;;
  restart-pgbouncer) cmd_restart_pgbouncer ;;
  env) [ -f "$ENV_FILE" ] || die "servers are not started; run '$SCRIPT start'"; cat "$ENV_FILE" ;;
  *) echo "usage: $0 start|stop|restart-postgres|restart-pgbouncer|stop-pgbouncer|start-pgbouncer|env" >&2; exit 2 ;;
esac
