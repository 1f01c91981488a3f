#!/usr/bin/env bash
# Ctrl-C and kill stop a backup at once, cleanly (PRODUCT.md §5):
# - SIGINT to a backup in the middle of a file (a 200 GiB sparse file takes
#   minutes to read): exit 130 within seconds, with --json a last line of type
#   error and code "interrupted", and no snapshot;
# - SIGTERM to a --stdin backup whose producer keeps sending: the same;
# - SIGINT to a --stdin backup whose producer sent 20 MiB and then went quiet
#   with the pipe still open: the same (it used to wait for the pipe to close);
# then the next backups succeed, check --read-data passes and the snapshots
# restore byte-identical.
source "$(dirname "$0")/lib.sh"

start_pair 127.239.112.137 127.239.113.137
cfg=(--config-dir "$WORK/config")
offsite "${cfg[@]}" register "${REGISTER_ARGS[@]}" >/dev/null
make_tree "$WORK/data"
mkdir -p "$WORK/slow"
truncate -s 200G "$WORK/slow/huge.img" # no blocks: only reading it is slow

snapshot_count() {
  offsite "${cfg[@]}" --json snapshots | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["snapshots"]))'
}

# start_backup NAME STDIN ARGS...: `offsite --json backup ARGS` in the
# background, stdin from STDIN, its own PID in BACKUP_PID.
start_backup() {
  local name=$1 input=$2
  shift 2
  (
    trap - ERR
    exec "$OFFSITE_BIN" --password-file "$WORK/passphrase" "${cfg[@]}" --json backup "$@" \
      <"$input" >"$WORK/$name.json" 2>"$WORK/$name.err"
  ) &
  BACKUP_PID=$!
  STARTED_PIDS+=("$BACKUP_PID")
}

# wait_status NAME BYTES: until the backup reported at least BYTES read (30 s).
wait_status() {
  for _ in $(seq 300); do
    python3 - "$WORK/$1.json" "$2" <<'PY' && return 0
import json, sys
done = [json.loads(l)["bytes_done"] for l in open(sys.argv[1]) if '"status"' in l]
sys.exit(0 if done and max(done) >= int(sys.argv[2]) else 1)
PY
    kill -0 "$BACKUP_PID" 2>/dev/null || fail "backup $1 ended early: $(cat "$WORK/$1.err")"
    sleep 0.1
  done
  fail "backup $1 reported no progress within 30 s: $(cat "$WORK/$1.json" "$WORK/$1.err")"
}

# interrupt NAME SIGNAL: sends SIGNAL to the backup, which must be gone
# within 5 s with exit 130 and a last JSON line saying "interrupted".
interrupt() {
  local name=$1 signal=$2 state status=0
  kill "-$signal" "$BACKUP_PID"
  for _ in $(seq 50); do
    state=$(ps -o stat= -p "$BACKUP_PID" 2>/dev/null || true)
    [[ -z $state || $state == Z* ]] && break
    sleep 0.1
  done
  [[ -z $state || $state == Z* ]] ||
    fail "backup $name still runs 5 s after SIG$signal: $(tail -n3 "$WORK/$name.json")"
  wait "$BACKUP_PID" || status=$?
  [[ $status == 130 ]] || fail "backup $name: exit $status after SIG$signal: $(cat "$WORK/$name.err")"
  python3 - "$WORK/$name.json" <<'PY' || fail "backup $name --json: $(tail -n3 "$WORK/$name.json")"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]  # stdout is JSON Lines only
last = lines[-1]
assert last["type"] == "error" and last["code"] == "interrupted" and last["exit_code"] == 130, last
assert not any(l["type"] == "summary" for l in lines), lines
PY
}

# --- SIGINT in the middle of a file --------------------------------------
start_backup paths /dev/null "$WORK/data" "$WORK/slow"
wait_status paths $((64 << 20)) # data/ is done; the backup is inside huge.img
interrupt paths INT
[[ $(snapshot_count) == 0 ]] || fail "the interrupted backup left a snapshot"

# The next run succeeds and reuses what the interrupted one uploaded.
rm -rf "$WORK/slow"
offsite "${cfg[@]}" --json backup "$WORK/data" >"$WORK/second.json" ||
  fail "the backup after the interruption failed"
python3 - "$WORK/second.json" <<'PY' || fail "second backup: $(tail -n1 "$WORK/second.json")"
import json, sys
summary = json.loads(open(sys.argv[1]).read().splitlines()[-1])
assert summary["type"] == "summary", summary
# data/sub/random.bin (3 MB, incompressible) was uploaded before the signal.
assert summary["bytes_added"] < 1000000, summary
PY

# --- SIGTERM while the producer keeps sending ----------------------------
mkfifo "$WORK/busy.fifo"
start_backup busy "$WORK/busy.fifo" --stdin --stdin-filename busy.bin
busy_backup=$BACKUP_PID
(
  trap - ERR
  while head -c 1048576 /dev/urandom; do :; done 2>/dev/null >"$WORK/busy.fifo"
) &
producer=$!
STARTED_PIDS+=("$producer")
BACKUP_PID=$busy_backup
wait_status busy $((8 << 20))
interrupt busy TERM
for _ in $(seq 50); do kill -0 "$producer" 2>/dev/null || break; sleep 0.1; done
kill -0 "$producer" 2>/dev/null && fail "the producer did not see the backup go"
wait "$producer" 2>/dev/null || true

# --- SIGINT while the producer is idle, its pipe open ---------------------
mkfifo "$WORK/idle.fifo"
head -c 20000000 /dev/urandom >"$WORK/idle.bin"
start_backup idle "$WORK/idle.fifo" --stdin --stdin-filename idle.bin
exec {IDLE_FD}>"$WORK/idle.fifo"
# cat returns once the backup has read all but a pipe's worth; then nothing
# more comes, and the backup waits for stdin.
cat "$WORK/idle.bin" >&"$IDLE_FD"
sleep 1
interrupt idle INT
exec {IDLE_FD}>&-
[[ $(snapshot_count) == 1 ]] || fail "an interrupted --stdin backup left a snapshot"

# Nothing half-written: the data reads back, and complete runs restore.
offsite "${cfg[@]}" backup --stdin --stdin-filename idle.bin <"$WORK/idle.bin" >/dev/null
offsite "${cfg[@]}" check --read-data >"$WORK/check.out" 2>&1 ||
  fail "check after the interruptions: $(cat "$WORK/check.out")"
offsite "${cfg[@]}" restore latest --target "$WORK/restore-stdin" >/dev/null
cmp "$WORK/idle.bin" "$WORK/restore-stdin/idle.bin" || fail "the stdin backup does not restore"
offsite "${cfg[@]}" restore latest --path "$WORK/data" --target "$WORK/restore" >/dev/null
compare_trees "$WORK/data" "$WORK/restore$WORK/data"
echo ok
