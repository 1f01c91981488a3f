#!/usr/bin/env bash
# Every C++ source is clang-format clean (.clang-format at the top).
set -euo pipefail
cd "${SOURCE_DIR:?}"
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' 2>/dev/null || find cli core transport server tests -name '*.[ch]pp')
clang-format --dry-run --Werror "${files[@]}"
