#!/usr/bin/env bash
# A broken or hostile server, as the client meets it: a relay
# (hostile_relay.py) with a leaf certificate signed by the data centre's CA
# stands in for a server and relays to a real offsited, except for the
# requests it answers itself.
# 1. A put answered with a storage failure ("internal", as after a failed
#    fsync) on the primary: the backup continues on the alternate and
#    completes; when both servers fail, a clear error names the failure.
# 2. An endless listing (every page full and "truncated"): the client's
#    memory stays bounded, and SIGTERM stops it at once with exit 130.
source "$(dirname "$0")/lib.sh"

start_pair 127.239.112.162 127.239.113.162
cfg=(--config-dir "$WORK/cfg")
offsite "${cfg[@]}" register "${REGISTER_ARGS[@]}" >"$WORK/register.out" 2>"$WORK/register.err" ||
  fail "register failed: $(cat "$WORK/register.err")"
backend_common=(--assign "$PRIMARY,$ALTERNATE" --subnet 127.239.112.0/24 --subnet 127.239.113.0/24)
BACKEND=127.239.112.163:16384
start_offsited backend "$DC" "$BACKEND" "${backend_common[@]}"

start_relay() { start_hostile_relay "$1" "$2" "$3" "$BACKEND"; }

src=$WORK/src
make_tree "$src"

# --- 1. a storage failure on the primary: failover, not abort -------------
kill_server primary TERM
start_relay relay-primary put-internal "$PRIMARY"
offsite "${cfg[@]}" backup "$src" >"$WORK/backup1.out" 2>"$WORK/backup1.err" ||
  fail "the backup failed instead of failing over: $(cat "$WORK/backup1.err")"
grep -q "failed (its storage failed: fsync of the object.s directory failed); continuing on the alternate" \
  "$WORK/backup1.err" || fail "no failover notice naming the failure: $(cat "$WORK/backup1.err")"
offsite "${cfg[@]}" restore latest --target "$WORK/restore1" --verify \
  >"$WORK/restore1.out" 2>"$WORK/restore1.err" ||
  fail "restore failed: $(cat "$WORK/restore1.err")"
compare_trees "$src" "$WORK/restore1$src"

# Both servers fail their storage: a clear error, the server's words in it.
kill_server alternate TERM
start_relay relay-alternate put-internal "$ALTERNATE"
printf 'new data\n' >"$src/new-file"
head -c 1000000 /dev/urandom >"$src/new-random"
status=0
started=$SECONDS
offsite "${cfg[@]}" backup "$src" >"$WORK/backup2.out" 2>"$WORK/backup2.err" || status=$?
echo "the backup against two failing servers took $((SECONDS - started)) s"
[[ $status == 4 ]] || fail "expected exit 4 when both servers fail, got $status: $(cat "$WORK/backup2.err")"
grep -q "offsite: error: upload data/.*the server answered internal: fsync of the object's directory failed" \
  "$WORK/backup2.err" || fail "the error does not name the failure: $(cat "$WORK/backup2.err")"
kill_server relay-primary TERM
kill_server relay-alternate TERM

# --- 2. an endless listing: bounded memory, and SIGTERM is obeyed ---------
start_relay relay-endless endless-list "$PRIMARY"
start_offsited alternate "$DC" "$ALTERNATE" "${backend_common[@]}"
# The binary itself, not the offsite() wrapper: the signal must reach it.
"$OFFSITE_BIN" --password-file "$WORK/passphrase" "${cfg[@]}" snapshots \
  >"$WORK/snapshots.out" 2>"$WORK/snapshots.err" &
client_pid=$!
STARTED_PIDS+=("$client_pid")
# Let it page for a while (the relay serves a few hundred pages a second).
for _ in $(seq 40); do
  kill -0 "$client_pid" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$client_pid" 2>/dev/null ||
  fail "the client stopped by itself during an endless listing: $(cat "$WORK/snapshots.err")"
rss_kb=$(ps -o rss= -p "$client_pid" | tr -d ' ')
((rss_kb < 400000)) || fail "the client grew to $rss_kb KiB during the listing"
kill -TERM "$client_pid"
stopped=
for _ in $(seq 100); do
  if ! kill -0 "$client_pid" 2>/dev/null; then stopped=1; break; fi
  sleep 0.1
done
if [[ -z $stopped ]]; then
  kill -KILL "$client_pid" 2>/dev/null || true
  fail "the client ignored SIGTERM for 10 s during an endless listing"
fi
status=0
wait "$client_pid" || status=$?
[[ $status == 130 ]] || fail "expected exit 130 after SIGTERM, got $status: $(cat "$WORK/snapshots.err")"
echo ok
