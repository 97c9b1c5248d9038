#!/usr/bin/env bash
# bench/api/aggregates.sh [BUILD_DIR]: the dashboard's reads at scale on PostgreSQL through
# PgBouncer (transaction mode): 10,000 domains plus one domain of 1,000,000 URLs in 20 sitemap
# files, lastmods spread over 60 months (5% without one). `scrapersky serve --no-workers`
# answers; curl times each request (BENCH_RUNS times, default 5; the first run is cold for the
# server's statements, not for PostgreSQL's cache, which the load just filled) and the script
# prints min/median/max in ms for:
#   GET /api/v3/domains/{id}/lastmod-months        (goal: < 1 s on the 1M-URL domain)
#   GET /api/v3/domain-summaries?page=200            (10,000 domains, a deep page)
#   GET /api/v3/domain-summaries?q=bench-99          (name search)
#   GET /api/v3/domains/{id}/urls?page=1             (first page of the 1M URLs)
#   GET /api/v3/domains/{id}/urls?url_contains=...   (substring search over the 1M URLs)
# Needs scripts/test-servers.sh start (it reads .tmp/test-servers.env).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${1:-$ROOT/build}"
BIN="$BUILD/src/cli/scrapersky"
URLS="${BENCH_URLS:-1000000}"
DOMAINS="${BENCH_DOMAINS:-10000}"
RUNS="${BENCH_RUNS:-5}"
KEY="bench-aggregates-key-$$"

DB_PREFIX="bench_aggregates"
# shellcheck source=bench/api/common.sh
source "$ROOT/bench/api/common.sh"

psql "$SCRAPERSKY_TEST_PG_URL" -X -q -c "CREATE DATABASE $DB" >/dev/null
DATABASE_URL="$BOUNCED" "$BIN" migrate >/dev/null 2>&1
BIG_DOMAIN="00000000-0000-4000-8000-00000000b16d"
load_start=$(date +%s)
psql "$DIRECT" -X -q -v ON_ERROR_STOP=1 <<SQL >/dev/null
INSERT INTO domains (id, domain, status, sitemap_curation_status, created_at, updated_at)
SELECT gen_random_uuid(), 'bench-' || g || '.example', 'active', 'New', now(), now()
FROM generate_series(1, $DOMAINS) g;
INSERT INTO domains (id, domain, status, sitemap_curation_status, sitemap_urls, created_at, updated_at)
VALUES ('$BIG_DOMAIN', 'big.example', 'active', 'New', $URLS, now(), now());
INSERT INTO sitemap_files (id, domain_id, url, sitemap_type, status, url_count, created_at, updated_at)
SELECT ('00000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid, '$BIG_DOMAIN',
       'https://big.example/sitemap-' || g || '.xml', 'standard', 'Completed', $URLS / 20, now(), now()
FROM generate_series(1, 20) g;
INSERT INTO sitemap_urls (sitemap_file_id, domain_id, url, lastmod, created_at, updated_at)
SELECT ('00000000-0000-4000-8000-' || lpad((1 + g % 20)::text, 12, '0'))::uuid, '$BIG_DOMAIN',
       'https://big.example/articles/' || md5(g::text) || '/' || g,
       CASE WHEN g % 20 = 0 THEN NULL
            ELSE timestamptz '2021-01-01 00:00:00+00' + (g % 1826) * interval '1 day' + (g % 86400) * interval '1 second' END,
       now(), now()
FROM generate_series(1, $URLS) g;
SQL
# As autovacuum would leave it: statistics and a visibility map.
psql "$DIRECT" -X -q -c "VACUUM ANALYZE" >/dev/null
echo "loaded $DOMAINS domains and one of $URLS URLs in $(( $(date +%s) - load_start )) s"

DATABASE_URL="$BOUNCED" API_KEYS="$KEY" "$BIN" serve --no-workers --host 127.0.0.1 --port "$PORT" >"$WORK/serve.log" 2>&1 &
SERVE_PID=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
BASE="http://127.0.0.1:$PORT"

measure() {
  local name="$1" path="$2" times=()
  for _ in $(seq 1 "$RUNS"); do
    times+=("$(curl -fsS -o "$WORK/body" -w '%{time_total}' -H "X-API-Key: $KEY" "$BASE$path")")
  done
  python3 - "$name" "$WORK/body" "${times[@]}" <<'PY'
import json, statistics, sys
name, body, times = sys.argv[1], sys.argv[2], sorted(float(t) * 1000 for t in sys.argv[3:])
doc = json.load(open(body))
what = f"total {doc['total']}" if "total" in doc else ""
print(f"{name:<46} min {times[0]:8.1f} ms   median {statistics.median(times):8.1f} ms   max {times[-1]:8.1f} ms   {what}")
PY
}

echo "scrapersky serve --no-workers, PostgreSQL via PgBouncer; curl, $RUNS runs each"
measure "GET /domains/{id}/lastmod-months (1M URLs)" "/api/v3/domains/$BIG_DOMAIN/lastmod-months"
measure "GET /domain-summaries?page=200" "/api/v3/domain-summaries?page=200&size=25"
measure "GET /domain-summaries?q=bench-99" "/api/v3/domain-summaries?q=bench-99"
measure "GET /domains/{id}/urls?page=1" "/api/v3/domains/$BIG_DOMAIN/urls?page=1&size=50"
measure "GET /domains/{id}/urls?url_contains=abc" "/api/v3/domains/$BIG_DOMAIN/urls?url_contains=abc&size=50"
