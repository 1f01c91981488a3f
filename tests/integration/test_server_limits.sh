#!/usr/bin/env bash
# Strangers, and holders of a stolen account secret, cannot starve or lock
# out others (issue 16, section 3), driven over the wire by a hostile peer:
# - before login, an announced 64 MiB frame costs nothing (closed at once),
#   and after it a header of a million empty arrays is refused undecoded:
#   the server's peak memory stays small;
# - one source address gets at most --max-connections-per-address
#   connections (the rest are refused and logged), so it cannot fill the
#   global limit; a connection that does not log in is closed within 15 s;
# - five wrong secrets from one address never refuse the right secret, from
#   another address or even from that one;
# - an account holds only the repository's names and sizes: a planted
#   index/junk is refused, so the real client keeps working;
# - an append-only account cannot release or break another machine's live lock;
# - the object quota refuses puts beyond it with quota_exceeded;
# - open registration is limited per source address (exit 5 beyond it).
source "$(dirname "$0")/lib.sh"

PRIMARY=127.239.112.172:16384
ALTERNATE=127.239.113.172:16384
DC=$WORK/dc
FINGERPRINT=$("$OFFSITED_BIN" init --data "$DC" 2>/dev/null)
common=(--assign "$PRIMARY,$ALTERNATE" --registration-pair "$PRIMARY,$ALTERNATE"
  --subnet 127.239.112.0/24 --subnet 127.239.113.0/24
  --max-connections 24 --max-connections-per-address 4)
start_offsited primary "$DC" "$PRIMARY" "${common[@]}"
start_offsited alternate "$DC" "$ALTERNATE" "${common[@]}"
REGISTER_ARGS=(--registration "$PRIMARY,$ALTERNATE" --subnet 127.239.112.0/24
  --subnet 127.239.113.0/24 --fingerprint "$FINGERPRINT")
primary_pid=$(cat "$WORK/primary.pid")

# A real client's repository, to show it still works afterwards.
cfg=(--config-dir "$WORK/cfg")
offsite "${cfg[@]}" register "${REGISTER_ARGS[@]}" >"$WORK/register.out" 2>&1 ||
  fail "register: $(cat "$WORK/register.out")"
mkdir -p "$WORK/src"
printf 'precious\n' >"$WORK/src/file"
offsite "${cfg[@]}" backup "$WORK/src" >/dev/null 2>"$WORK/backup.err" ||
  fail "backup: $(cat "$WORK/backup.err")"
cli_account=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["account_id"])' \
  "$WORK/cfg/credentials.json")

wire() { # NAME: runs the Python on standard input with the wire client loaded
  WORK=$WORK python3 - "$PRIMARY" "$DC/identity/ca.pem" "$WORK/cfg/credentials.json" "$primary_pid" \
    >"$WORK/$1.out" 2>&1 || fail "$1: $(cat "$WORK/$1.out")"
}

# --- strangers: memory, connections per address, login timeout --------------
wire strangers <<'PY'
import hashlib, json, os, select, socket, ssl, struct, sys, time
sys.path.insert(0, os.environ["TESTS_DIR"] + "/integration")
from offsite_wire import Conn, configure, register, cbor_encode, OPS
import offsite_wire
server, ca, credentials, pid = sys.argv[1:5]
configure(ca)
IP, PORT = server.rsplit(":", 1)[0], int(server.rsplit(":", 1)[1])

def peak_mib():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    raise AssertionError("no VmHWM")

def send(s, data):
    try:
        s.sendall(data)
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
        pass  # the server may close before it has read everything

def closed_within(s, seconds):
    """True when the server ends the connection within `seconds`."""
    s.settimeout(seconds)
    try:
        while s.recv(65536):
            pass
    except socket.timeout:
        return False
    except (ssl.SSLError, ConnectionResetError, OSError):
        pass
    return True

# A stranger that completes TLS and hello, then idles: it must be closed
# within the login timeout (15 s), not held for the 120 s of a logged-in client.
idle = Conn(server, "127.239.116.161")
idle_since = time.monotonic()

base = peak_mib()
# Six strangers announce 64 MiB frames; each is closed without the server
# allocating what they announced.
for i in range(6):
    c = Conn(server, f"127.239.114.{170 + i}")
    header = cbor_encode({"client": "x"})
    body_len = 64 << 20
    send(c.s, struct.pack(">IBBII", body_len, 1, 1, 9, len(header)) + header + b"\0" * 65536)
    assert closed_within(c.s, 10), f"a stranger's 64 MiB frame {i} was not refused"
time.sleep(0.5)
grown = peak_mib() - base
assert grown < 48, f"six announced 64 MiB frames raised the server's peak memory by {grown} MiB"

# After login: a 1 MiB header of empty arrays is refused before decoding.
A = register(server)
json.dump(A, open(os.environ["WORK"] + "/account_a.json", "w"))
a = Conn(server, "127.239.114.180")
a.auth(A)
count = (1 << 20) - 64
header = b"\xa2" + cbor_encode("key") + cbor_encode("keys/00") + cbor_encode("x") + \
    b"\x9a" + struct.pack(">I", count) + b"\x80" * count
send(a.s, struct.pack(">IBBII", 10 + len(header), 1, OPS["put"], 5, len(header)) + header)
assert closed_within(a.s, 10), "a header of a million empty arrays was not refused"
time.sleep(0.5)
grown = peak_mib() - base
assert grown < 48, f"a header of empty arrays raised the server's peak memory by {grown} MiB"

# One address opens 30 connections and sends nothing: it gets 4 (the
# per-address limit), the others are closed at once; another address still
# gets in although the server's total limit is 24.
flood = [socket.create_connection((IP, PORT), source_address=("127.239.114.161", 0))
         for _ in range(30)]
def is_closed(s):
    try:
        return s.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
for s in flood:
    s.setblocking(False)
open_ones = set(flood)
until = time.monotonic() + 5  # the kept ones are closed only after the 10 s handshake limit
while len(open_ones) > 4 and time.monotonic() < until:
    select.select(list(open_ones), [], [], 0.2)
    open_ones = {s for s in open_ones if not is_closed(s)}
refused = 30 - len(open_ones)
assert refused == 26, f"{30 - refused} of 30 connections from one address were kept (limit 4)"
other = Conn(server, "127.239.115.161")
other.auth(A)

# The idle stranger from the start is gone within the login timeout.
assert closed_within(idle.s, max(1, 25 - (time.monotonic() - idle_since))), \
    "a connection that never logged in was kept more than 25 s"
for s in flood:
    s.close()
print("ok")
PY
grep -q "refused a connection from 127.239.114.161: 4 connections from this address" \
  "$WORK/primary.err" || fail "the refusals were not logged: $(tail -5 "$WORK/primary.err")"
grep -q "closed the connection from 127.239.116.161:[0-9]*: no login within 15 s" \
  "$WORK/primary.err" || fail "the login timeout was not logged: $(tail -5 "$WORK/primary.err")"
grep -q "closed the connection from 127.239.114.170:[0-9]*: read frame: a frame of 67108864 bytes exceeds the limit of 65536" \
  "$WORK/primary.err" || fail "the oversized frame was not logged: $(tail -5 "$WORK/primary.err")"

# --- failed logins: the owner is never locked out ---------------------------
wire throttle <<'PY'
import json, os, sys
sys.path.insert(0, os.environ["TESTS_DIR"] + "/integration")
from offsite_wire import Conn, configure, REPLY_ERROR
server, ca = sys.argv[1:3]
configure(ca)
A = json.load(open(os.environ["WORK"] + "/account_a.json"))
attacker = Conn(server, "127.239.114.190")
for i in range(5):
    code = attacker.error("auth", {"account_id": A["account_id"], "secret": os.urandom(32).hex()})
    assert code == "auth_failed", (i, code)
rop, h, _ = attacker.call("auth", {"account_id": A["account_id"], "secret": "00" * 32})
assert rop == REPLY_ERROR and h["code"] == "throttled" and h["retry_after_ms"] > 0, h
# The owner, from another address and from the attacker's own (a shared NAT).
Conn(server, "127.239.115.190").auth(A)
Conn(server, "127.239.114.190").auth(A)
print("ok")
PY

# --- names and sizes in an account ---------------------------------------------
wire names <<'PY'
import hashlib, json, os, sys
sys.path.insert(0, os.environ["TESTS_DIR"] + "/integration")
from offsite_wire import Conn, configure
server, ca, credentials = sys.argv[1:4]
configure(ca)
c = Conn(server)
c.auth(json.load(open(credentials)))
before = c.keys()
sha = lambda b: hashlib.sha256(b).hexdigest()
pack = b"pack"
for key in ("index/junk", "index/" + sha(b"x")[:63], "snapshots/latest", "keys/x", "junk",
            "a/b/c/d/e/f", "data/" + sha(pack), "data/00/" + sha(pack), "locks/a/b",
            "keys/" + "0" * 65, "config/x", "index/" + sha(b"i") + "/x"):
    assert c.error("put", {"key": key}, b"{}") == "invalid_key", key
assert c.error("put", {"key": "keys/00ff"}, b"k" * (65 << 10)) == "too_large"
big = b"s" * ((16 << 20) + 1)
assert c.error("put", {"key": "snapshots/" + sha(big)}, big) == "too_large"
assert c.error("put", {"key": "locks/x"}, b"l" * (65 << 10)) == "too_large"
assert c.keys() == before, "a refused put left an object"
# Well-formed names still go in (and a hash still has to match).
assert c.ok("put", {"key": "keys/00ff"}, b"k")[0]["created"] is True
assert c.ok("put", {"key": "data/" + sha(pack)[:2] + "/" + sha(pack)}, pack)[0]["created"] is True
assert c.error("put", {"key": "index/" + sha(b"other")}, b"i") == "hash_mismatch"
print("ok")
PY
offsite "${cfg[@]}" snapshots >"$WORK/snapshots.out" 2>&1 ||
  fail "snapshots after the planting attempts: $(cat "$WORK/snapshots.out")"

# --- append-only: another machine's live lock stays --------------------------
"$OFFSITED_BIN" account set --data "$DC" "$cli_account" --append-only on >/dev/null
wire leases <<'PY'
import json, sys, os
sys.path.insert(0, os.environ["TESTS_DIR"] + "/integration")
from offsite_wire import Conn, configure
server, ca, credentials = sys.argv[1:4]
configure(ca)
account = json.load(open(credentials))
machine1 = Conn(server); machine1.auth(account)
lease = machine1.ok("lease_acquire", {"kind": "shared", "command": "backup"})[0]["lease"]["id"]
thief = Conn(server); thief.auth(account)
assert thief.error("lease_break", {"lease_id": lease}) == "append_only"
assert thief.error("lease_release", {"lease_id": lease}) == "append_only"
listed = thief.ok("lease_list", {})[0]["leases"]
assert [l["id"] for l in listed] == [lease], listed
# Its own lock, the machine releases as always.
machine1.ok("lease_release", {"lease_id": lease})
assert thief.ok("lease_list", {})[0]["leases"] == []
print("ok")
PY
"$OFFSITED_BIN" account set --data "$DC" "$cli_account" --append-only off >/dev/null

# --- the object quota ------------------------------------------------------------
account_a=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["account_id"])' \
  "$WORK/account_a.json")
"$OFFSITED_BIN" account set --data "$DC" "$account_a" --quota-objects 3 >"$WORK/set.out"
grep -q "3 objects" "$WORK/set.out" || fail "account set said: $(cat "$WORK/set.out")"
wire quota <<'PY'
import json, os, sys
sys.path.insert(0, os.environ["TESTS_DIR"] + "/integration")
from offsite_wire import Conn, configure
server, ca = sys.argv[1:3]
configure(ca)
c = Conn(server); c.auth(json.load(open(os.environ["WORK"] + "/account_a.json")))
stored = 0
for i in range(10):
    rop, h, _ = c.call("put", {"key": f"keys/{i:02x}"}, b"")
    if rop != 0x80:
        assert h["code"] == "quota_exceeded" and "3 objects" in h["message"], h
        break
    stored += 1
assert stored == 3, f"{stored} empty objects were stored under a limit of 3"
c.ok("remove", {"key": "keys/00"})  # no repository yet: no lease needed
assert c.ok("put", {"key": "keys/10"}, b"")[0]["created"] is True
print("ok")
PY
"$OFFSITED_BIN" accounts --data "$DC" --json | python3 -c '
import json, sys
a = [x for x in json.load(sys.stdin) if x["id"] == sys.argv[1]][0]
assert a["quota_objects"] == 3 and a["usage_objects"] == 3, a' "$account_a" ||
  fail "accounts does not show the object quota"

# --- registrations per address: a front-end with --max-registrations-per-hour 2
# creates two accounts from one address, then refuses (exit 5) and says when.
LIMITED=127.239.112.175:16384
start_offsited limited "$DC" "$LIMITED" --assign "$PRIMARY,$ALTERNATE" \
  --registration-pair "$LIMITED,$ALTERNATE" --subnet 127.239.112.0/24 \
  --subnet 127.239.113.0/24 --max-registrations-per-hour 2
limited_register=(register --registration "$LIMITED,$ALTERNATE" --subnet 127.239.112.0/24
  --subnet 127.239.113.0/24 --fingerprint "$FINGERPRINT")
for i in 1 2; do
  offsite --config-dir "$WORK/reg-$i" "${limited_register[@]}" >"$WORK/reg-$i.out" 2>&1 ||
    fail "registration $i of 2 was refused: $(cat "$WORK/reg-$i.out")"
done
status=0
offsite --config-dir "$WORK/reg-3" "${limited_register[@]}" >"$WORK/reg-3.out" 2>&1 || status=$?
[[ $status == 5 ]] || fail "expected exit 5 beyond the limit, got $status: $(cat "$WORK/reg-3.out")"
grep -q "too many accounts were registered from this address within the hour" "$WORK/reg-3.out" ||
  fail "the refusal does not say why: $(cat "$WORK/reg-3.out")"
grep -q "hint: try again in about 60 minutes" "$WORK/reg-3.out" ||
  fail "the refusal does not say when to try again: $(cat "$WORK/reg-3.out")"
[[ ! -e $WORK/reg-3/credentials.json ]] || fail "a refused registration saved credentials"
grep -q "registered 2 accounts within the hour" "$WORK/limited.err" ||
  fail "the server did not log the limit: $(cat "$WORK/limited.err")"

for name in primary alternate limited; do
  kill -0 "$(cat "$WORK/$name.pid")" || fail "offsited $name died: $(tail -5 "$WORK/$name.err")"
done
echo ok
