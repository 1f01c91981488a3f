#!/usr/bin/env bash
# Crash points (OFFSITE_TEST_CRASH_AT, README "Test-only hooks"): the client
# or the primary server is killed with SIGKILL at a named step, then the same
# command runs again without the hook. After each:
# - the crash point fired (its line on stderr) and the rerun completes;
# - `check --read-data` passes and a restore is byte-identical to the source;
# - at most one pack was uploaded again: the account's packs hold at most one
#   pack's worth of bytes more than a clean backup of the same tree stores
#   (bytes, not packs: the rerun's new snapshot adds a small pack of trees).
# Client: after a pack is acknowledged, after an index write, before the
# snapshot, during the files-cache write, during `key passwd` (new key file
# written, old one not yet removed), during a config write. Server (the
# primary; the client goes on with the alternate, and the primary is
# restarted by PID): before and after the object's fsync, before and after
# the link that names it, and after the put is durable but before the reply.
source "$(dirname "$0")/lib.sh"

start_pair 127.239.112.233 127.239.113.233
pair_args=(--assign "$PRIMARY,$ALTERNATE" --registration-pair "$PRIMARY,$ALTERNATE"
  --subnet 127.239.112.0/24 --subnet 127.239.113.0/24)

# About six packs of incompressible data (more than one index file's worth)
# plus every kind of file.
make_tree "$WORK/src"
for i in 1 2 3 4 5; do head -c 18000000 /dev/urandom >"$WORK/src/big-$i.bin"; done
printf 'the new passphrase\n' >"$WORK/new-pass"
chmod 600 "$WORK/new-pass"

count_files() { find "$1" -type f 2>/dev/null | wc -l; }
sum_sizes() { find "$1" -type f -printf '%s\n' 2>/dev/null | awk '{ n += $1 } END { print n + 0 }'; }

# What a clean backup of the tree stores, in a local repository.
offsite --repo "$WORK/baseline" init >/dev/null
offsite --repo "$WORK/baseline" backup "$WORK/src" >/dev/null
clean_packs=$(count_files "$WORK/baseline/data")
clean_bytes=$(sum_sizes "$WORK/baseline/data")
largest_pack=$(find "$WORK/baseline/data" -type f -printf '%s\n' | sort -n | tail -n1)
((clean_packs >= 5)) || fail "the baseline backup wrote only $clean_packs packs"

# restart_primary [VAR=VALUE...]: stops the primary (if it still runs) and
# starts it again, with the given environment.
PRIMARY_NAME=primary
restart_primary() {
  kill_server "$PRIMARY_NAME" KILL
  PRIMARY_NAME=primary-$((++RESTARTS))
  env "$@" "$OFFSITED_BIN" serve --data "$DC" --listen "$PRIMARY" "${pair_args[@]}" \
    >"$WORK/$PRIMARY_NAME.out" 2>"$WORK/$PRIMARY_NAME.err" &
  local pid=$!
  STARTED_PIDS+=("$pid")
  echo "$pid" >"$WORK/$PRIMARY_NAME.pid"
  for _ in $(seq 100); do
    grep -qx "listening on $PRIMARY" "$WORK/$PRIMARY_NAME.out" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || fail "offsited $PRIMARY_NAME exited: $(cat "$WORK/$PRIMARY_NAME.err")"
    sleep 0.1
  done
  fail "offsited $PRIMARY_NAME did not listen on $PRIMARY within 10 s"
}
RESTARTS=0

# wait_primary_gone: the primary killed itself at its crash point (30 s).
wait_primary_gone() {
  local pid state
  pid=$(cat "$WORK/$PRIMARY_NAME.pid")
  for _ in $(seq 300); do
    state=$(ps -o stat= -p "$pid" 2>/dev/null || true)
    [[ -z $state || $state == Z* ]] && return 0
    sleep 0.1
  done
  fail "the primary did not reach its crash point within 30 s"
}

# new_account CASE: a configuration directory with its own new account
# (an empty repository); sets CFG and ACCOUNT_DATA (its packs on the server).
new_account() {
  CFG=(--config-dir "$WORK/config-$1")
  offsite "${CFG[@]}" register "${REGISTER_ARGS[@]}" >"$WORK/register-$1.out"
  local account
  account=$(sed -n 's/^registered account \([0-9a-f]*\) .*/\1/p' "$WORK/register-$1.out")
  [[ -n $account ]] || fail "no account ID in: $(cat "$WORK/register-$1.out")"
  ACCOUNT_DATA=$DC/store/accounts/$account/repo/data
}

# expect_crash CASE POINT CMD...: CMD (offsite's arguments) is killed at POINT.
expect_crash() {
  local name=$1 point=$2 status=0
  shift 2
  OFFSITE_TEST_CRASH_AT=$point offsite "$@" >"$WORK/$name.crash.out" 2>"$WORK/$name.crash.err" ||
    status=$?
  [[ $status == 137 ]] || fail "$name: exit $status, not 137 (SIGKILL): $(cat "$WORK/$name.crash.err")"
  grep -q "crash point ${point%%:*} reached" "$WORK/$name.crash.err" ||
    fail "$name: the crash point did not announce itself: $(cat "$WORK/$name.crash.err")"
}

# verify CASE PASSFILE: check --read-data passes, the restore is
# byte-identical, and at most one pack more than a clean backup is stored.
verify() {
  local name=$1 pass=$2
  "$OFFSITE_BIN" --password-file "$pass" "${CFG[@]}" check --read-data >"$WORK/$name.check" 2>&1 ||
    fail "$name: check --read-data: $(cat "$WORK/$name.check")"
  "$OFFSITE_BIN" --password-file "$pass" "${CFG[@]}" restore latest --target "$WORK/restore-$name" \
    >/dev/null
  compare_trees "$WORK/src" "$WORK/restore-$name$WORK/src" || fail "$name: the restore differs"
  rm -rf "$WORK/restore-$name"
  local packs extra
  packs=$(count_files "$ACCOUNT_DATA")
  extra=$(($(sum_sizes "$ACCOUNT_DATA") - clean_bytes))
  # A pack the interrupted run uploaded but never indexed is uploaded again
  # unless the next backup re-indexes it from its header (issue 16 §2).
  ((extra <= largest_pack + (1 << 20))) ||
    fail "$name: $extra bytes more than a clean backup ($packs packs, not $clean_packs): more than one pack was uploaded again"
  echo "$name: ok ($packs packs, $extra bytes more than a clean backup's $clean_packs; ${SECONDS}s)"
}

# --- the client, killed during a backup --------------------------------------
# client-pack-acknowledged:3 leaves three packs in no index file: the next
# backup indexes them from their headers instead of uploading them again.
for point in client-pack-acknowledged client-pack-acknowledged:3 client-index-written \
  client-before-snapshot client-files-cache-write; do
  new_account "${point/:/-}"
  expect_crash "$point" "$point" "${CFG[@]}" backup "$WORK/src"
  offsite "${CFG[@]}" backup "$WORK/src" >"$WORK/$point.rerun" 2>&1 ||
    fail "$point: the backup after the crash failed: $(cat "$WORK/$point.rerun")"
  verify "$point" "$WORK/passphrase"
done

# --- the client, killed in `key passwd` between the new key and the old -----
new_account key-passwd
offsite "${CFG[@]}" backup "$WORK/src" >/dev/null
expect_crash key-passwd client-key-passwd "${CFG[@]}" key passwd --new-password-file "$WORK/new-pass"
# Both passphrases open the repository until the old key file is removed.
offsite "${CFG[@]}" snapshots >/dev/null || fail "key-passwd: the old passphrase no longer works"
"$OFFSITE_BIN" --password-file "$WORK/new-pass" "${CFG[@]}" snapshots >/dev/null ||
  fail "key-passwd: the new passphrase does not work after the crash"
# The killed command's exclusive lock stays until it expires; its process is
# gone, so unlock removes it (as the lock error's hint says).
offsite "${CFG[@]}" unlock >/dev/null
offsite "${CFG[@]}" key passwd --new-password-file "$WORK/new-pass" >"$WORK/key-passwd.rerun" 2>&1 ||
  fail "key-passwd: the rerun failed: $(cat "$WORK/key-passwd.rerun")"
expect_exit 6 offsite "${CFG[@]}" snapshots
verify key-passwd "$WORK/new-pass"

# --- the client, killed while writing its configuration ---------------------
new_account config-write
cp "$WORK/config-config-write/config.json" "$WORK/config-before.json"
expect_crash config-write atomic-file-before-rename "${CFG[@]}" config set source_ports 20000-60000
cmp -s "$WORK/config-before.json" "$WORK/config-config-write/config.json" ||
  fail "config-write: config.json changed although the write was interrupted"
offsite "${CFG[@]}" config set source_ports 20000-60000 >/dev/null
offsite "${CFG[@]}" --json config show | grep -q '20000-60000' ||
  fail "config-write: the rerun did not save the setting"
offsite "${CFG[@]}" backup "$WORK/src" >/dev/null
verify config-write "$WORK/passphrase"

# --- the primary server, killed while storing an object ---------------------
# The Nth hit: past the lease object, inside the packs of the backup.
for point in store-put-before-fsync:3 store-put-after-fsync:3 store-put-before-rename:3 \
  store-put-after-rename:3 server-put-before-ack:2; do
  name=${point%%:*}
  new_account "$name"
  restart_primary OFFSITE_TEST_CRASH_AT="$point"
  # The client goes on with the alternate, or fails; either is fine here.
  offsite "${CFG[@]}" backup "$WORK/src" >"$WORK/$name.crash.out" 2>&1 || true
  wait_primary_gone
  grep -q "crash point $name reached" "$WORK/$PRIMARY_NAME.err" ||
    fail "$name: the server's crash point did not fire: $(cat "$WORK/$PRIMARY_NAME.err")"
  restart_primary
  offsite "${CFG[@]}" backup "$WORK/src" >"$WORK/$name.rerun" 2>&1 ||
    fail "$name: the backup after the server's crash failed: $(cat "$WORK/$name.rerun")"
  # Nothing half-written is visible on the server: every object is complete.
  for pack in "$ACCOUNT_DATA"/*/*; do
    [[ $(sha256sum <"$pack" | cut -d' ' -f1) == "$(basename "$pack")" ]] ||
      fail "$name: $pack does not hash to its name"
  done
  verify "$name" "$WORK/passphrase"
done
echo ok
