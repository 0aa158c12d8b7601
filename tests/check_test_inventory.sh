#!/bin/sh
# Every doctest case defined in a suite must be registered with ctest under
# its exact name, so that ctest runs every case that was written. (CMake
# splits names at ';', and a split name used to run no case and pass.)
#   check_test_inventory.sh BUILD_DIR SUITE_EXECUTABLE...
set -eu
build_dir=$1
shift
registered=$(mktemp)
defined=$(mktemp)
trap 'rm -f "$registered" "$defined"' EXIT
(cd "$build_dir" && ctest -N) | sed -n 's/^ *Test *#[0-9]*: //p' | sort > "$registered"
for suite in "$@"; do
  "$suite" --list-test-cases --no-version | grep -v '^\[doctest\]' | grep -v '^=*$' | sed 's/ *$//'
done | sort > "$defined"
missing=$(comm -23 "$defined" "$registered")
if [ -n "$missing" ]; then
  echo "test cases defined but not registered with ctest under their name:"
  echo "$missing"
  exit 1
fi
echo "$(wc -l < "$defined") test cases defined, every one registered with ctest"
