#!/usr/bin/env bash
# A name `ls` prints escaped (lat1\xe9: a byte that is not UTF-8; a real
# backslash as \x5c) can be passed back as printed: to ls, and to restore
# SNAPSHOT:PATH. ls --json keeps such a name exact in a "path_hex" twin, as
# snapshot documents do, so two names that differ only in invalid bytes stay
# apart.
source "$(dirname "$0")/lib.sh"

repo=(--repo "$WORK/repo")
data=$WORK/data
mkdir -p "$data/dir"$'\xe9'
printf 'latin1\n' >"$data/lat1"$'\xe9'
printf 'other\n' >"$data/lat1"$'\xe8'
printf 'backslash\n' >"$data/back"'\x41'
printf 'inside\n' >"$data/dir"$'\xe9'"/file"
offsite "${repo[@]}" init >/dev/null
offsite "${repo[@]}" backup "$data" >/dev/null

offsite "${repo[@]}" ls latest >"$WORK/ls.out"
grep -qxF "$data/lat1\\xe9" "$WORK/ls.out" || fail "ls does not print lat1\\xe9: $(cat "$WORK/ls.out")"
grep -qxF "$data/back\\x5cx41" "$WORK/ls.out" || fail "a backslash is not \\x5c: $(cat "$WORK/ls.out")"

# Each printed name, passed back to ls, names that one entry.
for printed in "$data/lat1\\xe9" "$data/lat1\\xe8" "$data/back\\x5cx41" "$data/dir\\xe9/file"; do
  out=$(offsite "${repo[@]}" ls latest "$printed" 2>&1) || fail "ls latest $printed: $out"
  [[ $out == "$printed" ]] || fail "ls latest $printed printed: $out"
done
offsite "${repo[@]}" ls latest "$data/dir\\xe9" >"$WORK/dir.out"
grep -qxF "$data/dir\\xe9/file" "$WORK/dir.out" || fail "ls of dir\\xe9: $(cat "$WORK/dir.out")"

# restore SNAPSHOT:PATH with the printed form restores those bytes.
offsite "${repo[@]}" restore "latest:$data/lat1\\xe9" --target "$WORK/r1" >/dev/null
cmp "$data/lat1"$'\xe9' "$WORK/r1/lat1"$'\xe9' || fail "restore of lat1\\xe9 differs"
[[ ! -e "$WORK/r1/lat1"$'\xe8' ]] || fail "restore of lat1\\xe9 brought lat1\\xe8 too"
offsite "${repo[@]}" restore "latest:$data/back\\x5cx41" --target "$WORK/r2" >/dev/null
cmp "$data/back"'\x41' "$WORK/r2/back"'\x41' || fail "restore of back\\x5cx41 differs"

# A name not in the snapshot is named in its printed form.
out=$(offsite "${repo[@]}" ls latest "$data/lat1\\xea" 2>&1) && fail "ls of a missing name: $out"
[[ $out == *"lat1\\xea is not in snapshot"* ]] || fail "missing name message: $out"

# ls --json: invalid UTF-8 gets a lossless path_hex twin; valid names none.
offsite "${repo[@]}" --json ls latest >"$WORK/ls.json"
python3 - "$WORK/ls.json" "$data" <<'PY' || fail "ls --json: $(cat "$WORK/ls.json")"
import json, sys
doc = json.load(open(sys.argv[1]))
data = sys.argv[2].encode()
nodes = doc["nodes"]
by_bytes = {}
for n in nodes:
    raw = bytes.fromhex(n["path_hex"]) if "path_hex" in n else n["path"].encode()
    if "path_hex" in n:
        assert bytes.fromhex(n["path_hex"]).decode("utf-8", "replace") == n["path"], n
    else:
        n["path"].encode("utf-8")
    by_bytes[raw] = n
for name in [b"/lat1\xe9", b"/lat1\xe8", b"/dir\xe9", b"/dir\xe9/file"]:
    assert data + name in by_bytes and "path_hex" in by_bytes[data + name], name
assert "path_hex" not in by_bytes[data + b"/back\\x41"]
assert by_bytes[data + b"/lat1\xe9"]["path"] == by_bytes[data + b"/lat1\xe8"]["path"]
PY
echo ok
