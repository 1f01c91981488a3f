#!/usr/bin/env bash
# firewall-rules: the iptables output passes iptables-restore --test, the
# nftables output passes nft -c, the JSON has its documented shape; and in
# a network namespace whose output policy drops everything, loading the
# generated nftables rules is exactly what lets a backup through, while
# other ports and addresses stay blocked.
if [[ -z ${OFFSITE_IN_NETNS:-} ]]; then
  exec unshare -n env OFFSITE_IN_NETNS=1 bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
ip link set lo up

start_pair 127.239.112.10 127.239.113.10 # a namespace of its own: the real default addresses
client=(--config-dir "$WORK/config")
offsite "${client[@]}" register "${REGISTER_ARGS[@]}" >/dev/null

offsite "${client[@]}" firewall-rules --format iptables >"$WORK/rules.iptables"
iptables-restore --test --noflush "$WORK/rules.iptables" ||
  fail "iptables-restore rejects: $(cat "$WORK/rules.iptables")"
offsite "${client[@]}" --source-ports 1024-5000 firewall-rules --format iptables --inbound \
  >"$WORK/rules-inbound.iptables"
grep -q -- "--sport 1024:5000" "$WORK/rules-inbound.iptables" || fail "no source-port range"
grep -q -- "-A INPUT -p tcp -s 127.239.113.0/24 --sport 16384 --dport 1024:5000" \
  "$WORK/rules-inbound.iptables" || fail "no inbound rule"
iptables-restore --test --noflush "$WORK/rules-inbound.iptables" || fail "inbound rules rejected"

offsite "${client[@]}" firewall-rules --format nftables >"$WORK/rules.nft"
nft -c -f "$WORK/rules.nft" || fail "nft -c rejects: $(cat "$WORK/rules.nft")"

offsite "${client[@]}" firewall-rules --format json >"$WORK/rules.json"
python3 - "$WORK/rules.json" <<'PY' || fail "JSON shape: $(cat "$WORK/rules.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["type"] == "firewall_rules" and d["schema"] == 1, d
assert d["transport"] == "direct" and d["port"] == 16384
assert d["subnets"] == ["127.239.112.0/24", "127.239.113.0/24"], d["subnets"]
assert len(d["storage"]) == 2 and len(d["registration"]) == 2
for r in d["rules"]:
    assert r["protocol"] == "tcp" and r["where"] == "client" and r["direction"] == "outbound", r
    assert r["remote_port"] == 16384 and r["remote"] in d["subnets"], r
PY
# --json with a dialect: the document carries the rules as that dialect
# writes them, never silently the plain document.
offsite "${client[@]}" --json firewall-rules --format iptables >"$WORK/rules-iptables.json"
python3 - "$WORK/rules-iptables.json" "$WORK/rules.iptables" <<'PY' ||
import json, sys
d = json.load(open(sys.argv[1]))
assert d["type"] == "firewall_rules" and d["format"] == "iptables", d
assert d["rendered"] == open(sys.argv[2]).read(), d["rendered"]
assert d["rules"], d
PY
  fail "--json --format iptables: $(cat "$WORK/rules-iptables.json")"
offsite "${client[@]}" --json firewall-rules >"$WORK/rules-plain.json"
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert "rendered" not in d' \
  "$WORK/rules-plain.json" || fail "plain --json has a rendered text"
for format in text pf ufw firewalld windows cisco; do
  offsite "${client[@]}" firewall-rules --format "$format" >"$WORK/rules.$format"
  if grep -vi "never uses udp" "$WORK/rules.$format" | grep -qiE "udp|icmp"; then
    fail "$format output allows UDP or ICMP: $(cat "$WORK/rules.$format")"
  fi
  grep -q 16384 "$WORK/rules.$format" || fail "$format output lacks the port"
done

# A locked-down machine: everything outbound dropped, except the servers'
# own answers (their side of the firewall, not ours).
nft -f - <<'NFT'
table inet filter {
  chain output { type filter hook output priority filter; policy drop; tcp sport 16384 accept; }
}
NFT
status=0
offsite "${client[@]}" test-connection --timeout 2 >"$WORK/blocked.out" 2>&1 || status=$?
[[ $status == 4 ]] || fail "blocked: test-connection exited $status: $(cat "$WORK/blocked.out")"
grep -q "timeout" "$WORK/blocked.out" || fail "blocked: no timeout reported"

nft -f "$WORK/rules.nft"
mkdir -p "$WORK/data"
printf 'through the firewall\n' >"$WORK/data/file"
offsite "${client[@]}" backup "$WORK/data" >/dev/null || fail "backup failed with the rules loaded"
offsite "${client[@]}" test-connection >/dev/null || fail "test-connection fails with the rules"

# Still blocked: another port on a server address, another address.
python3 - <<'PY' || fail "the rules let other traffic through"
import socket
for target in (("127.239.112.10", 9999), ("127.0.0.1", 16384), ("127.239.114.10", 16384)):
    s = socket.socket()
    s.settimeout(1.5)
    try:
        s.connect(target)
        raise SystemExit(f"connected to {target}")
    except socket.timeout:
        pass  # dropped, as it must be
    except ConnectionRefusedError:
        raise SystemExit(f"{target} was refused, so the packet got out")
PY
echo OK
