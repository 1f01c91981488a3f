#!/usr/bin/env bash
# Prune never deletes data a rebuild could recover (issue 16, section 1): a
# pack no index names has its header read, and is kept (and indexed again)
# when a snapshot uses what it holds. Before, prune either deleted every
# unindexed pack or, with the index gone, stopped with "no pack holds it".
source "$(dirname "$0")/lib.sh"

repo=$WORK/repo
r=(--repo "$repo")
json_last() { tail -n1 "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2"; }

offsite "${r[@]}" init >/dev/null
data=$WORK/data
mkdir -p "$data"
head -c 3000000 /dev/urandom >"$data/old.bin"
offsite "${r[@]}" --json backup "$data" >"$WORK/b1.json"
snap1=$(json_last "$WORK/b1.json" snapshot_id)
rm "$data/old.bin"
head -c 3000000 /dev/urandom >"$data/new.bin"
printf 'kept\n' >"$data/small.txt"
offsite "${r[@]}" --json backup "$data" >"$WORK/b2.json"
cp -a "$data" "$WORK/expected"
offsite "${r[@]}" forget "$snap1" >/dev/null 2>&1 || fail "forget $snap1"
packs_before=$(find "$repo/data" -type f | wc -l)
((packs_before >= 2)) || fail "expected at least 2 packs, found $packs_before"

# Every index file lost: all packs are unindexed now.
rm "$repo"/index/*
offsite "${r[@]}" prune --dry-run >"$WORK/dry.out" 2>&1 || fail "prune --dry-run: $(cat "$WORK/dry.out")"
grep -q "pack.* in no index (left by an interrupted run): [1-9][0-9]* holding blobs in use would be indexed again" "$WORK/dry.out" ||
  fail "dry run did not say it would index the used packs again: $(cat "$WORK/dry.out")"
[[ $(find "$repo/data" -type f | wc -l) == "$packs_before" ]] || fail "the dry run deleted packs"
[[ -z $(ls "$repo/index") ]] || fail "the dry run wrote an index file"

offsite "${r[@]}" --json prune >"$WORK/prune.json" 2>"$WORK/prune.err" || fail "prune: $(cat "$WORK/prune.err")"
tail -n1 "$WORK/prune.json" | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s["unindexed_packs"] >= 2, s
assert s["unindexed_kept"] >= 1, s
assert s["deleted"]["packs"] >= 1, s   # the forgotten snapshot'"'"'s pack
assert s["unreadable_packs"] == [], s
' || fail "prune summary: $(tail -n1 "$WORK/prune.json")"

# The remaining snapshot restores byte-identical, and the repository is whole.
offsite "${r[@]}" restore latest --target "$WORK/restore" >/dev/null 2>&1 || fail "restore after prune"
compare_trees "$WORK/expected" "$WORK/restore$data"
offsite "${r[@]}" --json check --read-data >"$WORK/check.json" 2>&1 || fail "check after prune: $(cat "$WORK/check.json")"
[[ $(json_last "$WORK/check.json" unindexed_packs) == 0 ]] || fail "packs left unindexed: $(tail -n1 "$WORK/check.json")"

# A pack with an unreadable header and no index is left alone, and named.
mkdir -p "$repo/data/00"
printf 'garbage' >"$repo/data/00/$(printf '0%.0s' {1..64})"
offsite "${r[@]}" prune >"$WORK/p2.out" 2>&1 || fail "prune with an unreadable pack: $(cat "$WORK/p2.out")"
grep -q "1 pack in no index whose header cannot be read: left alone" "$WORK/p2.out" ||
  fail "the unreadable pack was not named: $(cat "$WORK/p2.out")"
[[ -f $repo/data/00/$(printf '0%.0s' {1..64}) ]] || fail "prune deleted the unreadable pack"
echo "ok"
