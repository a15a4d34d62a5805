#!/usr/bin/env bash
# Starts the y-websocket reference server (@y/websocket-server, pinned in
# package.json), in memory (no YPERSISTENCE), on 127.0.0.1:PORT, pinned to
# SERVER_CPUS. Prints the server's PID; stop it with `kill PID`.
#   usage: reference/y-websocket.sh PORT [LOG]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../scripts/lib.sh
source "$here/../scripts/lib.sh"
port="${1:?usage: $0 PORT [LOG]}"
log="${2:-/tmp/touchpoint-bench-logs/y-websocket-$port.log}"
[ -d "$here/node_modules/@y/websocket-server" ] || { echo "run 'npm ci' in $here first" >&2; exit 1; }
unset YPERSISTENCE
HOST=127.0.0.1 PORT="$port" start_server y-websocket "$port" "$log" \
  node "$here/node_modules/@y/websocket-server/src/server.js"
echo "$SERVER_PID"
