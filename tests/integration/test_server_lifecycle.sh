#!/usr/bin/env bash
# offsited's life cycle: init (idempotent, 0600 key), fingerprint, invite,
# accounts, serve on two addresses, garbage on the wire closes only that
# connection, SIGTERM exits 0 promptly.
source "$(dirname "$0")/lib.sh"
: "${OFFSITED_BIN:?run through ctest, or set OFFSITED_BIN}"

primary=127.239.112.41
alternate=127.239.113.41
data=$WORK/dc

# init creates the identity once and prints its fingerprint.
first=$("$OFFSITED_BIN" init --data "$data" 2>/dev/null)
[[ $first =~ ^sha256:[0-9a-f]{64}$ ]] || fail "init printed: $first"
[[ $(stat -c %a "$data/identity/ca.key") == 600 ]] || fail "ca.key is not 0600"
second=$("$OFFSITED_BIN" init --data "$data" 2>/dev/null)
[[ $second == "$first" ]] || fail "a second init changed the identity: $first -> $second"
[[ $("$OFFSITED_BIN" fingerprint --data "$data") == "$first" ]] || fail "fingerprint differs"
# The fingerprint is the SHA-256 of the CA certificate's DER encoding.
der=$(openssl x509 -in "$data/identity/ca.pem" -outform DER | sha256sum | cut -d' ' -f1)
[[ $first == "sha256:$der" ]] || fail "fingerprint $first is not the certificate's ($der)"

# fingerprint on an uninitialised directory explains what to do, in the
# client's format: "offsited: error: ..." then "offsited: hint: ...", exit 1.
status=0
out=$("$OFFSITED_BIN" fingerprint --data "$WORK/nothing" 2>&1) || status=$?
[[ $status == 1 ]] || fail "fingerprint without an identity exited $status: $out"
[[ $out == *"offsited: error: $WORK/nothing holds no data-centre identity"* ]] ||
  fail "no error line: $out"
[[ $out == *"offsited: hint: run offsited init --data"* ]] || fail "no hint to run init: $out"
# A command line that does not parse is a usage error: exit 2, same format.
status=0
out=$("$OFFSITED_BIN" fingerprint 2>&1) || status=$?
[[ $status == 2 && $out == *"offsited: error: "*"--data"* && $out == *"offsited: hint: "* ]] ||
  fail "a missing --data: $status $out"
status=0
out=$("$OFFSITED_BIN" 2>&1) || status=$?
[[ $status == 2 && $out == *"offsited: error: no command given"* ]] || fail "no command: $status $out"
status=0
out=$("$OFFSITED_BIN" fingerprnt --data "$data" 2>&1) || status=$?
[[ $status == 2 && $out == *'offsited: error: unknown command "fingerprnt"'* &&
  $out == *"offsited: hint: the commands are init, fingerprint, "* ]] ||
  fail "an unknown command: $status $out"

code=$("$OFFSITED_BIN" invite --data "$data")
[[ $code =~ ^[0-9a-f]{20}$ ]] || fail "invite printed: $code"
[[ $("$OFFSITED_BIN" accounts --data "$data" --json) == "[]" ]] || fail "accounts not empty"

# serve on both addresses; wait (bounded) for both "listening on" lines.
"$OFFSITED_BIN" serve --data "$data" --listen "$primary:16384" --listen "$alternate:16384" \
  --subnet 127.239.112.0/24 --subnet 127.239.113.0/24 >"$WORK/serve.out" 2>"$WORK/serve.err" &
server_pid=$!
STARTED_PIDS+=("$server_pid")
for _ in $(seq 100); do
  [[ $(grep -c '^listening on ' "$WORK/serve.out" || true) == 2 ]] && break
  kill -0 "$server_pid" 2>/dev/null || fail "offsited serve exited: $(cat "$WORK/serve.err")"
  sleep 0.1
done
grep -qx "listening on $primary:16384" "$WORK/serve.out" || fail "no listening line for $primary"
grep -qx "listening on $alternate:16384" "$WORK/serve.out" || fail "no listening line for $alternate"

# Garbage, and an oversized frame header, get the connection closed; the
# server stays up and still completes TLS handshakes on both addresses.
python3 - "$primary" <<'PY' || fail "garbage did not get the connection closed"
import socket, sys
for payload in (b"GET / HTTP/1.0\r\n\r\n" + b"x" * 5000, b"\xff\xff\xff\xff\x01\x01"):
    s = socket.create_connection((sys.argv[1], 16384), timeout=10)
    s.sendall(payload)
    data = s.recv(65536)
    while data:
        data = s.recv(65536)  # until the server closes (timeout raises)
    s.close()
PY
# Inside TLS: an oversized frame, a wrong frame version, and a truncated
# frame are each answered by closing that connection; a well-formed hello on
# another connection still gets its reply.
python3 - "$primary" "$data/identity/ca.pem" <<'PY' || fail "bad frames inside TLS were not handled"
import socket, ssl, struct, sys
ip, ca = sys.argv[1], sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
ctx.set_alpn_protocols(["offsite/1"])

def connect():
    raw = socket.create_connection((ip, 16384), timeout=10)
    return ctx.wrap_socket(raw, server_hostname=ip)

def closed(s):
    try:
        while s.recv(65536):
            pass
    except (ssl.SSLError, ConnectionResetError):
        pass
    return True

for frame in (struct.pack(">IBBII", 0x7FFFFFFF, 1, 1, 1, 0),      # oversized
              struct.pack(">IBBII", 10, 9, 1, 1, 0),               # wrong version
              struct.pack(">IBBII", 100, 1, 1, 1, 0) + b"abc"):    # truncated
    s = connect()
    s.sendall(frame)
    if frame.endswith(b"abc"):
        s.shutdown(socket.SHUT_WR)  # TCP end of stream mid-frame
    assert closed(s)

s = connect()
header = bytes([0xA1, 0x66]) + b"client" + bytes([0x64]) + b"test"  # CBOR {"client": "test"}
body = struct.pack(">BBII", 1, 1, 7, len(header)) + header
s.sendall(struct.pack(">I", len(body)) + body)
head = b""
while len(head) < 14:
    head += s.recv(14 - len(head))
length, version, op, rid, hlen = struct.unpack(">IBBII", head)
assert op == 0x80 and rid == 7, (op, rid)
PY
kill -0 "$server_pid" || fail "offsited died after garbage"
for address in "$primary" "$alternate"; do
  echo | timeout 10 openssl s_client -connect "$address:16384" -tls1_3 -alpn offsite/1 \
    -CAfile "$data/identity/ca.pem" -verify_ip "$address" -verify_return_error \
    >"$WORK/s_client.out" 2>&1 || fail "TLS to $address failed: $(tail -5 "$WORK/s_client.out")"
  grep -q "Verify return code: 0 (ok)" "$WORK/s_client.out" || fail "certificate of $address not verified"
done

# SIGTERM: exit 0 within 5 s.
kill -TERM "$server_pid"
for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$server_pid" 2>/dev/null && fail "offsited still running 5 s after SIGTERM"
status=0
wait "$server_pid" || status=$?
[[ $status == 0 ]] || fail "offsited exited $status after SIGTERM"
echo ok
