#!/usr/bin/env bash
# test-connection classifies what blocks each server, in text and JSON, with
# the documented exit status: a stopped server, a port where nothing
# listens, packets silently dropped (nftables, in a namespace of our own),
# a SOCKS proxy refusing our password, a proxy whose rules forbid the
# destination, and a server with another identity.
if [[ -z ${OFFSITE_IN_NETNS:-} ]]; then
  exec unshare -n env OFFSITE_IN_NETNS=1 bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
ip link set lo up

start_pair 127.239.112.20 127.239.113.20
client=(--config-dir "$WORK/config")
offsite "${client[@]}" register "${REGISTER_ARGS[@]}" >/dev/null

# probe NAME EXPECTED_EXIT [ENV=VALUE...] -- [GLOBAL_OPTIONS...]: runs
# test-connection twice (text, JSON); checks the exit status both times and
# leaves the JSON summary in $WORK/NAME.json and the text in $WORK/NAME.txt.
probe() {
  local name=$1 want=$2 status
  shift 2
  local envs=()
  while [[ $1 != -- ]]; do envs+=("$1"); shift; done
  shift
  status=0
  env "${envs[@]}" "$OFFSITE_BIN" --password-file "$WORK/passphrase" "${client[@]}" "$@" \
    test-connection --timeout 2 >"$WORK/$name.txt" 2>&1 || status=$?
  [[ $status == "$want" ]] || fail "$name: exit $status, expected $want: $(cat "$WORK/$name.txt")"
  status=0
  env "${envs[@]}" "$OFFSITE_BIN" --password-file "$WORK/passphrase" "${client[@]}" --json "$@" \
    test-connection --timeout 2 >"$WORK/$name.jsonl" 2>/dev/null || status=$?
  [[ $status == "$want" ]] || fail "$name: JSON run exit $status, expected $want"
  # A failure ends with the error object; the summary comes just before it.
  grep '"type":"summary"' "$WORK/$name.jsonl" | tail -n1 >"$WORK/$name.json"
}

# failure_of NAME ROLE: the failure kind JSON reports for that server ("" = ok).
failure_of() {
  python3 - "$WORK/$1.json" "$2" <<'PY'
import json, sys
summary = json.load(open(sys.argv[1]))
assert summary["type"] == "summary" and summary["command"] == "test-connection", summary
server = [s for s in summary["servers"] if s["role"] == sys.argv[2]][0]
print(server.get("failure", ""))
PY
}

probe healthy 0 --
for role in "registration primary" "registration alternate" "storage primary" "storage alternate"; do
  [[ $(failure_of healthy "$role") == "" ]] || fail "healthy: $role failed"
done
grep -q "login .*ok" "$WORK/healthy.txt" || fail "healthy: no login step: $(cat "$WORK/healthy.txt")"
grep -q "identity .*ok" "$WORK/healthy.txt" || fail "healthy: no identity step"

# Nothing listens on 16399: refused. The alternate still works, so the
# client can work, but only through failover: its own outcome, exit 12.
probe no-listener 12 OFFSITE_REGISTRATION=127.239.112.20:16399,127.239.113.20 --
python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
assert d["result"]=="failover_only" and d["exit_code"]==12, d' "$WORK/no-listener.json" ||
  fail "no listener: JSON result $(cat "$WORK/no-listener.json")"
grep -q '"code":"failover_only"' "$WORK/no-listener.jsonl" || fail "no listener: no error object"
grep -q "only through failover" "$WORK/no-listener.txt" || fail "no listener: verdict text"
[[ $(failure_of no-listener "registration primary") == refused ]] || fail "no listener: not refused"
grep -q "FAILED" "$WORK/no-listener.txt" || fail "no listener: text shows no failure"

# The primary stopped: refused.
kill_server primary
probe stopped 12 --
[[ $(failure_of stopped "storage primary") == refused ]] || fail "stopped primary: not refused"

# The alternate's packets silently dropped, primary stopped: timeout, and
# nothing reachable: exit 4.
nft -f - <<'NFT'
table inet filter {
  chain output { type filter hook output priority filter; ip daddr 127.239.113.20 tcp dport 16384 drop; }
}
NFT
probe dropped 4 --
[[ $(failure_of dropped "storage alternate") == timeout ]] || fail "dropped: not a timeout"
grep -q "packet filter" "$WORK/dropped.txt" || fail "dropped: no advice about a packet filter"
nft flush ruleset
start_offsited primary "$DC" "$PRIMARY" --assign "$PRIMARY,$ALTERNATE" \
  --registration-pair "$PRIMARY,$ALTERNATE" --subnet 127.239.112.0/24 --subnet 127.239.113.0/24

# A SOCKS5 proxy that refuses our password.
start_microsocks 21121 alice s3cret
probe proxy-auth 4 OFFSITE_PROXY_PASSWORD=wrong -- --proxy socks5://alice@127.0.0.1:21121
[[ $(failure_of proxy-auth "storage primary") == proxy_auth ]] || fail "proxy auth: wrong kind"

# A proxy whose rules forbid the data centre.
start_danted 21122 127.239.112.0/23
probe proxy-denied 4 -- --proxy socks5://127.0.0.1:21122
[[ $(failure_of proxy-denied "registration alternate") == proxy_denied ]] || fail "denied: wrong kind"

# Another data centre's identity on the registration addresses: intercepted;
# storage still fine, so only partly reachable (exit 3).
"$OFFSITED_BIN" init --data "$WORK/other-dc" >/dev/null
start_offsited other1 "$WORK/other-dc" 127.239.112.22:16384
start_offsited other2 "$WORK/other-dc" 127.239.113.22:16384
probe other-identity 3 OFFSITE_REGISTRATION=127.239.112.22,127.239.113.22 --
[[ $(failure_of other-identity "registration primary") == tls_intercepted ]] ||
  fail "other identity: not tls_intercepted"
grep -q "TLS-inspecting" "$WORK/other-identity.txt" || fail "other identity: no advice"
echo OK
