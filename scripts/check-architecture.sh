#!/usr/bin/env bash
# The database rules a compiler cannot check (docs/database.md, "One gate, one URL" and
# "Transaction-mode poolers"). Prints file:line for each violation and exits 1 when there is any.
#   - driver headers (libpq-fe.h, sqlite3.h) are included only under src/db/;
#   - database URL literals appear in src/ only under src/config/ (and src/db/, which parses them);
#   - no named/prepared statements anywhere in src/.
set -uo pipefail
shopt -s lastpipe  # `... | report` runs report in this shell, so it can set status
cd "$(dirname "${BASH_SOURCE[0]}")/.."
status=0

report() {  # $1 = rule, stdin = grep -n output
  local line
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    echo "$line: $1"
    status=1
  done
}

sources=(src tests bench fuzz)
existing=()
for d in "${sources[@]}"; do [ -d "$d" ] && existing+=("$d"); done

grep -rnE --include='*.h' --include='*.cc' --include='*.hpp' --include='*.cpp' \
  '#[[:space:]]*include[[:space:]]*[<"](libpq-fe\.h|sqlite3\.h)[>"]' "${existing[@]}" \
  | grep -v '^src/db/' | report "driver header outside src/db/"

grep -rnE --include='*.h' --include='*.cc' --include='*.hpp' --include='*.cpp' \
  '(postgres|postgresql|sqlite)://' src \
  | grep -vE '^src/(config|db)/' | report "database URL literal outside src/config/"

grep -rnE --include='*.h' --include='*.cc' --include='*.hpp' --include='*.cpp' \
  'PQprepare|PQsendPrepare|PQexecPrepared|PQsendQueryPrepared|PREPARE |DEALLOCATE' src \
  | report "prepared/named statement (breaks transaction-mode poolers)"

if [ $status -eq 0 ]; then echo "check-architecture: ok"; fi
exit $status
