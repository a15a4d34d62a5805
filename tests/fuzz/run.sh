#!/usr/bin/env bash
# Runs every fuzz target for a bounded time, from the committed seeds.
#
#   tests/fuzz/run.sh            # 45 s a target (what CI runs)
#   SECONDS_EACH=600 FUZZ_SEED=0 tests/fuzz/run.sh sync_frame intents
#
# The seed is fixed (1) unless FUZZ_SEED says otherwise (0: libFuzzer picks one), so
# that every run explores the same path as far as its time allows and what CI finds
# reproduces; long exploratory runs should pass FUZZ_SEED=0.
# Needs the nightly toolchain (libFuzzer's instrumentation) and cargo-fuzz
# (`cargo install cargo-fuzz --locked`; .ci/run installs it). New inputs the
# fuzzer finds go to a throwaway corpus, so the seeds stay as committed; a
# crash is saved under tests/fuzz/artifacts/<target>/ and fails the run.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
seconds="${SECONDS_EACH:-45}"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(sync_frame update intents template); fi

cd "$repo"
cargo +nightly fuzz build --fuzz-dir tests/fuzz -O
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for target in "${targets[@]}"; do
  mkdir -p "$work/$target"
  echo "fuzzing $target for ${seconds}s"
  status=0
  cargo +nightly fuzz run --fuzz-dir tests/fuzz -O "$target" "$work/$target" "tests/fuzz/seeds/$target" -- \
    -seed="${FUZZ_SEED:-1}" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 >"$work/$target.log" 2>&1 ||
    status=$?
  grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|Done [0-9]+ runs)' "$work/$target.log" || true
  if [ "$status" -ne 0 ]; then
    tail -n 60 "$work/$target.log" >&2
    echo "fuzz target $target failed (exit $status); the input is under tests/fuzz/artifacts/$target/" >&2
    exit 1
  fi
done
echo "every fuzz target ran ${seconds}s without a crash"
