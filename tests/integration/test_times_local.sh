#!/usr/bin/env bash
# Times read the same everywhere: every table (snapshots, key list) shows
# local time, JSON shows UTC, and backup --time reads local time (or UTC
# with a trailing Z), so a time typed from a table names that moment. The
# first key file (init) records host and user, as later ones do.
source "$(dirname "$0")/lib.sh"
export TZ=Etc/GMT-2 # UTC+2 all year

repo=(--repo "$WORK/repo")
mkdir -p "$WORK/data"
printf 'x\n' >"$WORK/data/x"
offsite "${repo[@]}" init >/dev/null
offsite "${repo[@]}" backup --time "2024-05-01 12:00:00" "$WORK/data" >/dev/null
offsite "${repo[@]}" backup --time "2024-06-01T12:00:00Z" "$WORK/data" >/dev/null

offsite "${repo[@]}" snapshots >"$WORK/table"
grep -q '2024-05-01 12:00:00' "$WORK/table" || fail "--time local != table: $(cat "$WORK/table")"
grep -q '2024-06-01 14:00:00' "$WORK/table" || fail "--time ...Z not UTC: $(cat "$WORK/table")"
offsite "${repo[@]}" --json snapshots | python3 -c '
import json, sys
times = sorted(s["time"][:19] for s in json.load(sys.stdin)["snapshots"])
assert times == ["2024-05-01T10:00:00", "2024-06-01T12:00:00"], times' ||
  fail "JSON times are not UTC"

# key list: local time like snapshots; JSON keeps UTC; host and user set.
offsite "${repo[@]}" --json key list >"$WORK/keys.json"
created=$(python3 -c '
import json, sys
k = json.load(open(sys.argv[1]))["keys"]
assert len(k) == 1 and k[0]["host"] and k[0]["user"], k
print(k[0]["created"])' "$WORK/keys.json") || fail "first key file: $(cat "$WORK/keys.json")"
local_created=$(date -d "$created" '+%Y-%m-%d %H:%M:%S')
offsite "${repo[@]}" key list >"$WORK/keys.txt"
grep -qF "$local_created" "$WORK/keys.txt" || fail "key list not local ($local_created): $(cat "$WORK/keys.txt")"
grep -qF "$(hostname)" "$WORK/keys.txt" || fail "key list has no host: $(cat "$WORK/keys.txt")"
echo ok
