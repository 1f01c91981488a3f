#!/usr/bin/env bash
# An account's quota across two front-ends on one bucket of the real Ceph
# fixture (issue 17): backups through A and B in turn fill the account until
# a put is refused for quota, and the bucket then holds at most one pack
# (16 MiB) more than the quota; space freed through A (forget + prune) is
# usable through B.
source "$(dirname "$0")/lib.sh"
: "${OFFSITED_BIN:?run through ctest, or set OFFSITED_BIN}"
: "${OFFSITE_TEST_S3_DIR:?the ceph fixture is not up (run through ctest: fixture ceph)}"

a_ip=127.239.112.191
b_ip=127.239.113.191
A=$a_ip:16384
B=$b_ip:16384
quota=40000000
pack=16777216
s3=(--store "s3://offsite-it-quota-$$" --s3-endpoint "$(<"$OFFSITE_TEST_S3_DIR/endpoint")"
  --s3-credentials-file "$OFFSITE_TEST_S3_DIR/credentials")

fp=$("$OFFSITED_BIN" init --data "$WORK/a" "${s3[@]}" 2>"$WORK/init-a.err") ||
  fail "init A: $(cat "$WORK/init-a.err")"
mkdir -p "$WORK/b"
cp -rp "$WORK/a/identity" "$WORK/b/"
"$OFFSITED_BIN" init --data "$WORK/b" "${s3[@]}" >/dev/null 2>"$WORK/init-b.err" ||
  fail "init B: $(cat "$WORK/init-b.err")"
serve=(--assign "$A,$B" --registration-pair "$A,$B" --subnet 127.239.112.0/24
  --subnet 127.239.113.0/24)
start_offsited a "$WORK/a" "$A" "${serve[@]}" --quota "$quota"
# B is given no quota: the one in the store applies.
start_offsited b "$WORK/b" "$B" "${serve[@]}"

register=(--registration "$A,$B" --subnet 127.239.112.0/24 --subnet 127.239.113.0/24
  --fingerprint "$fp")
one=(--config-dir "$WORK/one")
two=(--config-dir "$WORK/two")
offsite "${one[@]}" register "${register[@]}" >/dev/null 2>"$WORK/register.err" ||
  fail "register: $(cat "$WORK/register.err")"
account=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["account_id"])' \
  "$WORK/one/config.json")
offsite "${two[@]}" register "${register[@]}" --existing "$account" \
  --secret-file "$WORK/one/credentials.json" >/dev/null 2>"$WORK/register2.err" ||
  fail "register --existing: $(cat "$WORK/register2.err")"
# Machine two reaches A only at a closed port: it goes through B.
offsite "${two[@]}" config set proxy "mapped://$b_ip" map "$a_ip=9,$b_ip=16384" >/dev/null

# usage_bytes DATA: the account's stored bytes, counted from the bucket.
usage_bytes() {
  "$OFFSITED_BIN" accounts --data "$1" --json | python3 -c '
import json, sys
print(sum(a["usage_bytes"] for a in json.load(sys.stdin)))'
}

# backup_round CFG ROUND: backs up 6 MB of new random data; its exit status.
backup_round() {
  local -n cfg=$1
  mkdir -p "$WORK/src/$2"
  head -c 6000000 /dev/urandom >"$WORK/src/$2/data.bin"
  offsite "${cfg[@]}" --json backup "$WORK/src/$2" >"$WORK/round$2.out" 2>"$WORK/round$2.err"
}

# --- fill through A and B at once until refused ------------------------------
# Each round backs up through A (machine one) and B (machine two) at the
# same time, so each front-end's count misses what the other is storing.
refused=
for round in 1 2 3 4 5 6 7 8; do
  (backup_round one "$round-a" || exit $?) & # tested below, not by lib.sh's ERR trap
  pid_a=$!
  status_b=0
  backup_round two "$round-b" || status_b=$?
  status_a=0
  wait "$pid_a" || status_a=$?
  for side in a b; do
    status_var=status_$side
    status=${!status_var}
    ((status == 0)) && continue
    refused=$round-$side
    # no_space (exit 10), with the server's words naming the quota.
    [[ $status == 10 ]] || fail "round $refused exited $status, not 10: $(cat "$WORK/round$refused.err")"
    grep -q "exceed the account's quota of $quota bytes" "$WORK/round$refused.err" ||
      fail "the refusal does not name the quota: $(cat "$WORK/round$refused.err")"
  done
  [[ -z $refused ]] || break
done
[[ -n $refused ]] || fail "16 backups of 6 MB stored beyond a quota of $quota bytes"
[[ ${refused%-*} -ge 3 ]] || fail "refused already in round $refused: $(cat "$WORK/round$refused.err")"
echo "round $refused refused: $(grep error: "$WORK/round$refused.err")"
for dc in a b; do
  used=$(usage_bytes "$WORK/$dc")
  echo "usage through $dc after the refusal: $used (quota $quota)"
  ((used <= quota + pack)) || fail "the account holds $used bytes: more than a pack over $quota"
done
# Then both front-ends refuse as much new data again: the quota is the
# store's, not only A's (B was given none); and the backup says so rather
# than saving a snapshot without its data (the upload's failure once
# raced the backup's last flush).
for machine in one two; do
  status=0
  backup_round "$machine" "full-$machine" || status=$?
  [[ $status == 10 ]] || fail "a backup through a full account ($machine) exited $status (usage now $(usage_bytes "$WORK/a")): $(tail -n 1 "$WORK/roundfull-$machine.out")"
  grep -q "exceed the account's quota of $quota bytes" "$WORK/roundfull-$machine.err" ||
    fail "the refusal does not name the quota: $(cat "$WORK/roundfull-$machine.err")"
done

# --- space freed through A is usable through B -------------------------------
offsite "${one[@]}" forget --group-by host --keep-last 1 >/dev/null 2>"$WORK/forget.err" ||
  fail "forget through A: $(cat "$WORK/forget.err")"
offsite "${one[@]}" prune >"$WORK/prune.out" 2>"$WORK/prune.err" ||
  fail "prune through A: $(cat "$WORK/prune.err")"
freed=$(usage_bytes "$WORK/a")
((freed < quota - 16000000)) || fail "the prune left $freed bytes"
backup_round two after || fail "a backup through B after the prune: $(cat "$WORK/roundafter.err")"
grep -q "continuing on the alternate $B" "$WORK/roundafter.err" ||
  fail "machine two did not go through B: $(cat "$WORK/roundafter.err")"
# Nothing a saved snapshot names was refused: every snapshot is complete.
offsite "${one[@]}" check --read-data >"$WORK/check.out" 2>"$WORK/check.err" ||
  fail "check --read-data after the refusals: $(cat "$WORK/check.err")"
echo ok
