#!/usr/bin/env bash
# Hostile bytes on the wire: garbage, truncated frames, oversized length
# prefixes, a wrong version, headers that are not CBOR... each sent on its
# own connection (inside TLS, and some on raw TCP) to the primary while a
# backup runs beside them. The server closes each such connection; the
# backup neither fails nor fails over, its restore is byte-identical, and
# both servers are still running and answering.
source "$(dirname "$0")/lib.sh"

start_pair 127.239.112.73 127.239.113.73
cfg=(--config-dir "$WORK/cfg")
offsite "${cfg[@]}" register "${REGISTER_ARGS[@]}" >"$WORK/register.out" 2>"$WORK/register.err" ||
  fail "register failed: $(cat "$WORK/register.err")"

src=$WORK/src
make_tree "$src"
mkdir -p "$src/big"
for i in 1 2 3 4; do head -c 50000000 /dev/urandom >"$src/big/part-$i.bin"; done

# running PID: the process exists and is not a zombie awaiting its parent.
running() {
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null || true)
  [[ -n $state && $state != Z* ]]
}

offsite "${cfg[@]}" backup "$src" >"$WORK/backup.out" 2>"$WORK/backup.err" &
backup_pid=$!
# Start the attack once the backup is provably under way (bounded wait).
for _ in $(seq 300); do
  stored=$(du -sb "$DC/store" 2>/dev/null | cut -f1)
  ((stored > 10000000)) && break
  running "$backup_pid" || break
  sleep 0.1
done
running "$backup_pid" || fail "the backup ended before the hostile frames could be sent"

# Rounds of hostile connections until the backup ends (at most 60 s); the
# first round must start while the backup runs.
python3 - "$PRIMARY" "$DC/identity/ca.pem" "$backup_pid" >"$WORK/hostile.out" 2>&1 <<'PY' ||
import os, socket, ssl, struct, sys, time

PRIMARY, CA, BACKUP_PID = sys.argv[1], sys.argv[2], int(sys.argv[3])
IP, PORT = PRIMARY.rsplit(":", 1)[0], int(PRIMARY.rsplit(":", 1)[1])
MAX_FRAME = (64 << 20) + (64 << 10)
HELLO_HEADER = bytes([0xA1, 0x66]) + b"client" + bytes([0x64]) + b"test"  # CBOR {"client":"test"}

def backup_running():
    try:
        with open(f"/proc/{BACKUP_PID}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False

ctx = ssl.create_default_context(cafile=CA)
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
ctx.set_alpn_protocols(["offsite/1"])

def frame(op=1, rid=1, header=HELLO_HEADER, payload=b"", version=1, length=None, hlen=None):
    body = struct.pack(">BBII", version, op, rid, len(header) if hlen is None else hlen)
    body += header + payload
    return struct.pack(">I", len(body) if length is None else length) + body

def tcp():
    return socket.create_connection((IP, PORT), timeout=15)

def tls():
    s = ctx.wrap_socket(tcp(), server_hostname=IP)
    assert s.version() == "TLSv1.3" and s.selected_alpn_protocol() == "offsite/1"
    return s

def closed_by_server(s):
    """Reads until the server ends the connection; fails after 15 s."""
    got = 0
    try:
        while True:
            data = s.recv(65536)
            if not data:
                break
            got += len(data)
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError, EOFError):
        pass
    except socket.timeout:
        raise AssertionError(f"the server kept the connection open 15 s ({got} bytes received)")
    finally:
        s.close()
    return got

def send(s, data):
    try:
        s.sendall(data)
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
        pass  # the server may close before it has read everything

def hello_ok(s):
    send(s, frame(rid=7))
    head = b""
    while len(head) < 14:
        chunk = s.recv(14 - len(head))
        assert chunk, "closed instead of answering hello"
        head += chunk
    length, version, op, rid, hlen = struct.unpack(">IBBII", head)
    assert (version, op, rid) == (1, 0x80, 7), (version, op, rid)
    rest = length - 10
    while rest:
        rest -= len(s.recv(rest))

# Each case: (name, transport, bytes, how to end our side).
#   "hold": keep our side open (the server must close by itself)
#   "fin":  TCP end of stream after the bytes, without a TLS close_notify
#   "close_notify": a TLS close_notify after the bytes
cases = [
    ("raw: random garbage", "tcp", os.urandom(65536), "hold"),
    ("raw: an HTTP request", "tcp", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + b"x" * 4000, "hold"),
    ("raw: a plaintext offsite frame", "tcp", frame(), "hold"),
    ("raw: a TLS record header claiming 16 KiB, then FIN", "tcp", b"\x16\x03\x01\x40\x00\x01", "fin"),
    ("tls: random garbage", "tls", os.urandom(65536), "hold"),
    ("tls: zero bytes of body, FIN", "tls", b"\x00\x00", "fin"),
    ("tls: truncated frame, FIN", "tls", frame(payload=b"p" * 100)[:40], "fin"),
    ("tls: truncated frame, close_notify", "tls", frame(payload=b"p" * 100)[:40], "close_notify"),
    ("tls: length prefix 0xFFFFFFFF", "tls", frame(length=0xFFFFFFFF), "hold"),
    ("tls: length prefix max+1 (head only)", "tls", frame(length=MAX_FRAME + 1)[:14], "hold"),
    ("tls: length prefix shorter than the fixed fields", "tls", frame(length=3), "hold"),
    ("tls: header length beyond the body", "tls", frame(hlen=1000), "hold"),
    ("tls: header length 2 MiB (head only)", "tls",
     frame(length=10 + (2 << 20), hlen=2 << 20)[:14], "hold"),
    ("tls: version 2", "tls", frame(version=2), "hold"),
    ("tls: version 0", "tls", frame(version=0), "hold"),
    ("tls: unknown op 0x42", "tls", frame(op=0x42), "hold"),
    ("tls: header not CBOR (0xff bytes)", "tls", frame(header=b"\xff" * 5), "hold"),
    ("tls: header not CBOR (text)", "tls", frame(header=b"{\"client\": \"json\"}"), "hold"),
    ("tls: CBOR header cut short", "tls", frame(header=HELLO_HEADER[:-2]), "hold"),
    ("tls: CBOR header with trailing bytes", "tls", frame(header=HELLO_HEADER + b"\x00junk"), "hold"),
    ("tls: CBOR header nested 100 deep", "tls",
     frame(header=bytes([0xA1, 0x61, 0x61]) + b"\x81" * 100 + b"\x00"), "hold"),
    ("tls: CBOR string length 2^63", "tls",
     frame(header=bytes([0xA1, 0x7B]) + b"\x7f" + b"\xff" * 7), "hold"),
]

deadline = time.monotonic() + 60
rounds = 0
assert backup_running(), "the backup had already ended"
while True:
    for name, kind, data, end in cases:
        try:
            s = tcp() if kind == "tcp" else tls()
            send(s, data)
            if end == "fin":
                s.shutdown(socket.SHUT_WR)
            elif end == "close_notify":
                try:
                    s = s.unwrap()
                except (ssl.SSLError, OSError):
                    pass
            closed_by_server(s)
        except AssertionError as e:
            raise AssertionError(f"{name}: {e}") from None
    # A session that started well is closed too when garbage follows.
    s = tls()
    hello_ok(s)
    send(s, frame(version=9))
    try:
        closed_by_server(s)
    except AssertionError as e:
        raise AssertionError(f"tls: hello, then version 9: {e}") from None
    rounds += 1
    if not backup_running() or time.monotonic() > deadline:
        break
# The server still answers a well-formed request.
s = tls()
hello_ok(s)
s.close()
print(f"{rounds} rounds of {len(cases) + 1} hostile connections")
PY
  fail "hostile frames: $(cat "$WORK/hostile.out")"

# The backup beside them: bounded wait, exit 0, no failover.
for _ in $(seq 600); do
  running "$backup_pid" || break
  sleep 0.1
done
running "$backup_pid" && fail "the backup still runs 60 s after the hostile frames"
status=0
wait "$backup_pid" || status=$?
[[ $status == 0 ]] || fail "backup exited $status beside hostile frames: $(cat "$WORK/backup.err")"
grep -q "continuing on the" "$WORK/backup.err" &&
  fail "the backup lost its connection to the primary: $(cat "$WORK/backup.err")"

offsite "${cfg[@]}" restore latest --target "$WORK/restore" --verify \
  >"$WORK/restore.out" 2>"$WORK/restore.err" || fail "restore failed: $(cat "$WORK/restore.err")"
compare_trees "$src" "$WORK/restore$src"

for name in primary alternate; do
  running "$(cat "$WORK/$name.pid")" || fail "offsited $name died: $(tail -5 "$WORK/$name.err")"
done
echo "ok ($(cat "$WORK/hostile.out"))"
