#!/usr/bin/env bash
# Append-only accounts are enforced by the server itself: with the mode on,
# the account's own secret can add objects but never delete or overwrite
# one (driven over the wire, not only through the client); the operator
# switches it off again with offsited account set. The client reads the mode
# when it logs in: forget and prune refuse up front (exit 5) and leave the
# stored data exactly as it was; their dry runs still run.
source "$(dirname "$0")/lib.sh"

start_pair 127.239.112.85 127.239.113.85
offsite --config-dir "$WORK/config" register "${REGISTER_ARGS[@]}" >/dev/null
mkdir -p "$WORK/data"
printf 'precious\n' >"$WORK/data/file"
offsite --config-dir "$WORK/config" backup "$WORK/data" >/dev/null
account=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["account_id"])' \
  "$WORK/config/credentials.json")

"$OFFSITED_BIN" account set --data "$DC" "$account" --append-only on >"$WORK/set.out"
grep -q "append-only on" "$WORK/set.out" || fail "account set said: $(cat "$WORK/set.out")"
"$OFFSITED_BIN" accounts --data "$DC" --json | python3 -c '
import json, sys
assert json.load(sys.stdin)[0]["append_only"] is True' || fail "accounts does not show append-only"

wire() {
  python3 - "$PRIMARY" "$DC/identity/ca.pem" "$WORK/config/credentials.json" "$1" <<'PY'
import hashlib, json, os, sys
sys.path.insert(0, os.environ["TESTS_DIR"] + "/integration")
from offsite_wire import Conn, configure
server, ca, credentials, mode = sys.argv[1:5]
configure(ca)
c = Conn(server)
c.auth(json.load(open(credentials)))
keys = c.keys()
snapshot = [k for k in keys if k.startswith("snapshots/")][0]
_, before = c.ok("get", {"key": snapshot})
if mode == "on":
    for key in (snapshot, "config", [k for k in keys if k.startswith("data/")][0]):
        assert c.error("remove", {"key": key}) == "append_only", key
    # Overwriting is impossible in every mode: put is create-only.
    assert c.ok("put", {"key": "config"}, b"evil")[0]["created"] is False
    _, after = c.ok("get", {"key": snapshot})
    assert after == before and c.keys() == keys
    # Adding still works: backups go on.
    extra = b"a new object"
    assert c.ok("put", {"key": "keys/e0"}, extra)[0]["created"] is True
    # Holding the exclusive lock changes nothing: the account decides.
    lease = c.ok("lease_acquire", {"kind": "exclusive", "command": "prune"})[0]["lease"]["id"]
    assert c.error("remove", {"key": "keys/e0"}) == "append_only"
    assert c.error("unregister", {}) == "append_only"
    c.ok("lease_release", {"lease_id": lease})
else:
    # Deleting needs the exclusive lock, then it works.
    assert c.error("remove", {"key": "keys/e0"}) == "lease_required"
    lease = c.ok("lease_acquire", {"kind": "exclusive", "command": "prune"})[0]["lease"]["id"]
    assert c.ok("remove", {"key": "keys/e0"})[0]["removed"] is True
    c.ok("lease_release", {"lease_id": lease})
print("ok")
PY
}
wire on >"$WORK/wire-on.out" 2>&1 || fail "append-only over the wire: $(cat "$WORK/wire-on.out")"
offsite --config-dir "$WORK/config" restore latest --target "$WORK/restore" >/dev/null
compare_trees "$WORK/data" "$WORK/restore$WORK/data"

"$OFFSITED_BIN" account set --data "$DC" "$account" --append-only off >/dev/null
wire off >"$WORK/wire-off.out" 2>&1 || fail "after append-only off: $(cat "$WORK/wire-off.out")"

# forget and prune (and forget --prune) refuse on an append-only account before
# they write anything: prune would otherwise upload repacked packs and a new
# index and only then meet the refusal of its first delete, so every failed
# run would grow the account. Their dry runs still run.
snapshot_id() { python3 -c 'import json,sys; print(json.loads(sys.stdin.readlines()[-1])["snapshot_id"])'; }
printf 'kept\n' >"$WORK/data/keep.txt"
head -c 2000000 /dev/urandom >"$WORK/data/big.bin"
doomed=$(offsite --config-dir "$WORK/config" --json backup "$WORK/data" | snapshot_id)
rm "$WORK/data/big.bin"
offsite --config-dir "$WORK/config" backup "$WORK/data" >/dev/null
offsite --config-dir "$WORK/config" forget "$doomed" >/dev/null
# What prune would do now: repack the pack of keep.txt and big.bin.
offsite --config-dir "$WORK/config" --json prune --dry-run >"$WORK/plan.json"
python3 -c 'import json,sys; d=json.loads(open(sys.argv[1]).read().splitlines()[-1])
assert d["repacked"]["packs"] >= 1 or d["deleted"]["packs"] >= 1, d' "$WORK/plan.json" ||
  fail "nothing to prune, the test proves nothing: $(cat "$WORK/plan.json")"

"$OFFSITED_BIN" account set --data "$DC" "$account" --append-only on >/dev/null
stored() { du -sb "$DC" | cut -f1; }
objects() { find "$DC" -type f | wc -l; }
size_before=$(stored)
objects_before=$(objects)
refused() { # NAME ARGS...: exit 5, the account is append-only, the operator's command
  local name=$1 status=0
  shift
  offsite --config-dir "$WORK/config" "$@" >"$WORK/$name.out" 2>&1 || status=$?
  [[ $status == 5 ]] || fail "$name on an append-only account: exit $status: $(cat "$WORK/$name.out")"
  grep -q "account $account is append-only" "$WORK/$name.out" ||
    fail "$name does not say the account is append-only: $(cat "$WORK/$name.out")"
  grep -q "ask the data centre's operator to run \"offsited account set $account --append-only off\"" \
    "$WORK/$name.out" || fail "$name does not say what to do: $(cat "$WORK/$name.out")"
  grep -q "nothing was changed" "$WORK/$name.out" || fail "$name: $(cat "$WORK/$name.out")"
}
refused prune prune
refused forget forget --keep-last 1
refused forget-prune forget --keep-last 1 --prune
status=0
offsite --config-dir "$WORK/config" --json prune >"$WORK/prune.json" 2>/dev/null || status=$?
[[ $status == 5 ]] || fail "prune --json: exit $status"
python3 -c 'import json,sys; d=json.loads(open(sys.argv[1]).read().splitlines()[-1])
assert d["type"] == "error" and d["code"] == "authentication_failed" and d["exit_code"] == 5, d
assert "append-only" in d["message"], d' "$WORK/prune.json" || fail "prune --json: $(cat "$WORK/prune.json")"
[[ $(stored) == "$size_before" && $(objects) == "$objects_before" ]] ||
  fail "a refused prune or forget changed the account: $size_before bytes in $objects_before files before, $(stored) in $(objects) after"
offsite --config-dir "$WORK/config" prune --dry-run >"$WORK/prune-dry.out" 2>&1 ||
  fail "prune --dry-run on an append-only account: $(cat "$WORK/prune-dry.out")"
grep -q "would repack" "$WORK/prune-dry.out" || fail "prune --dry-run: $(cat "$WORK/prune-dry.out")"
offsite --config-dir "$WORK/config" forget --keep-last 1 --dry-run --prune >"$WORK/forget-dry.out" 2>&1 ||
  fail "forget --dry-run on an append-only account: $(cat "$WORK/forget-dry.out")"
grep -q "would remove 1 snapshot" "$WORK/forget-dry.out" || fail "forget --dry-run: $(cat "$WORK/forget-dry.out")"
[[ $(objects) == "$objects_before" ]] || fail "a dry run left objects behind"

# Lifted by the operator, the same prune runs and the account shrinks.
"$OFFSITED_BIN" account set --data "$DC" "$account" --append-only off >/dev/null
offsite --config-dir "$WORK/config" prune >/dev/null
(($(stored) < size_before)) || fail "prune after append-only off did not shrink the account"
offsite --config-dir "$WORK/config" check >/dev/null || fail "check after prune"
offsite --config-dir "$WORK/config" restore latest --target "$WORK/restore2" >/dev/null
compare_trees "$WORK/data" "$WORK/restore2$WORK/data"

# Unknown accounts and empty changes are clear errors.
status=0
out=$("$OFFSITED_BIN" account set --data "$DC" 0000000000000000 --append-only on 2>&1) || status=$?
[[ $status != 0 && $out == *"no account 0000000000000000"* ]] || fail "unknown account: $out"
status=0
out=$("$OFFSITED_BIN" account set --data "$DC" "$account" 2>&1) || status=$?
[[ $status == 2 && $out == *"nothing to change"* ]] || fail "no change: $status $out"
echo OK
