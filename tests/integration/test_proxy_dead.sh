#!/usr/bin/env bash
# A dead proxy in the middle of a backup: a mapped firewall (one socat port
# per server) loses the primary's port; its listener is killed (SIGKILL, so
# new connections are refused) and the process relaying the live
# connection stops (SIGSTOP: no reset, the bytes go nowhere, as when the
# proxy's machine dies). The client declares the connection dead within the
# documented idle timeout (30 s, offsite(1) NETWORK), continues on the
# alternate through its own port, keeps its lock and completes the backup.
source "$(dirname "$0")/lib.sh"

start_pair 127.239.112.164 127.239.113.164
start_forward 21161 "$PRIMARY"
start_forward 21162 "$ALTERNATE"
cfg=(--config-dir "$WORK/cfg")
proxy=(--proxy mapped://127.0.0.1 --map "${PRIMARY%:*}=21161" --map "${ALTERNATE%:*}=21162")
offsite "${cfg[@]}" "${proxy[@]}" register "${REGISTER_ARGS[@]}" \
  >"$WORK/register.out" 2>"$WORK/register.err" ||
  fail "register failed: $(cat "$WORK/register.err")"

src=$WORK/src
make_tree "$src"
mkdir -p "$src/big"
for i in 1 2 3 4; do head -c 40000000 /dev/urandom >"$src/big/part-$i.bin"; done

# The binary itself, recorded, so that a failing run leaves no client behind.
"$OFFSITE_BIN" --password-file "$WORK/passphrase" "${cfg[@]}" "${proxy[@]}" backup "$src" \
  >"$WORK/backup.out" 2>"$WORK/backup.err" &
backup_pid=$!
STARTED_PIDS+=("$backup_pid")
for _ in $(seq 600); do
  stored=$(du -sb "$DC/store" 2>/dev/null | cut -f1)
  ((stored > 30000000)) && break
  kill -0 "$backup_pid" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$backup_pid" 2>/dev/null || fail "the backup ended before the proxy could die"
listener=$(cat "$WORK/socat-21161.pid")
relays=$(ps -o pid= --ppid "$listener" | tr -d ' ' || true)
[[ -n $relays ]] || fail "no socat process relays the backup's connection"
kill -KILL "$listener"
for relay in $relays; do
  STARTED_PIDS+=("$relay")
  kill -STOP "$relay"
done
died_at=$SECONDS

expect_failover "$backup_pid" "$died_at" "the proxy died"

offsite "${cfg[@]}" "${proxy[@]}" restore latest --target "$WORK/restore" --verify \
  >"$WORK/restore.out" 2>"$WORK/restore.err" ||
  fail "restore through the alternate's port failed: $(cat "$WORK/restore.err")"
compare_trees "$src" "$WORK/restore$src"
for relay in $relays; do kill -KILL "$relay" 2>/dev/null || true; done
echo ok
