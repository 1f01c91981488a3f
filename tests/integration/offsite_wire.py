"""The offsite wire protocol for tests that drive offsited directly: TLS 1.3
with ALPN offsite/1, length-prefixed frames with a CBOR header (see
offsite-protocol(7)). Standard library only."""
import socket
import ssl
import struct

# A tiny CBOR codec: definite lengths, the types our headers use.
def cbor_head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for ai, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if n < 1 << (8 * struct.calcsize(fmt)):
            return bytes([major << 5 | ai]) + struct.pack(fmt, n)
    raise ValueError(n)

def cbor_encode(v):
    if v is None: return b"\xf6"
    if v is True: return b"\xf5"
    if v is False: return b"\xf4"
    if isinstance(v, int):
        return cbor_head(0, v) if v >= 0 else cbor_head(1, -1 - v)
    if isinstance(v, bytes): return cbor_head(2, len(v)) + v
    if isinstance(v, str):
        b = v.encode("utf-8", "surrogateescape")
        return cbor_head(3, len(b)) + b
    if isinstance(v, (list, tuple)):
        return cbor_head(4, len(v)) + b"".join(cbor_encode(x) for x in v)
    if isinstance(v, dict):
        return cbor_head(5, len(v)) + b"".join(cbor_encode(k) + cbor_encode(x) for k, x in v.items())
    raise TypeError(type(v))

def cbor_decode(data, pos=0):
    ib = data[pos]; pos += 1
    major, ai = ib >> 5, ib & 31
    if major == 7:
        simple = {20: False, 21: True, 22: None}
        if ai in simple: return simple[ai], pos
        for a, fmt in ((25, ">e"), (26, ">f"), (27, ">d")):
            if ai == a:
                n = struct.calcsize(fmt)
                return struct.unpack(fmt, data[pos:pos + n])[0], pos + n
        raise ValueError(f"simple value {ai}")
    if ai < 24:
        n = ai
    else:
        fmt = {24: ">B", 25: ">H", 26: ">I", 27: ">Q"}[ai]  # KeyError: indefinite/reserved
        k = struct.calcsize(fmt)
        n = struct.unpack(fmt, data[pos:pos + k])[0]; pos += k
    if major == 0: return n, pos
    if major == 1: return -1 - n, pos
    if major in (2, 3):
        raw = bytes(data[pos:pos + n])
        assert len(raw) == n, "short string"
        return (raw if major == 2 else raw.decode()), pos + n
    if major == 4:
        out = []
        for _ in range(n):
            x, pos = cbor_decode(data, pos); out.append(x)
        return out, pos
    if major == 5:
        out = {}
        for _ in range(n):
            k, pos = cbor_decode(data, pos)
            out[k], pos = cbor_decode(data, pos)
        return out, pos
    raise ValueError(f"major type {major}")

assert cbor_decode(cbor_encode({"a": [1, -500, True, None, b"x", "é" * 30, 2**40]}))[0] == \
    {"a": [1, -500, True, None, b"x", "é" * 30, 2**40]}

OPS = {"hello": 1, "register_account": 2, "auth": 3, "put": 4, "get": 5, "head": 6,
       "list": 7, "remove": 8, "network_map": 9, "lease_acquire": 10, "lease_refresh": 11,
       "lease_release": 12, "lease_list": 13, "lease_break": 14, "unregister": 15}
REPLY_OK, REPLY_ERROR = 0x80, 0x81

ctx = None


def configure(ca_file):
    """Trust exactly the data centre's CA (its ca.pem)."""
    global ctx
    ctx = ssl.create_default_context(cafile=ca_file)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.set_alpn_protocols(["offsite/1"])

class Conn:
    def __init__(self, server, source=None):
        ip, port = server.rsplit(":", 1)
        raw = socket.create_connection((ip, int(port)), timeout=20,
                                       source_address=(source, 0) if source else None)
        self.s = ctx.wrap_socket(raw, server_hostname=ip)
        assert self.s.version() == "TLSv1.3", self.s.version()
        assert self.s.selected_alpn_protocol() == "offsite/1"
        self.next_id = 1
        op, h, _ = self.call("hello", {"client": "isolation-test"})
        assert op == REPLY_OK and h["protocol"] == 1, h

    def recv_exact(self, n):
        out = b""
        while len(out) < n:
            chunk = self.s.recv(n - len(out))
            if not chunk:
                raise EOFError("the server closed the connection")
            out += chunk
        return out

    def call(self, op, header, payload=b""):
        rid = self.next_id; self.next_id += 1
        h = cbor_encode(header)
        body = struct.pack(">BBII", 1, OPS[op], rid, len(h)) + h + payload
        self.s.sendall(struct.pack(">I", len(body)) + body)
        (length,) = struct.unpack(">I", self.recv_exact(4))
        body = self.recv_exact(length)
        version, rop, reply_id, hlen = struct.unpack(">BBII", body[:10])
        assert version == 1 and reply_id == rid, (version, reply_id, rid)
        header, end = cbor_decode(body, 10)
        assert end == 10 + hlen, "header length"
        return rop, header, body[10 + hlen:]

    def ok(self, op, header, payload=b""):
        rop, h, p = self.call(op, header, payload)
        assert rop == REPLY_OK, f"{op} {header}: {h}"
        return h, p

    def error(self, op, header, payload=b""):
        rop, h, _ = self.call(op, header, payload)
        assert rop == REPLY_ERROR, f"{op} {header} succeeded: {h}"
        return h["code"]

    def auth(self, account):
        return self.ok("auth", {"account_id": account["account_id"], "secret": account["secret"]})

    def keys(self, prefix=""):
        h, _ = self.ok("list", {"prefix": prefix, "start_after": "", "limit": 1000})
        assert h["truncated"] is False
        return {k: size for k, size in h["objects"]}

def register(server):
    c = Conn(server)
    h, _ = c.ok("register_account", {})
    assert len(h["account_id"]) == 16 and len(h["secret"]) == 64, h
    return {"account_id": h["account_id"], "secret": h["secret"]}

