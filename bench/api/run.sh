#!/usr/bin/env bash
# bench/api/run.sh [BUILD_DIR]: `scrapersky serve --no-workers` on PostgreSQL through PgBouncer
# (transaction mode) with the default pool (5 + 10) and 10,000 stored domains. wrk (200
# connections, BENCH_DURATION each, default 30s) on GET /healthz, GET /api/v3/domains and
# GET /api/v3/sitemap/status/{id}, one after the other in the same run; prints requests/s,
# p50/p99 latency and non-2xx counts, then the pool's waits and timeouts from /metrics.
# Needs scripts/test-servers.sh start (it reads .tmp/test-servers.env).
# Goals: zero 5xx, zero pool timeouts, database routes >= 0.3x the /healthz rate.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${1:-$ROOT/build}"
BIN="$BUILD/src/cli/scrapersky"
DURATION="${BENCH_DURATION:-30s}"
CONNECTIONS="${BENCH_CONNECTIONS:-200}"
THREADS="${BENCH_THREADS:-2}"
DOMAINS="${BENCH_DOMAINS:-10000}"
KEY="bench-api-key-$$"

DB_PREFIX="bench_api"
# shellcheck source=bench/api/common.sh
source "$ROOT/bench/api/common.sh"

psql "$SCRAPERSKY_TEST_PG_URL" -X -q -c "CREATE DATABASE $DB" >/dev/null
DATABASE_URL="$BOUNCED" "$BIN" migrate >/dev/null 2>&1
psql "$DIRECT" -X -q -v ON_ERROR_STOP=1 -c "
  INSERT INTO domains (id, domain, status, sitemap_curation_status, created_at, updated_at)
  SELECT gen_random_uuid(), 'bench-' || g || '.example', 'active',
         (ARRAY['New','Selected','Maybe','Not a Fit','Archived'])[1 + g % 5],
         now() - g * interval '1 second', now() - g * interval '1 second'
  FROM generate_series(1, $DOMAINS) g;" >/dev/null
# As autovacuum would leave it: a visibility map, so COUNT(*) can use an index-only scan.
psql "$DIRECT" -X -q -c "VACUUM ANALYZE domains" >/dev/null

# BENCH_VIA=direct: PostgreSQL without PgBouncer, to see what the pooler costs.
SERVE_URL="$BOUNCED"
[[ "${BENCH_VIA:-pgbouncer}" == direct ]] && SERVE_URL="$DIRECT"
DATABASE_URL="$SERVE_URL" API_KEYS="$KEY" LOG_FORMAT=json \
  "$BIN" serve --no-workers --host 127.0.0.1 --port "$PORT" >"$WORK/serve.log" 2>&1 &
SERVE_PID=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
BASE="http://127.0.0.1:$PORT"
JOB_ID="$(curl -fsS -X POST -H "X-API-Key: $KEY" -H 'Content-Type: application/json' \
  -d '{"base_url":"bench.example"}' "$BASE/api/v3/sitemap/scan" | python3 -c 'import json,sys; print(json.load(sys.stdin)["job_id"])')"

# wrk's own summary: Requests/sec, the --latency percentiles, "Non-2xx or 3xx responses".
run_wrk() {
  local slug="$1" name="$2" path="$3"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "X-API-Key: $KEY" \
    "$BASE$path" >"$WORK/$slug.txt" 2>&1
  python3 - "$name" "$WORK/$slug.txt" <<'PY'
import re, sys
name, path = sys.argv[1], sys.argv[2]
text = open(path).read()
def find(pattern, default="0"):
    m = re.search(pattern, text)
    return m.group(1) if m else default
rps = float(find(r"Requests/sec:\s+([\d.]+)"))
p50 = find(r"\n\s+50%\s+(\S+)", "?")
p99 = find(r"\n\s+99%\s+(\S+)", "?")
total = find(r"(\d+) requests in")
non2xx = find(r"Non-2xx or 3xx responses:\s+(\d+)")
errors = find(r"Socket errors: (.*)", "none")
print(f"{name:<28} {rps:>10.0f} req/s   p50 {p50:>8}   p99 {p99:>8}   requests {total:>8}   non-2xx {non2xx:>6}   socket errors: {errors}")
open(path + ".rps", "w").write(str(rps))
PY
}

echo "scrapersky serve --no-workers, PostgreSQL via ${BENCH_VIA:-pgbouncer}, pool 5+10, $DOMAINS domains;"
echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency, one route after the other"
run_wrk healthz "GET /healthz" "/healthz"
run_wrk domains "GET /api/v3/domains" "/api/v3/domains"
run_wrk status "GET /sitemap/status/{id}" "/api/v3/sitemap/status/$JOB_ID"

python3 - "$WORK" <<'PY'
import sys
work = sys.argv[1]
rate = lambda n: float(open(f"{work}/{n}.txt.rps").read())
base = rate("healthz")
for slug, name in (("domains", "GET /api/v3/domains"), ("status", "GET /sitemap/status/{id}")):
    r = rate(slug)
    print(f"{name:<28} {r / base:.2f}x the /healthz rate ({'meets' if r >= 0.3 * base else 'BELOW'} the 0.3x goal)")
PY
curl -fsS "$BASE/metrics" | grep -E '^scrapersky_db_pool_(waits_total|timeouts_total|connects_total|invalidations_total|size|max_overflow) '
echo "5xx responses in the access log: $(grep -c 'status=5' "$WORK/serve.log" || true)"
