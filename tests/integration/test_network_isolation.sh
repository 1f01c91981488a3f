#!/usr/bin/env bash
# Accounts are isolated: account B, authenticated, cannot list, read,
# overwrite or delete account A's objects, whatever key it names; a wrong
# secret is refused and repeated failures are throttled per source address,
# never refusing the right secret. The protocol is driven directly (python3: TLS 1.3, ALPN
# offsite/1, frames and CBOR headers as in offsite-protocol(7)); the CLI
# part shows one account's snapshots are invisible to another.
source "$(dirname "$0")/lib.sh"

start_pair 127.239.112.72 127.239.113.72

# --- through the CLI: B sees none of A's snapshots -----------------------
offsite --config-dir "$WORK/cfg-a" register "${REGISTER_ARGS[@]}" >"$WORK/register-a.out" \
  2>"$WORK/register-a.err" || fail "register A failed: $(cat "$WORK/register-a.err")"
offsite --config-dir "$WORK/cfg-b" register "${REGISTER_ARGS[@]}" >"$WORK/register-b.out" \
  2>"$WORK/register-b.err" || fail "register B failed: $(cat "$WORK/register-b.err")"
mkdir -p "$WORK/src"
printf 'only for account A\n' >"$WORK/src/a.txt"
head -c 2000000 /dev/urandom >"$WORK/src/a.bin"
offsite --config-dir "$WORK/cfg-a" backup "$WORK/src" >"$WORK/backup.out" 2>"$WORK/backup.err" ||
  fail "backup as A failed: $(cat "$WORK/backup.err")"
count_snapshots() {
  offsite --config-dir "$1" --json snapshots | python3 -c '
import json, sys
docs = [json.loads(line) for line in sys.stdin if line.strip()]
docs = [d for d in docs if d["type"] == "snapshots"]
assert len(docs) == 1, docs
print(len(docs[0]["snapshots"]))'
}
[[ $(count_snapshots "$WORK/cfg-a") == 1 ]] || fail "A does not see its snapshot"
[[ $(count_snapshots "$WORK/cfg-b") == 0 ]] || fail "B sees snapshots it did not make"
out=$(offsite --config-dir "$WORK/cfg-b" snapshots 2>&1) || fail "snapshots as B failed: $out"
[[ $out != *"$WORK/src"* ]] || fail "B's snapshot list names A's path: $out"

# --- the protocol, directly ------------------------------------------------
python3 - "$PRIMARY" "$ALTERNATE" "$DC/identity/ca.pem" "$WORK/cfg-a/credentials.json" \
  >"$WORK/wire.out" 2>&1 <<'PY' || fail "protocol isolation: $(cat "$WORK/wire.out")"
import hashlib, json, os, socket, ssl, struct, sys

PRIMARY, ALTERNATE, CA, CLI_A_CREDENTIALS = sys.argv[1:5]

sys.path.insert(0, os.environ["TESTS_DIR"] + "/integration")
from offsite_wire import *  # noqa: E402,F403  (CBOR codec, Conn, register)
configure(CA)

A = register(PRIMARY)
B = register(ALTERNATE)
assert A["account_id"] != B["account_id"]
cli_a = json.load(open(CLI_A_CREDENTIALS))

# Before auth, storage requests are refused.
anon = Conn(PRIMARY)
assert anon.error("get", {"key": "keys/0a"}) == "auth_required"
assert anon.error("list", {"prefix": "", "start_after": "", "limit": 10}) == "auth_required"

a = Conn(PRIMARY); a.auth(A)
A_BYTES = b"account A's key file\n" * 100
a_snapshot = b"A's snapshot"
a_snapshot_key = "snapshots/" + hashlib.sha256(a_snapshot).hexdigest()
assert a.ok("put", {"key": "keys/0a"}, A_BYTES)[0]["created"] is True
assert a.ok("put", {"key": a_snapshot_key}, a_snapshot)[0]["created"] is True
a_keys = a.keys()
assert a_keys == {"keys/0a": len(A_BYTES), a_snapshot_key: len(a_snapshot)}, a_keys

# The CLI account's real objects, to name them from B too.
cli = Conn(PRIMARY); cli.auth(cli_a)
cli_keys = cli.keys()
assert "config" in cli_keys and any(k.startswith("snapshots/") for k in cli_keys), cli_keys

def a_unchanged():
    assert a.keys() == a_keys, a.keys()
    _, data = a.ok("get", {"key": "keys/0a"})
    assert data == A_BYTES
    assert cli.keys() == cli_keys

AID = A["account_id"]
hostile = ["..", "../x", "keys/../x", "keys/../../x", f"../{AID}/repo/keys/x",
           f"../../{AID}/repo/keys/x", f"../../../accounts/{AID}/repo/keys/x", "/abs",
           "/keys/x", f"/accounts/{AID}/repo/keys/x", "keys//x", "keys/./x", ".", "", "keys/x/",
           "keys\\x", "..\\..\\x", "keys/x\x00", "keys/%2e%2e", "keys/\u00e9", "~/x", "keys/*"]

for server in (PRIMARY, ALTERNATE):
    b = Conn(server); b.auth(B)
    # B sees nothing of A's (nor of the CLI account's) by any listing.
    for prefix in ("", "keys/", "keys/0a", "snapshots/", "config", "accounts/", "data/"):
        assert b.keys(prefix) == {}, (prefix, b.keys(prefix))
    for prefix in ("../", f"../{AID}/", "/", "keys//", "./"):
        assert b.error("list", {"prefix": prefix, "start_after": "", "limit": 10}) == \
            "invalid_key", prefix
    # Reading A's keys by their names reads B's (absent) objects.
    for key in ["keys/0a", a_snapshot_key] + list(cli_keys):
        assert b.error("get", {"key": key}) == "not_found", key
        assert b.error("get", {"key": key, "offset": 0, "length": 4}) == "not_found", key
        assert b.error("head", {"key": key}) == "not_found", key
        assert b.ok("remove", {"key": key})[0]["removed"] is False, key
    a_unchanged()
    # B's put of keys/0a makes B's own object; A's stays as it was.
    B_BYTES = b"B writes here\n"
    assert b.ok("put", {"key": "keys/0a"}, B_BYTES)[0]["created"] is True
    assert b.ok("get", {"key": "keys/0a"})[1] == B_BYTES
    assert b.keys() == {"keys/0a": len(B_BYTES)}
    a_unchanged()
    assert b.ok("remove", {"key": "keys/0a"})[0]["removed"] is True
    assert b.error("head", {"key": "keys/0a"}) == "not_found"
    a_unchanged()
    # Hostile keys: refused, never resolved outside B's own space.
    for key in hostile:
        for op, payload in (("get", b""), ("head", b""), ("remove", b""), ("put", b"evil")):
            code = b.error(op, {"key": key}, payload)
            assert code == "invalid_key", (op, key, code)
    a_unchanged()
    # A key spelling A's path on disk reads B's own (absent) object, and is
    # no repository name, so it cannot be written at all.
    spelled = f"accounts/{AID}/repo/keys/0a"
    assert b.error("get", {"key": spelled}) == "not_found"
    assert b.error("put", {"key": spelled}, b"evil") == "invalid_key"
    assert b.keys() == {}, b.keys()
    a_unchanged()

# --- wrong secrets and throttling (primary; fresh source addresses) ---------
S1, S2, S3 = "127.239.114.72", "127.239.115.72", "127.239.116.72"

# An unknown account and a wrong secret get the same answer.
c3 = Conn(PRIMARY, S3)
unknown = c3.call("auth", {"account_id": "0123456789abcdef", "secret": B["secret"]})
c1 = Conn(PRIMARY, S1)
wrong = c1.call("auth", {"account_id": AID, "secret": B["secret"]})
assert unknown[0] == REPLY_ERROR and wrong[0] == REPLY_ERROR
assert unknown[1]["code"] == wrong[1]["code"] == "auth_failed", (unknown, wrong)
assert unknown[1]["message"] == wrong[1]["message"]
# A failed auth leaves the connection unauthenticated.
assert c1.error("get", {"key": "keys/0a"}) == "auth_required"
# Four more failures against A from S1: five within 60 s.
for i in range(4):
    code = c1.error("auth", {"account_id": AID, "secret": os.urandom(32).hex()})
    assert code == "auth_failed", (i, code)
# Now S1's next failure is throttled ...
rop, h, _ = Conn(PRIMARY, S1).call("auth", {"account_id": AID, "secret": B["secret"]})
assert rop == REPLY_ERROR and h["code"] == "throttled", h
assert 0 < h["retry_after_ms"] <= 60000, h
# ... but the right secret is never refused for those failures: A from a
# fresh source, and B even from S1.
Conn(PRIMARY, S2).auth(A)
Conn(PRIMARY, S1).auth(B)
a_unchanged()

# The server keeps no account secret in the clear.
print("ok", A["secret"], B["secret"], cli_a["secret"])
PY
read -r _ secret_a secret_b secret_cli <"$WORK/wire.out"
for secret in "$secret_a" "$secret_b" "$secret_cli"; do
  ! grep -rqF "$secret" "$DC" || fail "an account secret is stored in the clear under $DC"
done
kill -0 "$(cat "$WORK/primary.pid")" || fail "the primary died"
kill -0 "$(cat "$WORK/alternate.pid")" || fail "the alternate died"
echo ok
