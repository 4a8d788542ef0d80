#!/bin/bash
# Runs every test binary in $1 from the repository root; fails if any fails.
# Prints a closing "N passed, N failed" line over the test binaries (and
# the fixture check, when it runs).
dir=$1
pass=0; fail=0; failed=()
for t in "$dir"/test_*; do
  [ -x "$t" ] || continue
  echo "== $(basename "$t")"
  if "$t"; then pass=$((pass+1)); else fail=$((fail+1)); failed+=("$(basename "$t")"); fi
done
# The fixture references re-derived independently (float64 numpy interpreter
# of each graph, finite differences): check_refs.py needs Debian's
# python3-numpy only (in the Makefile's DEB_PACKAGES), so a missing numpy is
# a failure, not a skip.
echo "== tests/fixtures/check_refs.py"
if ! /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
  echo "/usr/bin/python3 lacks numpy: run make deps (python3-numpy)"
  fail=$((fail+1)); failed+=("check_refs.py")
elif /usr/bin/python3 tests/fixtures/check_refs.py > /tmp/xai-check-refs.$$ 2>&1; then
  pass=$((pass+1)); tail -1 /tmp/xai-check-refs.$$
else
  cat /tmp/xai-check-refs.$$; fail=$((fail+1)); failed+=("check_refs.py")
fi
rm -f /tmp/xai-check-refs.$$
echo
[ $fail -eq 0 ] || echo "failed: ${failed[*]}"
echo "binaries: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
