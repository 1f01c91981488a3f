#!/usr/bin/env bash
# Damage to a local repository heals or is repaired (issue 16, sections 1-2):
#   - a backup after a pack was deleted stores that data again: its snapshot
#     restores, check blames no snapshot for the lost pack and advises
#     "offsite repair index", which drops it from the index;
#   - a backup killed (kill -9) after uploading packs leaves them findable:
#     the rerun does not upload them again;
#   - a zero-length or misnamed index object is skipped with a warning that
#     names "offsite repair index", instead of stopping every command;
#   - with every index file gone, check says to run "offsite repair index"
#     (never prune), and repair index brings back every snapshot;
#   - repair snapshots lists (--dry-run) and removes a damaged snapshot.
source "$(dirname "$0")/lib.sh"

repo=$WORK/repo
r=(--repo "$repo")
json_last() { tail -n1 "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2"; }

offsite "${r[@]}" init >/dev/null
data=$WORK/data
mkdir -p "$data"
head -c 20000000 /dev/urandom >"$data/big1.bin"
head -c 20000000 /dev/urandom >"$data/big2.bin"
printf 'small\n' >"$data/small.txt"
offsite "${r[@]}" --json backup "$data" >"$WORK/b1.json"
(($(find "$repo/data" -type f | wc -l) >= 3)) || fail "expected at least 3 packs"

# --- self-healing: a deleted pack is stored again by the next backup -------
lost=$(find "$repo/data" -type f -printf '%s %p\n' | sort -n | tail -n1 | cut -d' ' -f2)
rm "$lost"
offsite "${r[@]}" backup "$data" >"$WORK/b2.out" 2>&1 || fail "backup after a lost pack: $(cat "$WORK/b2.out")"
grep -q "pack missing from the repository" "$WORK/b2.out" || fail "no warning about the lost pack: $(cat "$WORK/b2.out")"
offsite "${r[@]}" restore latest --target "$WORK/r2" >/dev/null 2>&1 || fail "the new snapshot does not restore"
compare_trees "$data" "$WORK/r2$data"
snap2=$(offsite "${r[@]}" --json snapshots | python3 -c 'import json,sys; print(json.load(sys.stdin)["snapshots"][-1]["id"])')
expect_exit 8 offsite "${r[@]}" --json check >"$WORK/c2.json" 2>"$WORK/c2.err"
python3 - "$WORK/c2.json" "$snap2" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
summary = [l for l in lines if l["type"] == "summary"][0]
assert any(l["type"] == "problem" and l["kind"] == "pack_missing" for l in lines), lines
assert sys.argv[2] not in summary["affected_snapshots"], summary
error = lines[-1]
assert error["type"] == "error" and "offsite repair index" in error["hint"], error
PY
offsite "${r[@]}" repair index >"$WORK/r2.out" 2>&1 || fail "repair index: $(cat "$WORK/r2.out")"
offsite "${r[@]}" check >"$WORK/c3.out" 2>&1 || fail "check after repair index: $(cat "$WORK/c3.out")"

# --- resume: packs of a backup killed mid-way are not uploaded again -------
head -c 40000000 /dev/urandom >"$WORK/stream.bin"
mkfifo "$WORK/fifo"
"$OFFSITE_BIN" --password-file "$WORK/passphrase" "${r[@]}" backup --stdin \
  --stdin-filename stream.bin <"$WORK/fifo" >"$WORK/killed.out" 2>&1 &
killed=$!
STARTED_PIDS+=("$killed")
exec 3>"$WORK/fifo"
cat "$WORK/stream.bin" >&3 &
writer=$!
packs_before=$(find "$repo/data" -type f | wc -l)
for _ in $(seq 600); do
  (($(find "$repo/data" -type f | wc -l) >= packs_before + 2)) && break
  kill -0 "$killed" 2>/dev/null || fail "the backup to kill ended early: $(cat "$WORK/killed.out")"
  sleep 0.1
done
(($(find "$repo/data" -type f | wc -l) >= packs_before + 2)) || fail "no 2 packs uploaded within 60 s"
kill -KILL "$killed"
wait "$killed" 2>/dev/null || true
exec 3>&-
wait "$writer" 2>/dev/null || true
# Its lease stays until it runs out; its process is gone, so unlock frees it
# (repair below needs the exclusive lease).
offsite "${r[@]}" unlock >/dev/null 2>&1
offsite "${r[@]}" --json backup --stdin --stdin-filename stream.bin <"$WORK/stream.bin" >"$WORK/resume.json"
added=$(json_last "$WORK/resume.json" bytes_added)
((added < 20000000)) || fail "the rerun stored $added bytes again: the killed run's packs were not reused"
offsite "${r[@]}" restore latest --target "$WORK/r3" >/dev/null 2>&1
cmp "$WORK/stream.bin" "$WORK/r3/stream.bin" || fail "the resumed stream restores differently"

# --- a damaged or misnamed index object does not stop commands -------------
zero=$(printf '0%.0s' $(seq 64))
: >"$repo/index/$zero"
printf 'planted' >"$repo/index/not-an-index"
offsite "${r[@]}" snapshots >"$WORK/s4.out" 2>"$WORK/s4.err" || fail "snapshots with a damaged index object: $(cat "$WORK/s4.err")"
grep -q "index/$zero skipped" "$WORK/s4.err" || fail "the damaged index object is not named: $(cat "$WORK/s4.err")"
grep -q 'index/not-an-index.*offsite repair index' "$WORK/s4.err" || fail "no repair hint: $(cat "$WORK/s4.err")"
expect_exit 8 offsite "${r[@]}" check >"$WORK/c4.out" 2>&1
grep -q 'offsite repair index' "$WORK/c4.out" || fail "check does not advise repair index: $(cat "$WORK/c4.out")"

# --- every index file gone: check advises repair, repair brings all back ---
rm -f "$repo"/index/*
expect_exit 8 offsite "${r[@]}" check >"$WORK/c5.out" 2>&1
grep -q 'offsite repair index' "$WORK/c5.out" || fail "check does not advise repair index: $(cat "$WORK/c5.out")"
! grep -qi 'harmless\|offsite prune' "$WORK/c5.out" || fail "check calls the data harmless or advises prune: $(cat "$WORK/c5.out")"
offsite "${r[@]}" repair index --dry-run >"$WORK/dry.out" 2>&1
grep -q 'dry run: nothing was changed' "$WORK/dry.out" || fail "dry run said: $(cat "$WORK/dry.out")"
[[ -z $(ls "$repo/index") ]] || fail "the dry run wrote index files"
offsite "${r[@]}" --json repair index >"$WORK/repair.json"
python3 - "$WORK/repair.json" "$(find "$repo/data" -type f | wc -l)" <<'PY'
import json, sys
s = [json.loads(l) for l in open(sys.argv[1])][-1]
assert s["type"] == "summary" and s["command"] == "repair index", s
assert s["changed"] and s["packs"] == int(sys.argv[2]), s
assert len(s["recovered_packs"]) == s["packs"] and s["damaged_packs"] == [], s
assert s["index_files_written"] >= 1, s
PY
offsite "${r[@]}" check --read-data >"$WORK/c6.out" 2>&1 || fail "check after repair index: $(cat "$WORK/c6.out")"
offsite "${r[@]}" repair index >"$WORK/again.out" 2>&1
grep -q 'nothing to do' "$WORK/again.out" || fail "a second repair changed something: $(cat "$WORK/again.out")"
rm -rf "$WORK/r6"
offsite "${r[@]}" restore latest --target "$WORK/r6" >/dev/null 2>&1
cmp "$WORK/stream.bin" "$WORK/r6/stream.bin" || fail "restore after repair differs"

# --- repair snapshots: a damaged snapshot is listed, then removed ----------
victim=$(ls "$repo/snapshots" | head -n1)
printf 'garbage' >"$repo/snapshots/$victim"
count=$(ls "$repo/snapshots" | wc -l)
offsite "${r[@]}" repair snapshots --dry-run >"$WORK/rs.out" 2>&1
grep -q "would remove snapshot ${victim:0:8}" "$WORK/rs.out" || fail "dry run said: $(cat "$WORK/rs.out")"
[[ -e $repo/snapshots/$victim ]] || fail "the dry run removed the snapshot"
offsite "${r[@]}" --json repair snapshots >"$WORK/rs.json"
[[ $(json_last "$WORK/rs.json" removed) == 1 ]] || fail "repair snapshots: $(cat "$WORK/rs.json")"
[[ ! -e $repo/snapshots/$victim ]] || fail "the damaged snapshot is still there"
[[ $(ls "$repo/snapshots" | wc -l) == $((count - 1)) ]] || fail "other snapshots were removed"
offsite "${r[@]}" check >/dev/null 2>&1 || fail "check after repair snapshots"
echo "ok"
