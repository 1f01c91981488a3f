#!/usr/bin/env bash
# unregister cancels the account: it asks for confirmation (refuses without a
# terminal unless --yes), is refused while another machine's backup holds a
# lock (exit 7) and on an append-only account (exit 5), and otherwise the data
# centre deletes every object of the account and this machine's config and
# credentials go; the other machine's credentials no longer log in, and it is
# told the account was cancelled (a wrong secret is told nothing more).
source "$(dirname "$0")/lib.sh"

start_pair 127.239.112.93 127.239.113.93
first=(--config-dir "$WORK/first")
second=(--config-dir "$WORK/second")
offsite "${first[@]}" register "${REGISTER_ARGS[@]}" >"$WORK/register.out"
account=$(sed -n 's/^registered account \([0-9a-f]*\) .*/\1/p' "$WORK/register.out")
offsite "${second[@]}" register "${REGISTER_ARGS[@]}" --existing "$account" \
  --secret-file "$WORK/first/credentials.json" >/dev/null
account_dir=$DC/store/accounts/$account
mkdir -p "$WORK/data"
head -c 3000000 /dev/urandom >"$WORK/data/file.bin"
offsite "${first[@]}" backup "$WORK/data" >/dev/null

# No terminal and no --yes: refused at once, nothing deleted.
set +e
offsite "${first[@]}" unregister </dev/null >"$WORK/noyes.out" 2>&1
status=$?
set -e
[[ $status == 2 ]] || fail "unregister without --yes: exit $status: $(cat "$WORK/noyes.out")"
grep -q -- "--yes" "$WORK/noyes.out" || fail "no hint at --yes: $(cat "$WORK/noyes.out")"
[[ -f $WORK/first/credentials.json && -d $account_dir/repo/data ]] || fail "something was deleted"

# Another machine's backup holds a shared lock: refused with exit 7.
mkfifo "$WORK/hold.fifo"
(
  trap - ERR
  exec "$OFFSITE_BIN" --password-file "$WORK/passphrase" "${second[@]}" backup --stdin \
    <"$WORK/hold.fifo" >"$WORK/hold.out" 2>&1
) &
hold_pid=$!
STARTED_PIDS+=("$hold_pid")
exec {HOLD_FD}>"$WORK/hold.fifo"
for _ in $(seq 100); do
  offsite "${first[@]}" --json unlock >"$WORK/leases.json"
  grep -q '"command":"backup"' "$WORK/leases.json" && break
  sleep 0.1
done
grep -q '"command":"backup"' "$WORK/leases.json" || fail "the held backup shows no lock"
expect_exit 7 offsite "${first[@]}" unregister --yes
[[ -f $WORK/first/credentials.json && -d $account_dir/repo/data ]] || fail "deleted while locked"
echo "dump" >&"$HOLD_FD"
exec {HOLD_FD}>&-
wait "$hold_pid" || fail "the held backup failed: $(cat "$WORK/hold.out")"

# An append-only account refuses; the operator lifts it.
"$OFFSITED_BIN" account set --data "$DC" "$account" --append-only on >/dev/null
set +e
offsite "${first[@]}" unregister --yes >"$WORK/append-only.out" 2>&1
status=$?
set -e
[[ $status == 5 ]] || fail "append-only unregister: exit $status: $(cat "$WORK/append-only.out")"
grep -q "append-only" "$WORK/append-only.out" || fail "message: $(cat "$WORK/append-only.out")"
[[ -f $WORK/first/config.json && -d $account_dir/repo/data ]] || fail "append-only account lost data"
"$OFFSITED_BIN" account set --data "$DC" "$account" --append-only off >/dev/null

offsite "${first[@]}" --json unregister --yes >"$WORK/unregister.json"
python3 - "$WORK/unregister.json" "$account" <<'PY' || fail "JSON: $(cat "$WORK/unregister.json")"
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["type"] == "unregister" and doc["account_id"] == sys.argv[2], doc
assert doc["objects_deleted"] > 3 and doc["bytes_deleted"] > 3000000, doc
PY
# Every object is gone (the directory store may keep empty directories).
[[ -z $(find "$account_dir" -type f) ]] || fail "the data centre kept $(find "$account_dir" -type f | head)"
[[ ! -e $WORK/first/config.json && ! -e $WORK/first/credentials.json ]] || fail "local config kept"
expect_exit 11 offsite "${first[@]}" snapshots
# The other machine of the account hears that it was cancelled, not refused.
status=0
offsite "${second[@]}" snapshots >"$WORK/second.out" 2>&1 || status=$?
[[ $status == 5 ]] || fail "the other machine after unregister: exit $status: $(cat "$WORK/second.out")"
grep -q "the account no longer exists (the account was cancelled (offsite unregister) on 20" \
  "$WORK/second.out" || fail "not told the account was cancelled: $(cat "$WORK/second.out")"
grep -q "refused the account's credentials" "$WORK/second.out" &&
  fail "a cancelled account is reported as refused: $(cat "$WORK/second.out")"
# A wrong secret for the cancelled account learns nothing more than for any
# unknown account.
python3 - "$WORK/second/credentials.json" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["secret"] = "0" * len(c["secret"])
json.dump(c, open(p, "w"))
PY
status=0
offsite "${second[@]}" snapshots >"$WORK/wrong.out" 2>&1 || status=$?
[[ $status == 5 ]] || fail "a wrong secret after unregister: exit $status: $(cat "$WORK/wrong.out")"
grep -q "refused the account's credentials" "$WORK/wrong.out" ||
  fail "a wrong secret was told more than a refusal: $(cat "$WORK/wrong.out")"
echo "ok"
