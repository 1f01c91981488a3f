#!/usr/bin/env bash
# Self-healing and repair on a data-centre account (a local server pair):
# a planted zero-length index object is skipped with a warning naming
# "offsite repair index"; a backup after a pack was deleted on the server
# stores that data again and its snapshot restores; with every index file
# deleted, check advises "offsite repair index" and repair index brings
# back a repository that passes check --read-data and restores
# byte-identical. On an append-only account repair refuses (exit 5) before
# it changes anything; its dry run still runs.
source "$(dirname "$0")/lib.sh"

start_pair 127.239.112.171 127.239.113.171
cfg=(--config-dir "$WORK/cfg")
offsite "${cfg[@]}" register "${REGISTER_ARGS[@]}" >"$WORK/register.out"
account=$(sed -n 's/^registered account \([0-9a-f]*\) .*/\1/p' "$WORK/register.out")
[[ -n $account ]] || fail "no account ID in: $(cat "$WORK/register.out")"
repo=$DC/store/accounts/$account/repo

data=$WORK/data
mkdir -p "$data"
head -c 20000000 /dev/urandom >"$data/big1.bin"
head -c 20000000 /dev/urandom >"$data/big2.bin"
printf 'small\n' >"$data/small.txt"
offsite "${cfg[@]}" backup "$data" >/dev/null 2>&1
[[ -d $repo/index ]] || fail "no index directory at $repo"

# A damaged index object does not stop the account.
zero=$(printf '0%.0s' $(seq 64))
: >"$repo/index/$zero"
offsite "${cfg[@]}" snapshots >/dev/null 2>"$WORK/s1.err" || fail "snapshots: $(cat "$WORK/s1.err")"
grep -q "index/$zero skipped.*offsite repair index" "$WORK/s1.err" || fail "no warning: $(cat "$WORK/s1.err")"
rm "$repo/index/$zero"

# Self-healing: a pack deleted on the server is stored again.
lost=$(find "$repo/data" -type f -printf '%s %p\n' | sort -n | tail -n1 | cut -d' ' -f2)
rm "$lost"
offsite "${cfg[@]}" backup "$data" >"$WORK/b2.out" 2>&1 || fail "backup: $(cat "$WORK/b2.out")"
grep -q "pack missing from the repository" "$WORK/b2.out" || fail "no warning: $(cat "$WORK/b2.out")"
offsite "${cfg[@]}" restore latest --target "$WORK/r2" >/dev/null 2>&1 || fail "the new snapshot does not restore"
compare_trees "$data" "$WORK/r2$data"

# Every index file gone: check advises repair index; repair brings all back.
rm -f "$repo"/index/*
expect_exit 8 offsite "${cfg[@]}" check >"$WORK/c3.out" 2>&1
grep -q 'offsite repair index' "$WORK/c3.out" || fail "check advice: $(cat "$WORK/c3.out")"

"$OFFSITED_BIN" account set --data "$DC" "$account" --append-only on >/dev/null
expect_exit 5 offsite "${cfg[@]}" repair index >"$WORK/ao.out" 2>&1
[[ -z $(ls "$repo/index") ]] || fail "repair on an append-only account wrote index files"
offsite "${cfg[@]}" repair index --dry-run >"$WORK/ao-dry.out" 2>&1 || fail "dry run: $(cat "$WORK/ao-dry.out")"
"$OFFSITED_BIN" account set --data "$DC" "$account" --append-only off >/dev/null

offsite "${cfg[@]}" --json repair index >"$WORK/repair.json" 2>"$WORK/repair.err" || fail "repair index: $(cat "$WORK/repair.err")"
tail -n1 "$WORK/repair.json" | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s["command"] == "repair index" and s["changed"] and s["damaged_packs"] == [], s
assert s["index_files_written"] >= 1, s' || fail "repair summary: $(tail -n1 "$WORK/repair.json")"
offsite "${cfg[@]}" check --read-data >"$WORK/c4.out" 2>&1 || fail "check after repair: $(cat "$WORK/c4.out")"
rm -rf "$WORK/r4"
offsite "${cfg[@]}" restore latest --target "$WORK/r4" >/dev/null 2>&1
compare_trees "$data" "$WORK/r4$data"
echo "ok"
