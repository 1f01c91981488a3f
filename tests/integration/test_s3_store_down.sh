#!/usr/bin/env bash
# A store that stops answering (issue 17): radosgw of a cluster of this
# test's own (the fixture is shared by parallel tests) is stopped in the
# middle of a backup through a pair of front-ends. The backup ends within a
# bounded time with a clear error naming the data centre's storage and a
# documented exit status, not a hang; with radosgw back, the next backup
# completes and reuses what the first attempt uploaded. Then radosgw hangs
# (SIGSTOP) during a backup: the same clear error within a bounded time,
# and with radosgw resumed the next backup completes.
source "$(dirname "$0")/lib.sh"
: "${OFFSITED_BIN:?run through ctest, or set OFFSITED_BIN}"

ceph=$WORK/ceph
cluster() { bash "$TESTS_DIR/tools/ceph-cluster" "$@"; }
# The front-ends stop first (cleanup), then the cluster, by its PID files.
trap 'cleanup_all' EXIT
cleanup_all() {
  local keep=${KEEP_WORK:-}
  KEEP_WORK=1 cleanup
  cluster stop "$ceph" >/dev/null 2>&1 || echo "the test's ceph cluster did not stop" >&2
  [[ -n $keep ]] || rm -rf "$WORK"
}
# S3 on 17620, mon and OSD in 17621-17639: beside the fixture (17480).
cluster start "$ceph" 17620 >"$WORK/ceph.log" 2>&1 ||
  fail "the test's ceph cluster did not start: $(tail -n 30 "$WORK/ceph.log")"

P=127.239.112.192:16384
A=127.239.113.192:16384
DC=$WORK/dc
fp=$("$OFFSITED_BIN" init --data "$DC" --store s3://offsite-it-store-down \
  --s3-endpoint "$(<"$ceph/endpoint")" --s3-credentials-file "$ceph/credentials" \
  2>"$WORK/init.err") || fail "init: $(cat "$WORK/init.err")"
serve=(--assign "$P,$A" --registration-pair "$P,$A" --subnet 127.239.112.0/24
  --subnet 127.239.113.0/24)
start_offsited primary "$DC" "$P" "${serve[@]}"
start_offsited alternate "$DC" "$A" "${serve[@]}"
cfg=(--config-dir "$WORK/cfg")
offsite "${cfg[@]}" register --registration "$P,$A" --subnet 127.239.112.0/24 \
  --subnet 127.239.113.0/24 --fingerprint "$fp" >"$WORK/register.out" 2>"$WORK/register.err" ||
  fail "register: $(cat "$WORK/register.err")"

usage_bytes() {
  "$OFFSITED_BIN" accounts --data "$DC" --json | python3 -c '
import json, sys
print(sum(a["usage_bytes"] for a in json.load(sys.stdin)))'
}

src=$WORK/src
mkdir -p "$src"
# 200 MB: still uploading, well past the first 20 MB, when radosgw stops.
for i in 1 2 3 4 5 6 7 8; do head -c 25000000 /dev/urandom >"$src/part-$i.bin"; done
src_bytes=$(du -sb --apparent-size "$src" | cut -f1)
before=$(usage_bytes)

# --- radosgw stops while the backup uploads ---------------------------------
# In a subshell, its failure tested: a bare failing job would trip lib.sh's ERR trap.
(offsite "${cfg[@]}" --json backup "$src" >"$WORK/backup1.json" 2>"$WORK/backup1.err" || exit $?) &
backup_pid=$!
uploaded=0
for _ in $(seq 900); do
  uploaded=$(($(usage_bytes) - before))
  ((uploaded > 20000000)) && break
  kill -0 "$backup_pid" 2>/dev/null || break
  sleep 0.2
done
kill -0 "$backup_pid" 2>/dev/null ||
  fail "the backup ended before radosgw could be stopped (uploaded $uploaded bytes)"
((uploaded > 20000000)) || fail "the backup uploaded only $uploaded bytes"
cluster stop-rgw "$ceph" || fail "radosgw did not stop"
stopped_at=$SECONDS
for _ in $(seq 1800); do
  kill -0 "$backup_pid" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$backup_pid" 2>/dev/null && fail "the backup still runs 180 s after radosgw stopped"
took=$((SECONDS - stopped_at))
status=0
wait "$backup_pid" || status=$?
echo "the backup ended $took s after radosgw stopped, exit $status"
# Generous: the store's retries (60 s at most) on the primary, then the
# alternate, on this loaded machine.
((took <= 120)) || fail "the backup took $took s to give up on a stopped store (bound 120 s)"
[[ $status == 4 ]] ||
  fail "a backup on a stopped store exited $status, not 4: $(cat "$WORK/backup1.err")"
grep -q "the data centre's storage failed" "$WORK/backup1.err" ||
  fail "the error does not name the data centre's storage: $(cat "$WORK/backup1.err")"
python3 - "$WORK/backup1.json" <<'PY' || fail "no JSON error object: $(cat "$WORK/backup1.json")"
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
errors = [d for d in docs if d.get("type") == "error"]
assert errors and errors[-1]["exit_code"] == 4, docs
PY

# --- radosgw back: the next backup completes and reuses the uploads ---------
cluster start-rgw "$ceph" || fail "radosgw did not start again"
offsite "${cfg[@]}" --json backup "$src" >"$WORK/backup2.json" 2>"$WORK/backup2.err" ||
  fail "the backup after radosgw returned: $(cat "$WORK/backup2.err")"
added=$(python3 -c 'import json, sys
docs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print([d for d in docs if d.get("type") == "summary"][-1]["bytes_added"])' "$WORK/backup2.json")
echo "the first attempt uploaded $uploaded bytes; the next backup added $added of $src_bytes"
((added <= src_bytes - uploaded / 2)) ||
  fail "the next backup added $added bytes of $src_bytes: the $uploaded uploaded were not reused"
offsite "${cfg[@]}" restore latest --target "$WORK/restore" >/dev/null 2>"$WORK/restore.err" ||
  fail "restore: $(cat "$WORK/restore.err")"
compare_trees "$src" "$WORK/restore$src"

# --- radosgw hangs (SIGSTOP: it accepts, nothing answers) ---------------------
# Each front-end gives up on the store within its budget (14 s a request),
# before the client's own timeouts: the client hears that the storage failed,
# not that the servers stopped answering, and leaves within a bounded time.
# 200 MB again, paused after the first 10 MB: still uploading, well before
# the snapshot (a pause during the final lock release only costs a warning).
for i in 1 2 3 4 5 6 7 8; do head -c 25000000 /dev/urandom >"$src/more-$i.bin"; done
before=$(usage_bytes)
(offsite "${cfg[@]}" backup "$src" >"$WORK/backup3.out" 2>"$WORK/backup3.err" || exit $?) &
backup_pid=$!
for _ in $(seq 900); do
  (($(usage_bytes) - before > 10000000)) && break
  kill -0 "$backup_pid" 2>/dev/null || break
  sleep 0.2
done
kill -0 "$backup_pid" 2>/dev/null || fail "the backup ended before radosgw could be paused"
cluster pause-rgw "$ceph" || fail "radosgw could not be paused"
paused_at=$SECONDS
for _ in $(seq 1800); do
  kill -0 "$backup_pid" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$backup_pid" 2>/dev/null && fail "the backup still runs 180 s after radosgw hung"
took=$((SECONDS - paused_at))
status=0
wait "$backup_pid" || status=$?
echo "the backup ended $took s after radosgw hung, exit $status"
((took <= 120)) || fail "the backup took $took s to give up on a hung store (bound 120 s)"
[[ $status == 4 ]] || fail "a backup on a hung store exited $status, not 4: $(cat "$WORK/backup3.err")"
grep -q "the data centre's storage failed" "$WORK/backup3.err" ||
  fail "the error does not name the data centre's storage: $(cat "$WORK/backup3.err")"
grep -q "offsited: account .* failed: .*did not answer\|offsited: account .* failed: .*S3" \
  "$WORK/primary.err" "$WORK/alternate.err" ||
  fail "no front-end logged the hung store: $(tail -n 3 "$WORK/primary.err" "$WORK/alternate.err")"
cluster resume-rgw "$ceph" || fail "radosgw could not be resumed"
offsite "${cfg[@]}" backup "$src" >/dev/null 2>"$WORK/backup4.err" ||
  fail "the backup after radosgw resumed: $(cat "$WORK/backup4.err")"
offsite "${cfg[@]}" restore latest --target "$WORK/restore2" >/dev/null 2>"$WORK/restore2.err" ||
  fail "restore after the hang: $(cat "$WORK/restore2.err")"
compare_trees "$src" "$WORK/restore2$src"
cat "$WORK/backup1.err" "$WORK/backup3.err" >&2
echo ok
