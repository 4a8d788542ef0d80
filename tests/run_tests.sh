#!/bin/bash
# Runs every test binary in $1 from the repository root; fails if any fails.
# Prints a closing "N passed, N failed" line over the test binaries.
dir=$1
pass=0; fail=0; failed=()
for t in "$dir"/test_*; do
  [ -x "$t" ] || continue
  echo "== $(basename "$t")"
  if "$t"; then pass=$((pass+1)); else fail=$((fail+1)); failed+=("$(basename "$t")"); fi
done
echo
[ $fail -eq 0 ] || echo "failed: ${failed[*]}"
echo "binaries: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
