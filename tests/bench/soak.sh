#!/usr/bin/env bash
# The soak of issue 12, in one command: 1,000 clients joining, staying and
# leaving in churn for ten minutes across 20 rooms, against a freshly built
# release server on a temporary data directory; then connections and RSS must
# return to their baseline and nothing acknowledged may be lost.
#
#   tests/bench/soak.sh                    # the full soak, about 15 minutes
#   SOAK_SECONDS=60 tests/bench/soak.sh    # a short one
#
# Knobs (environment): SOAK_SECONDS (600), SOAK_WARMUP (60), SOAK_CLIENTS
# (1000), SOAK_ROOMS (20), SOAK_SILENT (share of sessions that go silent
# without closing, for the server's liveness check to reap: 0.1),
# SOAK_SETTLE (s allowed to return to baseline, 150: more than the server's
# liveness timeout plus a ping interval, and its room idle time), BASE_PORT, OUT (where
# soak.json goes, default tests/bench/results/<date>-soak), TOUCHPOINT_BIN
# (another build of the server), SERVER_CPUS / LOADGEN_CPUS (see scripts/lib.sh),
# SOAK_RSS_EVERY (s between samples of the server's RSS into OUT/rss.txt, 5) and
# SOAK_AFTER (s to keep sampling once the load tool is done, 0: its check stops
# at the first sample under the limit, which says nothing of where RSS ends).
# Any other arguments are passed to `touchpoint-bench soak`.
# Exit status: the load tool's (0 passed, 4 a check failed).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source=scripts/lib.sh
source "$here/scripts/lib.sh"

SOAK_SECONDS="${SOAK_SECONDS:-600}"
SOAK_WARMUP="${SOAK_WARMUP:-60}"
SOAK_CLIENTS="${SOAK_CLIENTS:-1000}"
SOAK_ROOMS="${SOAK_ROOMS:-20}"
SOAK_SILENT="${SOAK_SILENT:-0.1}"
SOAK_SETTLE="${SOAK_SETTLE:-150}"
OUT="${OUT:-$here/results/$(date +%Y-%m-%d)-soak}"
port="${BASE_PORT:-24700}"
TOKEN="soak-admin-token-$$-$RANDOM$RANDOM"

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }

mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/touchpoint-soak.XXXXXX")"
trap 'stop_all_started; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

# Each side holds a socket per client, and then some.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((SOAK_CLIENTS * 2 + 256)) ]; then
  log "warning: the file limit ($(ulimit -n)) is low for $SOAK_CLIENTS clients"
fi

log "building the release server and touchpoint-bench"
# The web client is not under test (as in run.sh): an empty directory stands in for its build.
mkdir -p "$work/emptydist"
(cd "$repo" && TOUCHPOINT_CLIENT_DIST="${TOUCHPOINT_CLIENT_DIST:-$work/emptydist}" \
  cargo build --release --quiet -p touchpoint -p touchpoint-bench)
target_dir="$(cd "$repo" && cargo metadata --format-version 1 --no-deps | node -e \
  'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')"
TP_BIN="${TOUCHPOINT_BIN:-$target_dir/release/touchpoint}"
BENCH_BIN="$target_dir/release/touchpoint-bench"

# Limits raised for one trusted load generator, as run.sh does (see
# BENCHMARKS.md): every participant joins from one address, and the
# contributors' ideas all come from it too.
log "starting the server on 127.0.0.1:$port (data in $work/data)"
start_server touchpoint "$port" "$work/server.log" env RUST_LOG="${TP_LOG:-touchpoint=warn}" \
  "$TP_BIN" serve --addr "127.0.0.1:$port" --data-dir "$work/data" --admin-token "$TOKEN" \
  --workshops-dir "$repo/workshops" --max-joins-per-sec 100000 --max-joins-per-room-per-sec 100000 \
  --max-intents-per-sec 100000

log "soak: $SOAK_CLIENTS clients over $SOAK_ROOMS rooms, ${SOAK_WARMUP} s warm-up, ${SOAK_SECONDS} s of churn"
# The server's RSS all along (seconds since the start, KiB), for the picture the check's
# single figure cannot give.
( started=$(date +%s)
  while kill -0 "$SERVER_PID" 2>/dev/null; do
    printf '%s %s\n' "$(($(date +%s) - started))" "$(awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status" 2>/dev/null)"
    sleep "${SOAK_RSS_EVERY:-5}"
  done ) >"$OUT/rss.txt" &
set +e
TOUCHPOINT_ADMIN_TOKEN="$TOKEN" "${pin_loadgen[@]}" "$BENCH_BIN" soak \
  --touchpoint "http://127.0.0.1:$port" --server-pid "$SERVER_PID" \
  --rooms "$SOAK_ROOMS" --clients "$SOAK_CLIENTS" --duration "$SOAK_SECONDS" --warmup "$SOAK_WARMUP" \
  --silent-share "$SOAK_SILENT" --settle "$SOAK_SETTLE" --label "soak-$SOAK_SECONDS" \
  --out "$OUT/soak.json" "$@"
status=$?
set -e
if [ "${SOAK_AFTER:-0}" -gt 0 ]; then
  log "sampling the server's RSS for ${SOAK_AFTER} s more (OUT/rss.txt)"
  sleep "$SOAK_AFTER"
fi
mkdir -p "$OUT/logs" && cp "$work/server.log" "$OUT/logs/server.log" 2>/dev/null || true
if [ "$status" -eq 0 ]; then
  log "verdict: PASSED (report: $OUT/soak.json)"
else
  log "verdict: FAILED with status $status (report: $OUT/soak.json, server log: $OUT/logs/server.log)"
fi
exit "$status"
