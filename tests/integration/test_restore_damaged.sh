#!/usr/bin/env bash
# A restore brings back everything it can (issues 16 and 18): with bytes
# flipped in packs of a 300-file backup, restore exits with the integrity
# code (8), names exactly the files check --read-data names (text and JSON),
# leaves no partial file behind, restores every other file byte-identical
# and gives the directories their modes. Before, the first damaged blob
# stopped the restore and left directories at mode 0700.
# A whole pack deleted costs only the files in it too (or, when it held a
# directory's listing, what is below that directory, which is named).
source "$(dirname "$0")/lib.sh"

repo=$WORK/repo
r=(--repo "$repo")
offsite "${r[@]}" init >/dev/null
data=$WORK/data
mkdir -p "$data/a/deep" "$data/b"
for i in $(seq 1 300); do
  head -c $((RANDOM * 7 % 150000 + 1)) /dev/urandom >"$data/$((i % 3 == 0 ? 1 : 0))-f$i"
done
mv "$data"/1-f* "$data/a/"
for i in 1 2 3; do head -c 5000000 /dev/urandom >"$data/b/big$i"; done
printf 'deep\n' >"$data/a/deep/file"
chmod 750 "$data/a"
chmod 705 "$data/a/deep"
chmod 700 "$data/b"
offsite "${r[@]}" backup "$data" >/dev/null 2>&1

# Damage: one byte in the middle of each of the two largest packs (data).
for pack in $(find "$repo/data" -type f -printf '%s %p\n' | sort -n | tail -n2 | cut -d' ' -f2); do
  python3 - "$pack" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 3] ^= 0x40
open(p, "wb").write(bytes(b))
PY
done

expect_exit 8 offsite "${r[@]}" --json check --read-data >"$WORK/check.json" 2>/dev/null
python3 - "$WORK/check.json" >"$WORK/check.paths" <<'PY'
import json, sys
paths = set()
for line in open(sys.argv[1]):
    d = json.loads(line)
    for a in d.get("affected", []):
        paths.add(a["path"])
print("\n".join(sorted(paths)))
PY
[[ -s $WORK/check.paths ]] || fail "check named no damaged file: $(cat "$WORK/check.json")"

# Text: exit 8, each damaged file named, then the summary error.
expect_exit 8 offsite "${r[@]}" restore latest --target "$WORK/out" >/dev/null 2>"$WORK/restore.err"
while read -r path; do
  grep -qF "warning: $path: not restored: its data is damaged or missing (pack " "$WORK/restore.err" ||
    fail "restore did not name $path: $(cat "$WORK/restore.err")"
done <"$WORK/check.paths"
grep -q "error: $(wc -l <"$WORK/check.paths") entr[a-z]* could not be restored" "$WORK/restore.err" ||
  fail "no closing error: $(cat "$WORK/restore.err")"

# Every other file is byte-identical, with its metadata; nothing partial is left.
cp -a "$data" "$WORK/expected"
while read -r path; do
  rel=${path#"$data"}
  rm "$WORK/expected$rel"
  touch -r "$data$(dirname "$rel")" "$WORK/expected$(dirname "$rel")" # the rm changed its mtime
done <"$WORK/check.paths"
compare_trees "$WORK/expected" "$WORK/out$data"
[[ -z $(find "$WORK/out" -name '*.offsite-tmp-*') ]] || fail "temporary files left behind"
[[ $(stat -c %a "$WORK/out$data/a") == 750 && $(stat -c %a "$WORK/out$data/a/deep") == 705 ]] ||
  fail "directory modes: $(stat -c '%a %n' "$WORK/out$data/a" "$WORK/out$data/a/deep")"

# JSON: the damaged list is exactly what check named.
expect_exit 8 offsite "${r[@]}" --json restore latest --target "$WORK/out2" >"$WORK/restore.json" 2>/dev/null
python3 - "$WORK/restore.json" "$WORK/check.paths" <<'PY' || fail "restore JSON: $(cat "$WORK/restore.json")"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
summary = [l for l in lines if l["type"] == "summary"][0]
named = sorted(d["path"] for d in summary["damaged"])
expected = sorted(open(sys.argv[2]).read().split())
assert named == expected, (named, expected)
assert all(d["node_type"] == "file" and "pack " in d["reason"] for d in summary["damaged"]), summary
assert lines[-1]["type"] == "error" and lines[-1]["exit_code"] == 8, lines[-1]
PY

# A deleted pack: the files it held are named, the rest restored.
rm "$(find "$repo/data" -type f -printf '%s %p\n' | sort -n | tail -n1 | cut -d' ' -f2)"
expect_exit 8 offsite "${r[@]}" restore latest --target "$WORK/out3" >/dev/null 2>"$WORK/restore3.err"
grep -q "not restored: its data is damaged or missing (pack .* is missing" "$WORK/restore3.err" ||
  fail "a missing pack: $(cat "$WORK/restore3.err")"
# Every file is restored, named, or below a directory named as unreadable.
python3 - "$data" "$WORK/out3$data" "$WORK/restore3.err" <<'PY' || fail "a missing pack: $(cat "$WORK/restore3.err")"
import os, re, sys
data, out, err = sys.argv[1:]
files = {os.path.join(d, f) for d, _, fs in os.walk(data) for f in fs}
restored = {os.path.join(d, f).replace(out, data, 1) for d, _, fs in os.walk(out) for f in fs}
text = open(err).read()
named = set(re.findall(r"warning: (\S+): not restored: its data is damaged or missing", text))
dirs = set(re.findall(r"warning: (\S+): directory restored empty: its listing cannot be read", text))
below = {f for f in files if any(f.startswith(d + "/") for d in dirs)}
assert restored and named, text
assert not (restored & named), restored & named
assert restored | named | below == files, sorted(files - restored - named - below)[:5]
PY
echo "ok"
