#!/usr/bin/env bash
# clang-tidy with the checks in .clang-tidy (WarningsAsErrors) on every
# product source, using the build's compile_commands.json; any finding fails.
set -euo pipefail
cd "${SOURCE_DIR:?}"
db=${BUILD_DIR:?}/compile_commands.json
[[ -f $db ]] || {
  echo "no $db: configure with CMAKE_EXPORT_COMPILE_COMMANDS (the top CMakeLists sets it)" >&2
  exit 1
}
# A unity build's database names the merged sources, not ours: configure (only)
# a per-file twin of the same build beside it.
if grep -q '/Unity/unity_' "$db"; then
  cmake -S . -B "$BUILD_DIR/tidy-db" -G Ninja -DOFFSITE_UNITY=OFF >/dev/null
  BUILD_DIR=$BUILD_DIR/tidy-db
fi
command -v clang-tidy >/dev/null || {
  echo "clang-tidy is missing: run scripts/install-deps --test" >&2
  exit 1
}
mapfile -t files < <(git ls-files 'util/*.cpp' 'core/*.cpp' 'transport/*.cpp' 'cli/*.cpp' 'server/*.cpp' 2>/dev/null ||
  find util core transport cli server -name '*.cpp')
((${#files[@]} > 0)) || {
  echo "no sources found under $PWD" >&2
  exit 1
}
# One clang-tidy per core. Any finding fails (WarningsAsErrors), and so does
# a clang-tidy that exits non-zero for any other reason (a crash, a source it
# cannot parse): xargs reports either as a non-zero status.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
printf '%s\n' "${files[@]}" |
  xargs -P "$(nproc)" -n 4 clang-tidy -p "$BUILD_DIR" --quiet >"$log" 2>&1 || status=$?
# --quiet still counts the warnings it suppressed in system headers.
grep -vE '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$|^Suppressed|^Use -header-filter' "$log" || true
if ((status != 0)) || grep -qE '(warning|error):' "$log"; then
  echo "clang-tidy failed (status $status) or found the problems above (checks: .clang-tidy)" >&2
  exit 1
fi
echo "clang-tidy: ${#files[@]} files clean"
