#!/usr/bin/env bash
# What restore reports: with --verify every restored file counts as
# verified, hardlinked names and empty files included (a first restore of
# 90 files once said "89 verified"); --include patterns that match nothing
# restore nothing and fail with not_found (exit 9), naming the patterns,
# instead of exiting 0 as if the files were back.
source "$(dirname "$0")/lib.sh"

repo=(--repo "$WORK/repo")
data=$WORK/data
mkdir -p "$data/sub"
printf 'one\n' >"$data/one"
: >"$data/empty"
ln "$data/one" "$data/sub/second-name"
ln "$data/one" "$data/third-name"
offsite "${repo[@]}" init >/dev/null
offsite "${repo[@]}" backup "$data" >/dev/null

offsite "${repo[@]}" --json restore latest --verify --target "$WORK/r1" >"$WORK/r1.json"
python3 - "$WORK/r1.json" <<'PY' || fail "verified count: $(cat "$WORK/r1.json")"
import json, sys
s = [json.loads(l) for l in open(sys.argv[1])][-1]
assert s["type"] == "summary" and s["files"] == 4, s
assert s["verified"] == s["files"], s
PY
out=$(offsite "${repo[@]}" -v restore latest --verify --target "$WORK/r2" 2>&1)
[[ $out == *"4 files"*", 4 verified"* ]] || fail "restore -v: $out"
[[ $(stat -c %i "$WORK/r2$data/one") == $(stat -c %i "$WORK/r2$data/third-name") ]] ||
  fail "the hardlink was not restored as one"

# --include that matches nothing: exit 9, the patterns named, nothing written.
status=0
offsite "${repo[@]}" restore latest --include '/nowhere/*' --include 'nomatch.txt' \
  --target "$WORK/r3" 2>"$WORK/r3.err" || status=$?
[[ $status == 9 ]] || fail "--include matching nothing: exit $status: $(cat "$WORK/r3.err")"
grep -q 'offsite: error: nothing in snapshot [0-9a-f]\{8\} matches --include /nowhere/\*, nomatch.txt' \
  "$WORK/r3.err" || fail "message: $(cat "$WORK/r3.err")"
grep -q 'offsite: hint: patterns match the paths' "$WORK/r3.err" || fail "hint: $(cat "$WORK/r3.err")"
[[ -z $(find "$WORK/r3" -mindepth 1 2>/dev/null) ]] || fail "something was restored"
status=0
offsite "${repo[@]}" --json restore latest --include '/nowhere' --target "$WORK/r4" \
  >"$WORK/r4.json" 2>/dev/null || status=$?
[[ $status == 9 ]] || fail "--json --include matching nothing: exit $status"
python3 - "$WORK/r4.json" <<'PY' || fail "json: $(cat "$WORK/r4.json")"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1])]
assert events[-1]["type"] == "error" and events[-1]["code"] == "not_found", events[-1]
PY
# A pattern that matches restores as before.
offsite "${repo[@]}" restore latest --include "$data/one" --target "$WORK/r5" >/dev/null
cmp "$data/one" "$WORK/r5$data/one" || fail "--include that matches"
echo ok
