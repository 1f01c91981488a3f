#!/usr/bin/env bash
# Each doctest case becomes a ctest of its own (doctest_discover_tests),
# and the discovery splits its list of names at ';'. A case whose name holds
# ';' therefore becomes ctests whose filters match no case: they pass
# without running anything. Such names are refused here, from the case
# names the built unit tests list.
set -euo pipefail
cd "${BUILD_DIR:?}/tests"
binaries=0
bad=""
for test in test_*; do
  [[ -f $test && -x $test ]] || continue
  binaries=$((binaries + 1))
  if ! names=$("./$test" --list-test-cases 2>&1); then
    echo "$test --list-test-cases failed:" >&2
    echo "$names" >&2
    exit 1
  fi
  while IFS= read -r name; do
    bad+="  $test: $name"$'\n'
  done < <(grep -v '^\[doctest\]' <<<"$names" | grep ';' || true)
done
if ((binaries == 0)); then
  echo "no unit tests built in $BUILD_DIR/tests" >&2
  exit 1
fi
if [[ -n $bad ]]; then
  echo "test cases whose names hold ';' (ctest would split them and run nothing); rename them:" >&2
  printf '%s' "$bad" >&2
  exit 1
fi
echo "$binaries unit tests, no case name holds ';'"
