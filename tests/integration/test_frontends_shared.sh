#!/usr/bin/env bash
# Two front-ends (offsited serve processes) on one store, as several
# machines in front of one shared store would be (issue 17): the settings
# one front-end was given are what the other announces and applies, a
# change reaches the other within 10 s, and an account's quota holds across
# both, space freed through one being usable through the other.
source "$(dirname "$0")/lib.sh"

A=127.239.112.178:16384
B=127.239.113.178:16384
DC=$WORK/dc
"$OFFSITED_BIN" init --data "$DC" >/dev/null
start_offsited front-a "$DC" "$A" --registration invite --assign "$A,$B" \
  --registration-pair "$A,$B" --subnet 127.239.112.0/24 --subnet 127.239.113.0/24 --quota 100000
# B is given no settings: it must not announce the defaults of its own address.
start_offsited front-b "$DC" "$B"
code=$("$OFFSITED_BIN" invite --data "$DC")

wire() {
  python3 - "$A" "$B" "$DC/identity/ca.pem" "$code" "$1" <<'PY'
import os, sys, time
sys.path.insert(0, os.environ["TESTS_DIR"] + "/integration")
from offsite_wire import Conn, configure
a, b, ca, code, step = sys.argv[1:6]
configure(ca)

def network_map(server):
    c = Conn(server)
    _, h, _ = c.call("hello", {"client": "frontends-test"})
    return h["network_map"]

if step == "settings":
    want = {"subnets": ["127.239.112.0/24", "127.239.113.0/24"], "registration": [a, b],
            "storage": [a, b]}
    for server in (a, b):
        m = network_map(server)
        got = {k: m[k] for k in want}
        assert got == want, (server, got)
    assert Conn(b).error("register_account", {}) == "invite_required"
elif step == "quota":
    reg, _ = Conn(b).ok("register_account", {"code": code})
    account = {"account_id": reg["account_id"], "secret": reg["secret"]}
    assert reg["storage_pair"] == [a, b], reg
    ca_, cb = Conn(a), Conn(b)
    assert ca_.auth(account)[0]["quota_bytes"] == 100000
    assert cb.auth(account)[0]["quota_bytes"] == 100000
    blob = b"x" * 60000
    assert cb.ok("put", {"key": "keys/0b"}, b"12")[0]["created"] is True
    assert ca_.ok("put", {"key": "keys/01"}, blob)[0]["created"] is True
    assert cb.error("put", {"key": "keys/02"}, blob) == "quota_exceeded"
    assert ca_.error("put", {"key": "keys/03"}, blob) == "quota_exceeded"
    assert cb.ok("remove", {"key": "keys/01"})[0]["removed"] is True
    assert ca_.ok("put", {"key": "keys/03"}, blob)[0]["created"] is True
    assert cb.error("put", {"key": "keys/02"}, blob) == "quota_exceeded"
elif step == "changed":
    deadline = time.monotonic() + 15  # the documented bound is 10 s
    while True:
        subnets = network_map(a)["subnets"]
        if subnets == ["127.239.114.0/24"]:
            break
        assert time.monotonic() < deadline, f"A still announces {subnets}"
        time.sleep(0.5)
print("ok")
PY
}

wire settings >"$WORK/settings.out" 2>&1 || fail "settings across front-ends: $(cat "$WORK/settings.out")"
wire quota >"$WORK/quota.out" 2>&1 || fail "quota across front-ends: $(cat "$WORK/quota.out")"

# B restarted with another subnet: it replaces the stored one, says so in
# its log, and A announces it within the bound.
kill_server front-b
start_offsited front-b "$DC" "$B" --subnet 127.239.114.0/24
grep -q "the flags replace the data centre's settings" "$WORK/front-b.err" ||
  fail "B did not log the change: $(cat "$WORK/front-b.err")"
wire changed >"$WORK/changed.out" 2>&1 || fail "the change did not reach A: $(cat "$WORK/changed.out")"
echo OK
