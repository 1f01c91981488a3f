#!/usr/bin/env bash
# Forget + prune on a data-centre account: several backups of changing data,
# two snapshots forgotten, then prune. The account's stored size shrinks,
# every remaining snapshot restores byte-identical, and check --read-data
# passes.
source "$(dirname "$0")/lib.sh"

start_pair 127.239.112.70 127.239.113.70
cfg=(--config-dir "$WORK/cfg")
offsite "${cfg[@]}" register "${REGISTER_ARGS[@]}" >"$WORK/register.out"
account=$(sed -n 's/^registered account \([0-9a-f]*\) .*/\1/p' "$WORK/register.out")
[[ -n $account ]] || fail "no account ID in: $(cat "$WORK/register.out")"
repo=$DC/store/accounts/$account/repo

stored() { find "$repo/data" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'; }
json_field() { python3 -c 'import json,sys; print(json.loads(sys.stdin.readlines()[-1])[sys.argv[1]])' "$1"; }

# Generation n: four files of fresh random data (under the chunker's minimum,
# so one blob each), plus whatever the previous generations left.
data=$WORK/data
mkdir -p "$data"
backup_generation() {
  local n=$1 i
  for i in 1 2 3 4; do head -c 300000 /dev/urandom >"$data/gen$n-$i.bin"; done
  offsite "${cfg[@]}" --json backup "$data" >"$WORK/backup$n.json"
  cp -a "$data" "$WORK/expected$n"
  tail -n1 "$WORK/backup$n.json" | json_field snapshot_id
}
snap1=$(backup_generation 1)
rm "$data"/gen1-*
snap2=$(backup_generation 2)
rm "$data"/gen2-{1,2,3}.bin # gen2-4 stays: its pack becomes mostly unused
snap3=$(backup_generation 3)
snap4=$(backup_generation 4)
[[ $(find "$repo/snapshots" -type f | wc -l) == 4 ]] || fail "expected 4 snapshots"

# Forget the first two snapshots: only their records go.
offsite "${cfg[@]}" forget "$snap1" "$snap2" >"$WORK/forget.out" 2>&1 || fail "forget: $(cat "$WORK/forget.out")"
[[ $(find "$repo/snapshots" -type f | wc -l) == 2 ]] || fail "forget left $(find "$repo/snapshots" -type f | wc -l) snapshots"
before=$(stored)

# A dry run changes nothing and says what it would do.
offsite "${cfg[@]}" prune --dry-run >"$WORK/dry.out" 2>&1
grep -q "would delete" "$WORK/dry.out" || fail "dry run said: $(cat "$WORK/dry.out")"
grep -q "would repack" "$WORK/dry.out" || fail "dry run said: $(cat "$WORK/dry.out")"
[[ $(stored) == "$before" ]] || fail "the dry run changed the stored size"

offsite "${cfg[@]}" --json prune >"$WORK/prune.json"
tail -n1 "$WORK/prune.json" | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s["type"] == "summary" and s["command"] == "prune", s
assert s["snapshots"] == 2, s
assert s["deleted"]["packs"] >= 1, s        # generation 1: nothing used any more
assert s["repacked"]["packs"] >= 1, s       # generation 2: one file of four still used
assert s["repack_kept"]["blobs"] >= 1, s
assert s["stored_after"] < s["stored_before"], s
' || fail "prune summary: $(tail -n1 "$WORK/prune.json")"
after=$(stored)
((after < before)) || fail "stored size did not shrink: $before -> $after"
((after < before * 7 / 10)) || fail "stored size shrank too little: $before -> $after"
[[ $after == $(tail -n1 "$WORK/prune.json" | json_field stored_after) ]] ||
  fail "prune reported a stored size other than the server's"

# Every remaining snapshot restores byte-identical, through the other server too.
for n in 3 4; do
  snap_var=snap$n
  offsite "${cfg[@]}" restore "${!snap_var}" --target "$WORK/restore$n"
  compare_trees "$WORK/expected$n" "$WORK/restore$n$data"
done
kill_server primary
offsite "${cfg[@]}" --json check --read-data >"$WORK/check.json"
tail -n1 "$WORK/check.json" | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s["type"] == "summary" and s["ok"] is True and s["errors"] == 0, s
assert s["snapshots"] == 2 and s["packs_read"] == s["packs"] and s["unindexed_packs"] == 0, s
' || fail "check after prune: $(tail -n1 "$WORK/check.json")"

offsite "${cfg[@]}" --json stats >"$WORK/stats.json"
python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
assert s["type"] == "stats" and s["snapshots"] == 2, s
assert s["stored_size"] == int(sys.argv[2]), s
assert s["unique_size"] == 9 * 300000, s     # gen2-4, gen3-*, gen4-*
assert s["logical_size"] == 14 * 300000, s   # 5 files in snapshot 3, 9 in snapshot 4
assert s["dedup_ratio"] > 1.5, s
' "$WORK/stats.json" "$after" || fail "stats: $(cat "$WORK/stats.json")"

# A second prune has nothing left to do.
offsite "${cfg[@]}" --json prune >"$WORK/prune2.json"
tail -n1 "$WORK/prune2.json" | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s["deleted"]["packs"] == 0 and s["repacked"]["packs"] == 0, s
' || fail "second prune: $(tail -n1 "$WORK/prune2.json")"
[[ $(stored) == "$after" ]] || fail "a second prune changed the stored size"
echo "ok"
