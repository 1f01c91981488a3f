#!/usr/bin/env bash
# ls as restic users expect it: the whole snapshot lists everything; a
# directory named on the command line lists its own entries, and with
# -R/--recursive everything below it (issue 18).
source "$(dirname "$0")/lib.sh"

repo=(--repo "$WORK/repo")
offsite "${repo[@]}" init >/dev/null
data=$WORK/data
mkdir -p "$data/a/b/c"
printf 'top\n' >"$data/top.txt"
printf 'deep\n' >"$data/a/b/c/deep.txt"
offsite "${repo[@]}" backup "$data" >/dev/null 2>&1

offsite "${repo[@]}" ls latest >"$WORK/all.out"
grep -qxF "$data/a/b/c/deep.txt" "$WORK/all.out" || fail "ls of the snapshot: $(cat "$WORK/all.out")"

offsite "${repo[@]}" ls latest "$data" >"$WORK/own.out"
[[ $(cat "$WORK/own.out") == "$data/a"$'\n'"$data/top.txt" ]] || fail "ls DIR: $(cat "$WORK/own.out")"

for flag in -R --recursive; do
  offsite "${repo[@]}" ls "$flag" latest "$data/a" >"$WORK/rec.out"
  [[ $(cat "$WORK/rec.out") == "$data/a/b"$'\n'"$data/a/b/c"$'\n'"$data/a/b/c/deep.txt" ]] ||
    fail "ls $flag DIR: $(cat "$WORK/rec.out")"
done
offsite "${repo[@]}" --json ls --recursive latest "$data/a" >"$WORK/rec.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
assert [n["path"].rsplit("/", 1)[-1] for n in d["nodes"]] == ["b", "c", "deep.txt"], d' "$WORK/rec.json" ||
  fail "ls --json --recursive: $(cat "$WORK/rec.json")"
echo "ok"
