#!/usr/bin/env bash
# A server that hangs up while a pack is still being sent (it died, or was
# restarted): the client declares it at once (a reset, not an idle timeout),
# goes on with the alternate, and the backup completes; what it saved
# restores byte-identical and check --read-data passes. The primary is a
# relay (hostile_relay.py, close-mid-put) in front of a real offsited that
# reads half of every data/ put and then closes the connection.
source "$(dirname "$0")/lib.sh"

start_pair 127.239.112.173 127.239.113.173
cfg=(--config-dir "$WORK/cfg")
offsite "${cfg[@]}" register "${REGISTER_ARGS[@]}" >"$WORK/register.out" 2>"$WORK/register.err" ||
  fail "register failed: $(cat "$WORK/register.err")"
BACKEND=127.239.112.174:16384
start_offsited backend "$DC" "$BACKEND" --assign "$PRIMARY,$ALTERNATE" \
  --subnet 127.239.112.0/24 --subnet 127.239.113.0/24
kill_server primary TERM
start_hostile_relay relay-primary close-mid-put "$PRIMARY" "$BACKEND"

src=$WORK/src
make_tree "$src"
head -c $((24 << 20)) /dev/urandom >"$src/large.bin" # packs of several MiB

offsite "${cfg[@]}" backup "$src" >"$WORK/backup.out" 2>"$WORK/backup.err" ||
  fail "the backup failed instead of failing over: $(cat "$WORK/backup.err")"
grep -q "hung up halfway through a put" "$WORK/relay-primary.err" ||
  fail "the relay never hung up mid-put, so nothing was tested: $(cat "$WORK/relay-primary.err")"
notice=$(grep "the primary server $PRIMARY failed (.*); continuing on the alternate $ALTERNATE" \
  "$WORK/backup.err") || fail "no failover notice: $(cat "$WORK/backup.err")"
[[ $notice =~ reset|closed && ! $notice =~ timeout|nothing\ moved ]] ||
  fail "the notice does not name the hang-up (or waited for a timeout): $notice"

offsite "${cfg[@]}" restore latest --target "$WORK/restore" >"$WORK/restore.out" \
  2>"$WORK/restore.err" || fail "restore failed: $(cat "$WORK/restore.err")"
compare_trees "$src" "$WORK/restore$src"
offsite "${cfg[@]}" check --read-data >"$WORK/check.out" 2>"$WORK/check.err" ||
  fail "check --read-data failed after the hang-up: $(cat "$WORK/check.err")"
echo ok
