# Sourced by bench/api/*.sh after they set ROOT, BIN and DB_PREFIX: checks the binary and the
# test servers, and sets up one scratch database (DIRECT / BOUNCED URLs), a free PORT, a WORK
# folder and SERVE_PID, all removed by the EXIT trap.
[[ -x "$BIN" ]] || { echo "no scrapersky binary at $BIN (build the scrapersky target)" >&2; exit 2; }
[[ -f "$ROOT/.tmp/test-servers.env" ]] || { echo "run scripts/test-servers.sh start first" >&2; exit 2; }
# shellcheck disable=SC1091
source "$ROOT/.tmp/test-servers.env"

with_db() {  # URL with its database name replaced
  local url="$1" name="$2"
  python3 -c 'import sys,urllib.parse as u; p=u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/"+sys.argv[2])))' "$url" "$name"
}

DB="${DB_PREFIX}_$$"
DIRECT="$(with_db "$SCRAPERSKY_TEST_PG_URL" "$DB")"
BOUNCED="$(with_db "$SCRAPERSKY_TEST_PGBOUNCER_URL" "$DB")"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
WORK="$(mktemp -d)"
SERVE_PID=""
cleanup() {
  if [[ -n "$SERVE_PID" ]]; then kill "$SERVE_PID" 2>/dev/null || true; wait "$SERVE_PID" 2>/dev/null || true; fi
  psql "$SCRAPERSKY_TEST_PG_URL" -X -q -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
