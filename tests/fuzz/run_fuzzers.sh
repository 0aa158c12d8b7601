#!/bin/sh
# Runs every libFuzzer target built in BUILD_DIR for SECONDS each, seeded from
# the test fixtures, and prints a table. Crashing inputs land in
# BUILD_DIR/fuzz-artifacts/; copy each to tests/fixtures/fuzz/<target>/ once
# fixed, where the unit suite replays it forever after.
#   run_fuzzers.sh BUILD_DIR SECONDS
set -u
build_dir=$1
seconds=$2
src_dir=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$build_dir/fuzz-artifacts"
printf '%-20s %14s %10s %8s\n' target executions exec/s crashes
total_crashes=0
for fuzzer in "$build_dir"/tests/muniscope_fuzz_*; do
  [ -x "$fuzzer" ] || continue
  name=${fuzzer##*/muniscope_fuzz_}
  corpus="$build_dir/fuzz-corpus/$name"
  mkdir -p "$corpus"
  for seed in $(MUNISCOPE_FUZZ_PRINT_SEEDS=1 "$fuzzer"); do
    find "$src_dir/tests/fixtures/$seed" -maxdepth 1 -type f -size -256k -exec cp {} "$corpus/" \; 2>/dev/null
  done
  if [ -d "$src_dir/tests/fixtures/fuzz/$name" ]; then
    cp "$src_dir/tests/fixtures/fuzz/$name"/* "$corpus/" 2>/dev/null
  fi
  log="$build_dir/fuzz-artifacts/$name.log"
  before=$(ls "$build_dir/fuzz-artifacts" | grep -c "^$name-")
  "$fuzzer" "$corpus" -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 \
    -max_len=262144 -artifact_prefix="$build_dir/fuzz-artifacts/$name-" >"$log" 2>&1
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  after=$(ls "$build_dir/fuzz-artifacts" | grep -c "^$name-")
  crashes=$((after - before))
  total_crashes=$((total_crashes + crashes))
  printf '%-20s %14s %10s %8s\n' "$name" "${execs:-?}" "${rate:-?}" "$crashes"
done
if [ "$total_crashes" -gt 0 ]; then
  echo "crashing inputs: $build_dir/fuzz-artifacts/ (logs beside them)"
  exit 1
fi
