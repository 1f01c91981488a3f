#!/usr/bin/env bash
# Locks are leases held at the data centre:
# - a backup killed with -9 leaves a lease; prune is refused (exit 7) naming
#   the backup's host, PID and age; `unlock` sees the process is gone and
#   removes it; then prune runs;
# - a live backup's lease is kept by `unlock`; prune --retry-lock waits for it;
# - two machines of one account back up again and again while a third
#   forgets and prunes: afterwards check --read-data passes and every
#   remaining snapshot restores byte-identical, and prune really deleted data.
source "$(dirname "$0")/lib.sh"

start_pair 127.239.112.92 127.239.113.92
a=(--config-dir "$WORK/a")
b=(--config-dir "$WORK/b")
p=(--config-dir "$WORK/p")
offsite "${a[@]}" register "${REGISTER_ARGS[@]}" >"$WORK/register.out"
account=$(sed -n 's/^registered account \([0-9a-f]*\) .*/\1/p' "$WORK/register.out")
for machine in b p; do
  offsite --config-dir "$WORK/$machine" register "${REGISTER_ARGS[@]}" --existing "$account" \
    --secret-file "$WORK/a/credentials.json" >/dev/null
done
stored() { du -sb "$DC/store/accounts/$account/repo" | cut -f1; }

# A backup that holds its shared lease while it waits for standard input.
hold_backup() { # NAME CONFIG...
  local name=$1
  shift
  mkfifo "$WORK/$name.fifo"
  # exec: $! must be the PID of offsite itself; no ERR trap when it is killed.
  (
    trap - ERR
    exec "$OFFSITE_BIN" --password-file "$WORK/passphrase" "$@" backup --stdin \
      --stdin-filename dump.sql <"$WORK/$name.fifo" >"$WORK/$name.out" 2>&1
  ) &
  echo $! >"$WORK/$name.pid"
  STARTED_PIDS+=("$(cat "$WORK/$name.pid")")
  exec {HOLD_FD}>"$WORK/$name.fifo" # opens once the backup reads it
  for _ in $(seq 100); do # the lease is visible at the server within 10 s
    offsite "${p[@]}" --json unlock >"$WORK/leases.json" 2>/dev/null || true
    grep -q '"command":"backup"' "$WORK/leases.json" && return 0
    sleep 0.1
  done
  fail "the held backup never showed a lease: $(cat "$WORK/$name.out")"
}

mkdir -p "$WORK/data"
head -c 2000000 /dev/urandom >"$WORK/data/first.bin"
offsite "${a[@]}" backup "$WORK/data" >/dev/null

# --- a killed backup's lease -------------------------------------------------
hold_backup dead "${a[@]}"
dead_pid=$(cat "$WORK/dead.pid")
kill -9 "$dead_pid"
wait "$dead_pid" 2>/dev/null || true
exec {HOLD_FD}>&-
set +e
offsite "${p[@]}" prune >"$WORK/prune-locked.out" 2>&1
status=$?
offsite "${p[@]}" --json prune >"$WORK/prune-locked.json" 2>/dev/null
set -e
[[ $status == 7 ]] || fail "prune beside a dead backup's lease: exit $status: $(cat "$WORK/prune-locked.out")"
grep -q "lock of backup on host $(hostname) (pid $dead_pid" "$WORK/prune-locked.out" ||
  fail "the refusal does not name the backup: $(cat "$WORK/prune-locked.out")"
grep -q "taken [0-9]*s ago" "$WORK/prune-locked.out" || fail "no age: $(cat "$WORK/prune-locked.out")"
grep -q 'offsite unlock' "$WORK/prune-locked.out" || fail "no advice: $(cat "$WORK/prune-locked.out")"
python3 - "$WORK/prune-locked.json" <<'PY' || fail "prune --json: $(cat "$WORK/prune-locked.json")"
import json, sys
doc = json.loads(open(sys.argv[1]).read().splitlines()[-1])
assert doc["type"] == "error" and doc["code"] == "repository_locked" and doc["exit_code"] == 7, doc
PY

offsite "${p[@]}" unlock >"$WORK/unlock.out"
grep -q "^removed shared lock of backup on host $(hostname) (pid $dead_pid.*that process is gone" \
  "$WORK/unlock.out" || fail "unlock: $(cat "$WORK/unlock.out")"
offsite "${p[@]}" --json unlock >"$WORK/unlock.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["leases"] == [] and d["removed"] == 0, d' \
  "$WORK/unlock.json" || fail "locks left after unlock: $(cat "$WORK/unlock.json")"
offsite "${p[@]}" --verbose prune >"$WORK/prune-after-unlock.out" 2>&1 ||
  fail "prune after unlock: $(cat "$WORK/prune-after-unlock.out")"
grep -q "holding an exclusive lock" "$WORK/prune-after-unlock.out" ||
  fail "prune -v does not say its lock: $(cat "$WORK/prune-after-unlock.out")"

# --- a live backup's lease -----------------------------------------------------
hold_backup live "${b[@]}"
offsite "${p[@]}" unlock >"$WORK/unlock-live.out"
grep -q "^kept    shared lock of backup" "$WORK/unlock-live.out" ||
  fail "unlock removed a live lock: $(cat "$WORK/unlock-live.out")"
started=$SECONDS
expect_exit 7 offsite "${p[@]}" --retry-lock 3s prune
((SECONDS - started >= 3)) || fail "--retry-lock 3s gave up after $((SECONDS - started))s"
# The backup finishes while prune waits for it.
(sleep 2 && echo "INSERT 1;" >&"$HOLD_FD" && exec {HOLD_FD}>&-) &
exec {HOLD_FD}>&-
offsite "${p[@]}" --retry-lock 60s prune >"$WORK/prune-waited.out" 2>&1 ||
  fail "prune did not get the lock after the backup: $(cat "$WORK/prune-waited.out")"
wait "$(cat "$WORK/live.pid")" || fail "the held backup failed: $(cat "$WORK/live.out")"

# --- two machines back up while a third forgets and prunes -------------------
# Each round changes part of the data (shared files stay, so dedup matters) and
# keeps a copy of the tree as it was backed up, keyed by the snapshot ID.
mkdir -p "$WORK/copies"
backup_rounds() { # MACHINE
  local machine=$1 dir=$WORK/src-$1 id
  mkdir -p "$dir"
  head -c 1500000 /dev/urandom >"$dir/stays.bin"
  for round in 1 2 3 4 5; do
    head -c 1200000 /dev/urandom >"$dir/round.bin"
    printf '%s round %s\n' "$machine" "$round" >"$dir/round.txt"
    id=$(offsite --config-dir "$WORK/$machine" --retry-lock 2m --json backup --host "$machine" \
      "$dir" | python3 -c 'import json,sys; print(json.loads(sys.stdin.readlines()[-1])["snapshot_id"])')
    cp -a "$dir" "$WORK/copies/$id"
  done
}
prune_rounds() { # while the backups run (at most 40 rounds)
  for _ in $(seq 40); do
    kill -0 "$pid_a" 2>/dev/null || kill -0 "$pid_b" 2>/dev/null || break
    offsite "${p[@]}" --retry-lock 2m --json forget --keep-last 2 --prune >>"$WORK/pruner.json"
    sleep 1
  done
}
before=$(stored)
backup_rounds a >"$WORK/backup-a.log" 2>&1 &
pid_a=$!
backup_rounds b >"$WORK/backup-b.log" 2>&1 &
pid_b=$!
prune_rounds 2>"$WORK/pruner.err" &
pid_p=$!
STARTED_PIDS+=("$pid_a" "$pid_b" "$pid_p")
wait "$pid_a" || fail "backups of a: $(cat "$WORK/backup-a.log")"
wait "$pid_b" || fail "backups of b: $(cat "$WORK/backup-b.log")"
wait "$pid_p" || fail "forget --prune: $(cat "$WORK/pruner.err")"
offsite "${p[@]}" --retry-lock 2m --json forget --keep-last 2 --prune >>"$WORK/pruner.json"

python3 - "$WORK/pruner.json" <<'PY' || fail "prune deleted nothing: $(cat "$WORK/pruner.json")"
import json, sys
deleted = sum(e["deleted"]["blobs"] for e in map(json.loads, open(sys.argv[1]))
              if e.get("type") == "summary" and e.get("command") == "prune")
assert deleted > 0, deleted
PY
offsite "${p[@]}" check --read-data >"$WORK/check.out" 2>&1 || fail "check: $(cat "$WORK/check.out")"
offsite "${p[@]}" --json snapshots >"$WORK/snapshots.json"
ids=$(python3 -c 'import json,sys; print(" ".join(s["id"] for s in json.load(open(sys.argv[1]))["snapshots"]))' \
  "$WORK/snapshots.json")
count=0
for id in $ids; do
  [[ -d $WORK/copies/$id ]] || continue # the first backups of this test
  offsite "${p[@]}" restore "$id" --target "$WORK/restore-$id" >/dev/null
  machine=$(cat "$WORK/copies/$id/round.txt" | cut -d' ' -f1)
  compare_trees "$WORK/copies/$id" "$WORK/restore-$id$WORK/src-$machine"
  count=$((count + 1))
done
((count == 4)) || fail "expected the last 2 snapshots of each machine, restored $count: $ids"
echo "stored: $before bytes before the rounds, $(stored) after"
echo "ok"
