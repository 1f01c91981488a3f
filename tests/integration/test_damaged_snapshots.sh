#!/usr/bin/env bash
# One damaged snapshot object blocks only itself (issue 16, section 1): with
# one bit flipped in the newest snapshot, `snapshots` lists the others and
# names the damaged one (stderr; a "damaged" list in --json), as do ls, diff
# and stats; prune stops naming it and `forget ID`; `restore latest`
# and backup's parent choice use the newest intact one, forget by policy
# leaves the damaged object alone (and says so), and `forget ID` removes it.
# A stray non-hash name under snapshots/ is ignored with a warning.
source "$(dirname "$0")/lib.sh"
export TZ=UTC

repo=(--repo "$WORK/repo")
offsite "${repo[@]}" init >/dev/null
mkdir -p "$WORK/data" "$WORK/out"

printf 'old state\n' >"$WORK/data/file.txt"
offsite "${repo[@]}" backup --host h1 --time "2024-01-01 10:00:00" "$WORK/data" >/dev/null
old=$(ls "$WORK/repo/snapshots")
printf 'new state\n' >"$WORK/data/file.txt"
offsite "${repo[@]}" backup --host h1 --time "2024-01-02 10:00:00" "$WORK/data" >/dev/null
new=$(ls "$WORK/repo/snapshots" | grep -v "$old")
[[ -n $old && -n $new ]] || fail "two snapshots expected"

# Flip one bit in the newest snapshot object.
python3 - "$WORK/repo/snapshots/$new" <<'EOF'
import sys
path = sys.argv[1]
data = bytearray(open(path, "rb").read())
data[len(data) // 2] ^= 0x01
open(path, "wb").write(bytes(data))
EOF

# snapshots: the intact one is listed, the damaged one named on stderr.
offsite "${repo[@]}" snapshots >"$WORK/list.out" 2>"$WORK/list.err" ||
  fail "snapshots failed: $(cat "$WORK/list.err")"
grep -q "^${old:0:8} " "$WORK/list.out" || fail "intact snapshot not listed: $(cat "$WORK/list.out")"
grep -q "^${new:0:8} " "$WORK/list.out" && fail "damaged snapshot listed as intact"
grep -q "damaged snapshot $new" "$WORK/list.err" || fail "damage not named: $(cat "$WORK/list.err")"
grep -q "offsite forget $new" "$WORK/list.err" || fail "no forget hint: $(cat "$WORK/list.err")"

offsite "${repo[@]}" --json snapshots >"$WORK/list.json" 2>/dev/null
python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
assert d["type"] == "snapshots", d
assert [s["id"] for s in d["snapshots"]] == [sys.argv[2]], d
assert d["damaged"] == [sys.argv[3]], d' "$WORK/list.json" "$old" "$new" ||
  fail "snapshots JSON: $(cat "$WORK/list.json")"

# restore latest: the newest intact snapshot.
offsite "${repo[@]}" restore latest --target "$WORK/out" 2>"$WORK/restore.err" ||
  fail "restore latest failed: $(cat "$WORK/restore.err")"
[[ $(cat "$WORK/out$WORK/data/file.txt") == "old state" ]] || fail "restore latest: wrong snapshot"

# ls, diff and stats read the intact snapshots and name the damaged one.
for cmd in "ls latest" "diff latest latest" "stats"; do
  # shellcheck disable=SC2086
  offsite "${repo[@]}" $cmd >"$WORK/cmd.out" 2>"$WORK/cmd.err" || fail "$cmd failed: $(cat "$WORK/cmd.err")"
  grep -q "damaged snapshot $new is left out" "$WORK/cmd.err" || fail "$cmd: damage not named: $(cat "$WORK/cmd.err")"
done
offsite "${repo[@]}" --json stats >"$WORK/stats.json" 2>/dev/null
python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
assert d["snapshots"] == 1 and d["damaged"] == [sys.argv[2]], d' "$WORK/stats.json" "$new" ||
  fail "stats JSON: $(cat "$WORK/stats.json")"

# prune: stops before deleting anything, naming the snapshot and the remedy.
expect_exit 8 offsite "${repo[@]}" prune >/dev/null 2>"$WORK/prune.err"
grep -q "snapshot $new is damaged" "$WORK/prune.err" || fail "prune: $(cat "$WORK/prune.err")"
grep -q "offsite forget $new" "$WORK/prune.err" || fail "prune hint: $(cat "$WORK/prune.err")"

# backup: works, with the intact snapshot as its parent.
printf 'third state\n' >"$WORK/data/file.txt"
offsite "${repo[@]}" --json backup --host h1 --time "2024-01-03 10:00:00" "$WORK/data" \
  >"$WORK/backup.json" 2>"$WORK/backup.err" || fail "backup failed: $(cat "$WORK/backup.err")"
third=$(python3 -c 'import json,sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    if d["type"] == "summary": print(d["snapshot_id"])' "$WORK/backup.json")
offsite "${repo[@]}" --json snapshots >"$WORK/list2.json" 2>/dev/null
python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
s = {x["id"]: x for x in d["snapshots"]}
assert s[sys.argv[2]].get("parent") == sys.argv[3], d' "$WORK/list2.json" "$third" "$old" ||
  fail "parent of the new backup: $(cat "$WORK/list2.json")"

# A stray name under snapshots/ is ignored with a warning.
printf 'junk' >"$WORK/repo/snapshots/not-a-snapshot"
offsite "${repo[@]}" snapshots >/dev/null 2>"$WORK/stray.err" ||
  fail "a stray name broke snapshots: $(cat "$WORK/stray.err")"
grep -q 'not-a-snapshot' "$WORK/stray.err" || fail "stray name not reported: $(cat "$WORK/stray.err")"
rm "$WORK/repo/snapshots/not-a-snapshot"

# forget by policy keeps the damaged object and says so.
offsite "${repo[@]}" forget --keep-last 1 >/dev/null 2>"$WORK/forget.err" ||
  fail "forget by policy failed: $(cat "$WORK/forget.err")"
[[ -f $WORK/repo/snapshots/$new ]] || fail "forget by policy removed the damaged snapshot"
[[ -f $WORK/repo/snapshots/$third ]] || fail "forget by policy removed the newest snapshot"
[[ ! -f $WORK/repo/snapshots/$old ]] || fail "forget by policy kept the old snapshot"
grep -q "damaged snapshot $new" "$WORK/forget.err" || fail "forget: damage not named"

# forget ID removes the damaged snapshot (by a prefix too).
offsite "${repo[@]}" --json forget --dry-run "$new" >"$WORK/forget.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
assert d["damaged"] == [sys.argv[2]] and d["removed"] == 0, d' "$WORK/forget.json" "$new" ||
  fail "forget JSON: $(cat "$WORK/forget.json")"
offsite "${repo[@]}" forget "${new:0:12}" >/dev/null 2>"$WORK/forget-id.err" ||
  fail "forget ID failed: $(cat "$WORK/forget-id.err")"
[[ ! -f $WORK/repo/snapshots/$new ]] || fail "forget ID left the damaged snapshot"
offsite "${repo[@]}" snapshots >/dev/null 2>"$WORK/after.err"
[[ ! -s $WORK/after.err ]] || fail "warnings after the forget: $(cat "$WORK/after.err")"
offsite "${repo[@]}" check >/dev/null 2>&1 || fail "check fails after forgetting the damage"
echo "ok"
