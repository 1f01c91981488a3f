#!/usr/bin/env bash
# Two front-ends, each with its own data directory and address, on one
# bucket of the real Ceph fixture (issue 17): register and back up through
# A; A killed (SIGKILL) in the middle of a larger backup, which completes
# through B; a restore through B alone is byte-identical. Then two machines
# of one account back up through A (restarted) and B while a prune runs
# through the other front-end: nothing referenced is lost, `check
# --read-data` passes and every saved snapshot restores.
source "$(dirname "$0")/lib.sh"
: "${OFFSITED_BIN:?run through ctest, or set OFFSITED_BIN}"
: "${OFFSITE_TEST_S3_DIR:?the ceph fixture is not up (run through ctest: fixture ceph)}"

a_ip=127.239.112.190
b_ip=127.239.113.190
A=$a_ip:16384
B=$b_ip:16384
# A bucket of this test's own: the fixture is shared by parallel tests.
store=s3://offsite-it-frontends-$$/dc
s3=(--store "$store" --s3-endpoint "$(<"$OFFSITE_TEST_S3_DIR/endpoint")"
  --s3-credentials-file "$OFFSITE_TEST_S3_DIR/credentials")

fp=$("$OFFSITED_BIN" init --data "$WORK/a" "${s3[@]}" 2>"$WORK/init-a.err") ||
  fail "init A: $(cat "$WORK/init-a.err")"
mkdir -p "$WORK/b"
cp -rp "$WORK/a/identity" "$WORK/b/"
[[ $("$OFFSITED_BIN" init --data "$WORK/b" "${s3[@]}" 2>"$WORK/init-b.err") == "$fp" ]] ||
  fail "init B with A's identity: $(cat "$WORK/init-b.err")"
[[ ! -e $WORK/a/store && ! -e $WORK/b/store ]] || fail "a front-end made a local store"

serve=(--assign "$A,$B" --registration-pair "$A,$B" --subnet 127.239.112.0/24
  --subnet 127.239.113.0/24)
start_offsited a "$WORK/a" "$A" "${serve[@]}"
start_offsited b "$WORK/b" "$B" "${serve[@]}"
register=(--registration "$A,$B" --subnet 127.239.112.0/24 --subnet 127.239.113.0/24
  --fingerprint "$fp")
one=(--config-dir "$WORK/one")
two=(--config-dir "$WORK/two")

offsite "${one[@]}" register "${register[@]}" >"$WORK/register.out" 2>"$WORK/register.err" ||
  fail "register through A: $(cat "$WORK/register.err")"
account=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["account_id"])' \
  "$WORK/one/config.json")

# usage_bytes: the account's stored bytes, counted from the bucket.
usage_bytes() {
  "$OFFSITED_BIN" accounts --data "$WORK/b" --json | python3 -c '
import json, sys
print(sum(a["usage_bytes"] for a in json.load(sys.stdin)))'
}

# --- a first backup through A -----------------------------------------------
src=$WORK/src
make_tree "$src"
offsite "${one[@]}" backup "$src" >"$WORK/backup1.out" 2>"$WORK/backup1.err" ||
  fail "first backup through A: $(cat "$WORK/backup1.err")"
grep -q "continuing on the alternate" "$WORK/backup1.err" && fail "the first backup failed over"

# --- A killed during a larger backup: it completes through B ----------------
mkdir -p "$src/big"
# Large enough (200 MB) that the backup is still running when A is killed.
for i in 1 2 3 4 5 6 7 8; do head -c 25000000 /dev/urandom >"$src/big/part-$i.bin"; done
before=$(usage_bytes)
(offsite "${one[@]}" --json backup "$src" >"$WORK/backup.out" 2>"$WORK/backup.err" || exit $?) &
backup_pid=$!
stored=0
for _ in $(seq 900); do
  stored=$(($(usage_bytes) - before))
  ((stored > 20000000)) && break
  kill -0 "$backup_pid" 2>/dev/null || break
  sleep 0.2
done
kill -0 "$backup_pid" 2>/dev/null ||
  fail "the backup ended before A could be killed mid-way (stored $stored bytes)"
((stored > 20000000)) || fail "the backup stored only $stored bytes through A"
killed_at=$SECONDS
kill_server a KILL
expect_failover "$backup_pid" "$killed_at" "A was killed"
grep -q "$B" "$WORK/backup.err" || fail "the failover notice does not name B"

# snapshot_id FILE: the snapshot a `--json backup` saved.
snapshot_id() {
  python3 -c 'import json, sys
docs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print([d for d in docs if d.get("type") == "summary"][-1]["snapshot_id"])' "$1"
}
big_id=$(snapshot_id "$WORK/backup.out")

# --- a restore through B alone ---------------------------------------------
offsite "${one[@]}" restore latest --target "$WORK/restore" >"$WORK/restore.out" \
  2>"$WORK/restore.err" || fail "restore through B: $(cat "$WORK/restore.err")"
compare_trees "$src" "$WORK/restore$src"

# --- two machines of one account, a prune through the other front-end -------
# Machine two reaches A's address only at a closed port (a mapped firewall
# that maps A to port 9 of B's address): every request of it goes to B.
offsite "${two[@]}" register "${register[@]}" --existing "$account" \
  --secret-file "$WORK/one/credentials.json" >"$WORK/register2.out" 2>"$WORK/register2.err" ||
  fail "register --existing: $(cat "$WORK/register2.err")"
offsite "${two[@]}" config set proxy "mapped://$b_ip" map "$a_ip=9,$b_ip=16384" >/dev/null
start_offsited a "$WORK/a" "$A" "${serve[@]}"
# Something for the prunes to remove: the first snapshot is forgotten.
offsite "${one[@]}" forget --keep-last 1 >"$WORK/forget.out" 2>"$WORK/forget.err" ||
  fail "forget: $(cat "$WORK/forget.err")"

src1=$WORK/src1
src2=$WORK/src2
# concurrent_round BACKUP_CFG PRUNE_CFG TREE ROUND: a backup of TREE and a
# prune at once; whichever loses the lock exits 7 and runs again after.
concurrent_round() {
  local -n backup_cfg=$1 prune_cfg=$2
  local tree=$3 round=$4 b_status=0 p_status=0
  mkdir -p "$tree"
  head -c 6000000 /dev/urandom >"$tree/round-$round.bin"
  printf 'round %s\n' "$round" >"$tree/note.txt"
  (offsite "${backup_cfg[@]}" --json backup "$tree" >"$WORK/round$round.json" \
    2>"$WORK/round$round.err" || exit $?) &
  local backup_pid=$!
  offsite "${prune_cfg[@]}" prune >"$WORK/prune$round.out" 2>"$WORK/prune$round.err" ||
    p_status=$?
  wait "$backup_pid" || b_status=$?
  [[ $p_status == 0 || $p_status == 7 ]] ||
    fail "prune of round $round exited $p_status: $(cat "$WORK/prune$round.err")"
  [[ $b_status == 0 || $b_status == 7 ]] ||
    fail "backup of round $round exited $b_status: $(cat "$WORK/round$round.err")"
  if [[ $b_status == 7 ]]; then
    offsite "${backup_cfg[@]}" --json backup "$tree" >"$WORK/round$round.json" \
      2>"$WORK/round$round.err" || fail "backup of round $round again: $(cat "$WORK/round$round.err")"
  fi
  if [[ $p_status == 7 ]]; then
    offsite "${prune_cfg[@]}" prune >"$WORK/prune$round.out" 2>"$WORK/prune$round.err" ||
      fail "prune of round $round again: $(cat "$WORK/prune$round.err")"
  fi
  snapshot_id "$WORK/round$round.json" >"$WORK/round$round.id"
}
concurrent_round one two "$src1" 1 # backup through A, prune through B
concurrent_round two one "$src2" 2 # backup through B, prune through A
grep -q "continuing on the alternate $B" "$WORK/round2.err" ||
  fail "machine two did not go through B: $(cat "$WORK/round2.err")"

offsite "${one[@]}" check --read-data >"$WORK/check.out" 2>"$WORK/check.err" ||
  fail "check --read-data after the concurrent prunes: $(cat "$WORK/check.err")"
# Every snapshot kept restores: the latest of the big tree and both rounds.
for round in 1 2; do
  tree=$WORK/src$round
  offsite "${two[@]}" restore "$(<"$WORK/round$round.id")" --target "$WORK/r$round" \
    >/dev/null 2>"$WORK/r$round.err" || fail "restore of round $round: $(cat "$WORK/r$round.err")"
  compare_trees "$tree" "$WORK/r$round$tree"
done
rm -rf "$WORK/restore"
offsite "${one[@]}" restore "$big_id" --target "$WORK/restore" >/dev/null \
  2>"$WORK/restore2.err" || fail "restore of the big tree: $(cat "$WORK/restore2.err")"
compare_trees "$src" "$WORK/restore$src"
echo ok
