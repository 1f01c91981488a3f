#!/usr/bin/env bash
# Integration scenarios run in parallel, each on its own loopback addresses
# (127.239.112.x / 127.239.113.x stand in for the service subnets). Two
# scenarios that share an address fail at random with "Address already in
# use", so a shared host address is refused here, before it flakes in CI.
# The subnets themselves (x.0) are shared by design. Proxies listen on
# 127.0.0.1 and a port of their own, checked the same way.
set -euo pipefail
cd "${SOURCE_DIR:?}/tests/integration"
shared=$(
  for script in test_*.sh; do
    {
      grep -oE '127\.239\.11[23]\.[0-9]+' "$script" | grep -vE '\.0$' || true
      grep -oE 'start_(microsocks|tinyproxy|danted|socat)[a-z_]* [0-9]+' "$script" |
        sed 's/.* /127.0.0.1:/' || true
    } | sort -u | sed "s|\$| $script|"
  done | awk '{ users[$1] = users[$1] " " $2; count[$1]++ }
              END { for (a in count) if (count[a] > 1) print a ":" users[a] }' | sort
)
if [[ -n $shared ]]; then
  echo "integration scenarios sharing a loopback address (give each its own):" >&2
  echo "$shared" >&2
  exit 1
fi
echo "every scenario has its own addresses"
