#!/usr/bin/env bash
# --source-ports binds every connection of the client into the range, and
# the client never listens on any socket (checked with ss during a backup).
source "$(dirname "$0")/lib.sh"

start_pair 127.239.112.84 127.239.113.84
client=(--config-dir "$WORK/config" --source-ports 1024-5000)
offsite "${client[@]}" register "${REGISTER_ARGS[@]}" >/dev/null
mkdir -p "$WORK/data"
head -c 300000000 /dev/urandom >"$WORK/data/big"

# The binary itself, not the offsite() wrapper: $! must be the client's PID.
"$OFFSITE_BIN" --password-file "$WORK/passphrase" "${client[@]}" backup "$WORK/data" \
  >"$WORK/backup.out" 2>&1 &
backup_pid=$!
STARTED_PIDS+=("$backup_pid")
seen=0
for _ in $(seq 300); do
  kill -0 "$backup_pid" 2>/dev/null || break
  # Every TCP socket of the client: local port in range, never listening.
  while read -r state local peer; do
    port=${local##*:}
    [[ $state != LISTEN ]] || fail "the client listens on $local"
    ((port >= 1024 && port <= 5000)) || fail "connection from local port $port to $peer"
    seen=$((seen + 1))
  done < <(ss -Htanp 2>/dev/null | awk -v pid="pid=$backup_pid," '$0 ~ pid {print $1, $4, $5}')
  ss -Hltnp 2>/dev/null | grep -q "pid=$backup_pid," && fail "the client listens"
  sleep 0.1
done
wait "$backup_pid" || fail "backup failed: $(cat "$WORK/backup.out")"
((seen > 0)) || fail "never saw a connection of the client"
echo "OK ($seen observations)"
