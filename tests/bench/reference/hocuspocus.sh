#!/usr/bin/env bash
# Starts Hocuspocus (@hocuspocus/server, pinned in package.json) on
# 127.0.0.1:PORT, pinned to SERVER_CPUS: in memory, or with its SQLite
# extension when a database file is given. Prints the server's PID.
#   usage: reference/hocuspocus.sh PORT [SQLITE_FILE] [LOG]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../scripts/lib.sh
source "$here/../scripts/lib.sh"
port="${1:?usage: $0 PORT [SQLITE_FILE] [LOG]}"
log="${3:-/tmp/touchpoint-bench-logs/hocuspocus-$port.log}"
[ -d "$here/node_modules/@hocuspocus/server" ] || { echo "run 'npm ci' in $here first" >&2; exit 1; }
HOCUSPOCUS_SQLITE="${2:-}" PORT="$port" start_server hocuspocus "$port" "$log" \
  node "$here/hocuspocus-server.mjs"
echo "$SERVER_PID"
