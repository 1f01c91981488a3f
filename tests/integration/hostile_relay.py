"""A broken or hostile data-centre server for client tests: it terminates
TLS with a leaf certificate signed by the data centre's own CA (so the
client's pin holds), relays every frame to a real offsited behind it, and
misbehaves on the requests its mode names:

  put-internal   a put of a data/ object is answered with an "internal"
                 error (as a server whose disk or fsync failed answers),
                 without reaching the real server
  endless-list   every list request is answered with a full page of new,
                 valid, sorted keys and truncated=true, forever
  close-mid-put  while the client is still sending a put of a data/ object,
                 the relay hangs up (a server that dies or restarts mid-upload)

usage: hostile_relay.py MODE LISTEN_IP:PORT BACKEND_IP:PORT IDENTITY_DIR WORK_DIR
Prints "listening on LISTEN_IP:PORT" once it accepts connections.
Standard library and the openssl command only."""
import os
import socket
import ssl
import struct
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from offsite_wire import OPS, REPLY_ERROR, REPLY_OK, cbor_decode, cbor_encode  # noqa: E402

MODE, LISTEN, BACKEND, IDENTITY, WORK = sys.argv[1:6]
LISTEN_IP, LISTEN_PORT = LISTEN.rsplit(":", 1)
BACKEND_IP, BACKEND_PORT = BACKEND.rsplit(":", 1)


def issue_leaf():
    """A leaf for LISTEN_IP signed by the data centre's CA."""
    key, cert = os.path.join(WORK, "relay.key"), os.path.join(WORK, "relay.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-new", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-subj",
         "/CN=hostile relay", "-addext", f"subjectAltName=IP:{LISTEN_IP}", "-addext",
         "extendedKeyUsage=serverAuth", "-CA", os.path.join(IDENTITY, "ca.pem"), "-CAkey",
         os.path.join(IDENTITY, "ca.key"), "-days", "2"],
        check=True, capture_output=True)
    chain = os.path.join(WORK, "relay-chain.pem")
    with open(chain, "w") as out:
        out.write(open(cert).read() + open(os.path.join(IDENTITY, "ca.pem")).read())
    return key, chain


def recv_exact(s, n):
    out = bytearray()
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            raise EOFError
        out += chunk
    return bytes(out)


def read_head(s):
    """The length prefix, fixed fields and header of a frame: what comes
    before its payload. Returns (op, rid, header, bytes read, payload length)."""
    (length,) = struct.unpack(">I", recv_exact(s, 4))
    fixed = recv_exact(s, 10)
    version, op, rid, hlen = struct.unpack(">BBII", fixed)
    raw_header = recv_exact(s, hlen)
    header, _ = cbor_decode(raw_header, 0)
    return op, rid, header, struct.pack(">I", length) + fixed + raw_header, length - 10 - hlen


def read_frame(s):
    op, rid, header, head, payload_length = read_head(s)
    return op, rid, header, head + recv_exact(s, payload_length)


def frame(op, rid, header, payload=b""):
    h = cbor_encode(header)
    body = struct.pack(">BBII", 1, op, rid, len(h)) + h + payload
    return struct.pack(">I", len(body)) + body


def endless_page(rid, header):
    prefix, after = header.get("prefix", ""), header.get("start_after", "")
    limit = min(header.get("limit") or 1000, 1000)
    n = int(after[len(prefix):], 16) + 1 if after.startswith(prefix) and after != prefix else 0
    objects = [[f"{prefix}{n + i:064x}", 100] for i in range(limit)]
    return frame(REPLY_OK, rid, {"objects": objects, "truncated": True})


def serve(client, server_ctx, backend_ctx):
    tls = backend = None
    try:
        tls = server_ctx.wrap_socket(client, server_side=True)
        raw = socket.create_connection((BACKEND_IP, int(BACKEND_PORT)), timeout=30)
        backend = backend_ctx.wrap_socket(raw, server_hostname=BACKEND_IP)
        while True:
            op, rid, header, head, payload_length = read_head(tls)
            if MODE == "close-mid-put" and op == OPS["put"] and \
                    str(header.get("key", "")).startswith("data/") and payload_length > 65536:
                recv_exact(tls, payload_length // 2)
                print(f"hung up halfway through a put of {payload_length} bytes",
                      file=sys.stderr, flush=True)
                tls.shutdown(socket.SHUT_RDWR)  # no close_notify: a hang-up
                break
            raw_frame = head + recv_exact(tls, payload_length)
            if MODE == "put-internal" and op == OPS["put"] and \
                    str(header.get("key", "")).startswith("data/"):
                tls.sendall(frame(REPLY_ERROR, rid, {
                    "code": "internal", "message": "fsync of the object's directory failed"}))
                continue
            if MODE == "endless-list" and op == OPS["list"]:
                tls.sendall(endless_page(rid, header))
                continue
            backend.sendall(raw_frame)
            _, _, _, reply = read_frame(backend)
            tls.sendall(reply)
    except EOFError:
        pass
    except (OSError, ssl.SSLError) as e:
        print(f"connection ended: {e!r}", file=sys.stderr, flush=True)
    finally:
        for s in (tls, backend, client):
            if s is not None:
                s.close()


def main():
    key, chain = issue_leaf()
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    server_ctx.set_alpn_protocols(["offsite/1"])
    server_ctx.load_cert_chain(chain, key)
    backend_ctx = ssl.create_default_context(cafile=os.path.join(IDENTITY, "ca.pem"))
    backend_ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    backend_ctx.set_alpn_protocols(["offsite/1"])
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((LISTEN_IP, int(LISTEN_PORT)))
    listener.listen(16)
    print(f"listening on {LISTEN}", flush=True)
    while True:
        client, _ = listener.accept()
        threading.Thread(target=serve, args=(client, server_ctx, backend_ctx),
                         daemon=True).start()


main()
