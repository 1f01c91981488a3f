#!/usr/bin/env bash
# Append-only accounts are enforced by the server itself: with the mode on,
# the account's own secret can add objects but never delete or overwrite
# one (driven over the wire, not only through the client); the operator
# switches it off again with offsited account set.
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
    assert c.ok("put", {"key": "keys/extra"}, extra)[0]["created"] is True
    # Holding the exclusive lock changes nothing: the account decides.
    lease = c.ok("lease_acquire", {"kind": "exclusive", "command": "prune"})[0]["lease"]["id"]
    assert c.error("remove", {"key": "keys/extra"}) == "append_only"
    assert c.error("unregister", {}) == "append_only"
    c.ok("lease_release", {"lease_id": lease})
else:
    # Deleting needs the exclusive lock, then it works.
    assert c.error("remove", {"key": "keys/extra"}) == "lease_required"
    c.ok("lease_acquire", {"kind": "exclusive", "command": "prune"})
    assert c.ok("remove", {"key": "keys/extra"})[0]["removed"] is True
print("ok")
PY
}
wire on >"$WORK/wire-on.out" 2>&1 || fail "append-only over the wire: $(cat "$WORK/wire-on.out")"
offsite --config-dir "$WORK/config" restore latest --target "$WORK/restore" >/dev/null
compare_trees "$WORK/data" "$WORK/restore$WORK/data"

"$OFFSITED_BIN" account set --data "$DC" "$account" --append-only off >/dev/null
wire off >"$WORK/wire-off.out" 2>&1 || fail "after append-only off: $(cat "$WORK/wire-off.out")"

# Unknown accounts and empty changes are clear errors.
status=0
out=$("$OFFSITED_BIN" account set --data "$DC" 0000000000000000 --append-only on 2>&1) || status=$?
[[ $status != 0 && $out == *"no account 0000000000000000"* ]] || fail "unknown account: $out"
status=0
out=$("$OFFSITED_BIN" account set --data "$DC" "$account" 2>&1) || status=$?
[[ $status == 2 && $out == *"nothing to change"* ]] || fail "no change: $status $out"
echo OK
