#!/usr/bin/env bash
# Failover: the primary is killed (SIGKILL) in the middle of a large
# backup. The backup finishes on the alternate, says so once, and stores
# nothing twice; a restore with only the alternate running is byte-identical;
# the primary, started again on the same data, serves the same snapshot
# while the alternate is down.
source "$(dirname "$0")/lib.sh"

start_pair 127.239.112.71 127.239.113.71
serve_args=(--assign "$PRIMARY,$ALTERNATE" --subnet 127.239.112.0/24 --subnet 127.239.113.0/24)
cfg=(--config-dir "$WORK/cfg")

offsite "${cfg[@]}" register "${REGISTER_ARGS[@]}" >"$WORK/register.out" 2>"$WORK/register.err" ||
  fail "register failed: $(cat "$WORK/register.err")"

# Large enough that the backup is provably mid-way when the primary dies:
# 8 x 50 MB of incompressible data, plus every file kind.
src=$WORK/src
make_tree "$src"
mkdir -p "$src/big"
for i in 1 2 3 4 5 6 7 8; do head -c 50000000 /dev/urandom >"$src/big/part-$i.bin"; done
src_bytes=$(du -sb --apparent-size "$src/big" | cut -f1)

offsite "${cfg[@]}" backup "$src" >"$WORK/backup.out" 2>"$WORK/backup.err" &
backup_pid=$!

# Wait (bounded) until more than 100 MB have reached the data centre.
stored=0
for _ in $(seq 600); do
  stored=$(du -sb "$DC/store" 2>/dev/null | cut -f1)
  ((stored > 100000000)) && break
  kill -0 "$backup_pid" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$backup_pid" 2>/dev/null ||
  fail "the backup ended before the primary could be killed mid-way (stored $stored bytes)"
((stored > 100000000)) || fail "the backup stored only $stored bytes in 60 s"
kill_server primary KILL

# The backup goes on against the alternate; wait for it (bounded).
for _ in $(seq 1200); do
  kill -0 "$backup_pid" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$backup_pid" 2>/dev/null && fail "the backup still runs 120 s after the primary died"
status=0
wait "$backup_pid" || status=$?
[[ $status == 0 ]] || fail "backup exited $status after failover: $(cat "$WORK/backup.err")"
notices=$(grep -c "continuing on the alternate" "$WORK/backup.err" || true)
[[ $notices == 1 ]] ||
  fail "expected the failover notice once on stderr, got $notices: $(cat "$WORK/backup.err")"
grep -q "$ALTERNATE" "$WORK/backup.err" || fail "the notice does not name the alternate"

# Nothing was stored twice: the account holds about the source's size.
offsite_usage() {
  "$OFFSITED_BIN" accounts --data "$DC" --json | python3 -c '
import json, sys
accounts = json.load(sys.stdin)
assert len(accounts) == 1, accounts
print(accounts[0]["usage_bytes"])'
}
usage=$(offsite_usage)
((usage < src_bytes + src_bytes / 20 + 20000000)) ||
  fail "the account uses $usage bytes for $src_bytes bytes of random data: data stored twice?"

# The snapshot is listed, complete, with the alternate only.
offsite "${cfg[@]}" --json snapshots >"$WORK/snapshots.json" 2>"$WORK/snapshots.err" ||
  fail "snapshots failed: $(cat "$WORK/snapshots.err")"
# One JSON document on stdout, even though the failover warning (stderr) came.
grep -q "continuing on the alternate" "$WORK/snapshots.err" || fail "no failover warning"
python3 - "$WORK/snapshots.json" "$src" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["type"] == "snapshots", doc
snaps = doc["snapshots"]
assert len(snaps) == 1, snaps
assert snaps[0]["partial"] is False, snaps[0]
assert snaps[0]["paths"] == [sys.argv[2]], snaps[0]
PY

# Restore with only the alternate running; the client says once that the
# primary is unreachable.
offsite "${cfg[@]}" restore latest --target "$WORK/restore1" --verify \
  >"$WORK/restore1.out" 2>"$WORK/restore1.err" ||
  fail "restore on the alternate failed: $(cat "$WORK/restore1.err")"
compare_trees "$src" "$WORK/restore1$src"
notices=$(grep -c "continuing on the alternate" "$WORK/restore1.err" || true)
[[ $notices == 1 ]] || fail "restore: expected one failover notice, got $notices"
rm -rf "$WORK/restore1"

# The primary, started again on the same data, serves the same snapshot
# with the alternate down.
start_offsited primary "$DC" "$PRIMARY" "${serve_args[@]}"
kill_server alternate TERM
offsite "${cfg[@]}" restore latest --target "$WORK/restore2" --verify \
  >"$WORK/restore2.out" 2>"$WORK/restore2.err" ||
  fail "restore on the restarted primary failed: $(cat "$WORK/restore2.err")"
compare_trees "$src" "$WORK/restore2$src"
grep -q "continuing on the" "$WORK/restore2.err" &&
  fail "the restore on the primary reported a failover: $(cat "$WORK/restore2.err")"
echo ok
