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

# backup_round CFG ROUND: backs up 8 MB of new random data; its exit status.
backup_round() {
  local -n cfg=$1
  mkdir -p "$WORK/src/$2"
  head -c 8000000 /dev/urandom >"$WORK/src/$2/data.bin"
  offsite "${cfg[@]}" backup "$WORK/src/$2" >"$WORK/round$2.out" 2>"$WORK/round$2.err"
}

# --- fill through A and B in turn until refused ------------------------------
refused=
for round in 1 2 3 4 5 6 7 8; do
  if ((round % 2)); then machine=one; else machine=two; fi
  status=0
  backup_round "$machine" "$round" || status=$?
  if ((status != 0)); then
    refused=$round
    break
  fi
done
[[ -n $refused ]] || fail "8 rounds of 8 MB stored beyond a quota of $quota bytes"
((refused >= 4)) || fail "refused already at round $refused: $(cat "$WORK/round$refused.err")"
# no_space (exit 10), with the server's words naming the quota.
[[ $status == 10 ]] || fail "round $refused exited $status, not 10: $(cat "$WORK/round$refused.err")"
grep -qi "quota" "$WORK/round$refused.err" ||
  fail "the refusal does not name the quota: $(cat "$WORK/round$refused.err")"
echo "round $refused refused with exit $status: $(tail -n 2 "$WORK/round$refused.err")"
for dc in a b; do
  used=$(usage_bytes "$WORK/$dc")
  echo "usage through $dc after the refusal: $used (quota $quota)"
  ((used <= quota + pack)) || fail "the account holds $used bytes: more than a pack over $quota"
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
echo ok
