#!/usr/bin/env bash
# Fuzzes the HTTP API against its own OpenAPI description (/api/openapi.json) with
# schemathesis: the real server on a temporary data directory, one real room so the
# room routes get past the code check, and every generated request answered with no
# 5xx, a documented status and a body that matches the description. About 90 seconds.
# Needs the debug binary (`cargo build`) and Python 3 with pip; run from anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
PORT=${API_FUZZ_PORT:-18471}
BASE="http://127.0.0.1:$PORT"
ADMIN="api-fuzz-admin-token-$RANDOM$RANDOM"

# schemathesis in a virtual environment of its own, kept in target/ between runs.
VENV="$PWD/target/api-fuzz-venv"
if [[ ! -x "$VENV/bin/schemathesis" || "$("$VENV/bin/schemathesis" --version)" != *"$SCHEMATHESIS_VERSION"* ]]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

WORK=$(mktemp -d)
target/debug/touchpoint serve --addr "127.0.0.1:$PORT" --data-dir "$WORK/data" --admin-token "$ADMIN" \
  --workshops-dir workshops >"$WORK/server.log" 2>&1 &
SERVER=$!
stop() {
  kill "$SERVER" 2>/dev/null || true
  wait "$SERVER" 2>/dev/null || true
  rm -rf "$WORK"
}
trap stop EXIT

for _ in $(seq 100); do
  curl -fs "$BASE/healthz" >/dev/null && break
  sleep 0.1
done

# A room from a shipped template, so activities and intents have something to act on.
created=$(curl -fs -X POST "$BASE/api/rooms" -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
  -d '{"title": "API fuzzing", "template": "current-experience"}')
field() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
CODE=$(field code <<<"$created")
KEY=$(field facilitator_key <<<"$created")
HELPER=$(field helper_key <<<"$created")
# A participant joins before the fuzzing makes joining rate-limited.
TOKEN=$(curl -fs -X POST "$BASE/api/rooms/$CODE/participants" | field token)

# Every `{code}` in a path is the real room's; the other parameters are generated.
cat >"$WORK/schemathesis.toml" <<TOML
[parameters]
"path.code" = "$CODE"
TOML

# Run from the temporary directory, where schemathesis keeps its cache of crashes.
fuzz() {
  (cd "$WORK" && "$VENV/bin/schemathesis" --config-file "$WORK/schemathesis.toml" run "$BASE/api/openapi.json" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --max-time 30 --workers 2 --seed 1 --report-dir "$WORK/report" "$@")
}

status=0
# As a table host with the room's helper key: first, since the facilitator's turn rotates it.
fuzz -H "Authorization: Bearer $HELPER" --exclude-method DELETE || status=$?
# As the room's facilitator (the room stays: deleting it is for the admin's turn).
fuzz -H "Authorization: Bearer $KEY" --exclude-method DELETE || status=$?
# As a participant of the room.
fuzz -H "Authorization: Bearer $TOKEN" --exclude-method DELETE || status=$?
# As the admin, deleting the room among the rest.
fuzz -H "Authorization: Bearer $ADMIN" || status=$?

if grep -q "panicked" "$WORK/server.log"; then
  echo "the server panicked:" >&2
  grep -A5 "panicked" "$WORK/server.log" >&2
  status=1
fi
exit "$status"
