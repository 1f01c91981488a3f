#!/usr/bin/env bash
# A stalled primary: its process is stopped (SIGSTOP) in the middle of a
# backup, so its connections stay open and the kernel still accepts bytes,
# but nothing answers. The client declares it dead within the documented
# idle timeout (30 s, offsite(1) NETWORK), continues on the alternate, keeps
# its lock there (the lease lane fails over by itself), and the backup
# completes; the restore is byte-identical.
source "$(dirname "$0")/lib.sh"

start_pair 127.239.112.161 127.239.113.161
cfg=(--config-dir "$WORK/cfg")
offsite "${cfg[@]}" register "${REGISTER_ARGS[@]}" >"$WORK/register.out" 2>"$WORK/register.err" ||
  fail "register failed: $(cat "$WORK/register.err")"

src=$WORK/src
make_tree "$src"
mkdir -p "$src/big"
for i in 1 2 3 4; do head -c 40000000 /dev/urandom >"$src/big/part-$i.bin"; done

# The binary itself, recorded, so that a failing run leaves no client behind.
"$OFFSITE_BIN" --password-file "$WORK/passphrase" "${cfg[@]}" backup "$src" \
  >"$WORK/backup.out" 2>"$WORK/backup.err" &
backup_pid=$!
STARTED_PIDS+=("$backup_pid")
for _ in $(seq 600); do
  stored=$(du -sb "$DC/store" 2>/dev/null | cut -f1)
  ((stored > 30000000)) && break
  kill -0 "$backup_pid" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$backup_pid" 2>/dev/null || fail "the backup ended before the primary could be stopped"
primary_pid=$(cat "$WORK/primary.pid")
kill -STOP "$primary_pid"
stopped_at=$SECONDS

# The stall is declared and the client moves on well within a lease's life
# (120 s): one idle timeout (30 s) plus a connection to the alternate.
expect_failover "$backup_pid" "$stopped_at" "the primary stalled"
grep -q "$ALTERNATE" "$WORK/backup.err" || fail "the notice does not name the alternate"

# Restore while the primary is still stopped: the alternate alone serves it.
offsite "${cfg[@]}" restore latest --target "$WORK/restore" --verify \
  >"$WORK/restore.out" 2>"$WORK/restore.err" ||
  fail "restore on the alternate failed: $(cat "$WORK/restore.err")"
compare_trees "$src" "$WORK/restore$src"
kill -CONT "$primary_pid"
echo ok
