# Sourced by the bench scripts: start a server in the background pinned to
# one core, wait for its port, and stop exactly the processes we started.
#
#   start_server NAME PORT LOG COMMAND...   sets SERVER_PID (the server process
#                                           itself, so /proc sampling and kill
#                                           hit the server, not a wrapper)
#   stop_server PID                         SIGTERM, SIGKILL after 10 s
#
# SERVER_CPUS (default 0) and LOADGEN_CPUS (default 1) choose the cores.
# shellcheck shell=bash

SERVER_CPUS="${SERVER_CPUS-0}"
LOADGEN_CPUS="${LOADGEN_CPUS-1}"

# Pinning is what makes the numbers mean "one core of server": without
# taskset (or with SERVER_CPUS empty) everything runs unpinned.
pin_server=()
pin_loadgen=()
if command -v taskset >/dev/null; then
  [ -n "$SERVER_CPUS" ] && pin_server=(taskset -c "$SERVER_CPUS")
  [ -n "$LOADGEN_CPUS" ] && pin_loadgen=(taskset -c "$LOADGEN_CPUS")
fi

# CPU the whole machine spends busy over one second, in % of one core
# (user+nice+system+irq+softirq+steal from /proc/stat).
CLK_TCK="$(getconf CLK_TCK 2>/dev/null || echo 100)"
machine_busy_pct() {
  local u n s i w q sq st a b
  read -r _ u n s i w q sq st _ </proc/stat
  a=$((u + n + s + q + sq + st))
  sleep 1
  read -r _ u n s i w q sq st _ </proc/stat
  b=$((u + n + s + q + sq + st))
  echo $(((b - a) * 100 / CLK_TCK))
}

# wait_quiet MAX_PCT MAX_WAIT_S: waits until other processes use at most
# MAX_PCT % of a core (call it while none of ours runs), or MAX_WAIT_S has
# passed. The machine is shared: a neighbour's build or browser test skews
# latency far more than any server difference. Prints what it saw.
wait_quiet() {
  local max="$1" wait_s="$2" busy quiet=0 start=$SECONDS
  while :; do
    busy=$(machine_busy_pct)
    # Two quiet seconds in a row: a neighbour's test suite pauses between files.
    if [ "$busy" -le "$max" ]; then quiet=$((quiet + 1)); else quiet=0; fi
    if [ "$quiet" -ge 2 ]; then echo "$busy"; return 0; fi
    if [ $((SECONDS - start)) -ge "$wait_s" ]; then echo "$busy"; return 1; fi
  done
}

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Every PID started here, so an EXIT trap can stop what is still running.
STARTED_PIDS=()

start_server() {
  local name="$1" port="$2" log="$3"
  shift 3
  if port_open "$port"; then
    echo "$name: port $port is already in use" >&2
    return 1
  fi
  mkdir -p "$(dirname "$log")"
  # exec inside the subshell: $! is the server itself (taskset execs too).
  ( exec "${pin_server[@]}" "$@" >"$log" 2>&1 </dev/null ) &
  SERVER_PID=$!
  STARTED_PIDS+=("$SERVER_PID")
  local i
  for i in $(seq 1 300); do
    if port_open "$port"; then return 0; fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "$name exited before opening port $port; last lines of $log:" >&2
      tail -5 "$log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "$name did not open port $port within 30 s (see $log)" >&2
  stop_server "$SERVER_PID"
  return 1
}

stop_server() {
  local pid="$1" sig="${2:-TERM}" i p keep=()
  # Forget it first: a PID, once reaped, may be reused by someone else's process.
  for p in "${STARTED_PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
  STARTED_PIDS=("${keep[@]}")
  kill -0 "$pid" 2>/dev/null || return 0
  kill "-$sig" "$pid" 2>/dev/null || true
  for i in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  wait "$pid" 2>/dev/null || true
}

stop_all_started() {
  local pid
  for pid in "${STARTED_PIDS[@]}"; do stop_server "$pid"; done
  return 0
}
