#!/usr/bin/env bash
# test-connection --detect --save on a machine whose firewall blocks direct
# connections while a proxy still gets through (nftables, in a network
# namespace of our own): it finds the proxy in the environment, saves it to
# config.json without the password, and a backup and restore run later
# without the environment variable use it; once the proxy is stopped the
# next command fails naming it. A proxy given with --proxy is a candidate
# too. With no proxy anywhere, --detect says that no path works and that no
# proxy was found, with the "no server reachable" exit status (4).
if [[ -z ${OFFSITE_IN_NETNS:-} ]]; then
  exec unshare -n env OFFSITE_IN_NETNS=1 bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
ip link set lo up

start_pair 127.239.112.30 127.239.113.30
text_client=(--config-dir "$WORK/text/config")
json_client=(--config-dir "$WORK/json/config")
flag_client=(--config-dir "$WORK/flag/config")
offsite "${text_client[@]}" register "${REGISTER_ARGS[@]}" >/dev/null # direct works here
offsite "${json_client[@]}" register "${REGISTER_ARGS[@]}" >/dev/null
offsite "${flag_client[@]}" register "${REGISTER_ARGS[@]}" >/dev/null
make_tree "$WORK/data"

# The firewall: TCP to port 16384 is dropped for every socket but those of
# user nobody, whom tinyproxy runs as. The servers' answers (source port
# 16384) pass.
nft -f - <<'NFT'
table inet filter {
  chain output {
    type filter hook output priority filter;
    meta skuid != nobody tcp dport 16384 drop;
  }
}
NFT
# connect_as USER GROUP ADDRESS: what a TCP connection to port 16384 does,
# as that user: "connected", or "timeout" after 1.5 s, or "error".
connect_as() {
  local status=0
  setpriv --reuid "$1" --regid "$2" --clear-groups \
    timeout 1.5 bash -c 'exec 3<>"/dev/tcp/$0/16384"' "$3" 2>/dev/null || status=$?
  case $status in 0) echo connected ;; 124) echo timeout ;; *) echo "error $status" ;; esac
}
for server in 127.239.112.30 127.239.113.30; do
  [[ $(connect_as root root "$server") == timeout ]] || fail "the firewall lets root reach $server"
  [[ $(connect_as nobody nogroup "$server") == connected ]] ||
    fail "the firewall blocks nobody (tinyproxy) to $server"
done

# No proxy anywhere and direct blocked: nothing works, exit 4, and it says so.
status=0
offsite "${text_client[@]}" test-connection --detect --save --timeout 2 >"$WORK/none.txt" 2>&1 ||
  status=$?
[[ $status == 4 ]] || fail "no proxy: --detect exited $status: $(cat "$WORK/none.txt")"
grep -q "no path to the data centre works: direct connections fail, and no proxy was found" \
  "$WORK/none.txt" || fail "no proxy: no clear verdict: $(cat "$WORK/none.txt")"
grep -q "timeout" "$WORK/none.txt" || fail "no proxy: the timeout is not reported"
grep -q "firewall-rules" "$WORK/none.txt" || fail "no proxy: no advice: $(cat "$WORK/none.txt")"
if grep -q '"proxy"' "$WORK/text/config/config.json"; then fail "no proxy: a proxy was saved"; fi
status=0
offsite "${json_client[@]}" --json test-connection --detect --timeout 2 >"$WORK/none.jsonl" \
  2>/dev/null || status=$?
[[ $status == 4 ]] || fail "no proxy: JSON --detect exited $status"
python3 - "$WORK/none.jsonl" <<'PY' || fail "no proxy: JSON: $(cat "$WORK/none.jsonl")"
import json, sys
lines = [json.loads(line) for line in open(sys.argv[1])]
summary = [d for d in lines if d.get("type") == "summary"][-1]
assert summary["result"] == "unreachable", summary
assert [t["path"] for t in summary["tried"]] == ["direct"], summary
PY

# A proxy with a password, found only in the environment.
start_tinyproxy 21131 alice s3cret
proxy_env=(env HTTPS_PROXY=http://alice:s3cret@127.0.0.1:21131)
status=0
"${proxy_env[@]}" "$OFFSITE_BIN" --password-file "$WORK/passphrase" "${text_client[@]}" \
  test-connection --detect --save --timeout 2 >"$WORK/detect.txt" 2>&1 || status=$?
[[ $status == 0 ]] || fail "--detect exited $status: $(cat "$WORK/detect.txt")"
grep -q "timeout" "$WORK/detect.txt" || fail "direct is not reported as timing out"
grep -q "works: HTTP proxy 127.0.0.1:21131" "$WORK/detect.txt" ||
  fail "the proxy is not reported as working: $(cat "$WORK/detect.txt")"
grep -q "saved to" "$WORK/detect.txt" || fail "not reported as saved"
if grep -q s3cret "$WORK/detect.txt"; then fail "the proxy password is printed"; fi

status=0
"${proxy_env[@]}" "$OFFSITE_BIN" --password-file "$WORK/passphrase" "${json_client[@]}" --json \
  test-connection --detect --save --timeout 2 >"$WORK/detect.jsonl" 2>"$WORK/detect.err" ||
  status=$?
[[ $status == 0 ]] || fail "JSON --detect exited $status: $(cat "$WORK/detect.err")"
if grep -q s3cret "$WORK/detect.jsonl" "$WORK/detect.err"; then
  fail "the proxy password is in the JSON"
fi
python3 - "$WORK/detect.jsonl" <<'PY' || fail "JSON --detect: $(cat "$WORK/detect.jsonl")"
import json, sys
lines = [json.loads(line) for line in open(sys.argv[1])]
servers = [d for d in lines if d.get("type") == "server"]
direct = [s for s in servers if s["path"] == "direct"]
proxied = [s for s in servers if s["path"] != "direct"]
assert len(direct) == 4 and len(proxied) == 4, servers
assert all(s.get("failure") == "timeout" for s in direct), direct
assert all(not s.get("failure") for s in proxied), proxied
summary = lines[-1]
assert summary["type"] == "summary" and summary["result"] == "ok", summary
assert summary["detected"].startswith("HTTP proxy 127.0.0.1:21131"), summary
assert summary["saved"] is True, summary
assert [t["result"] for t in summary["tried"]] == ["unreachable", "ok"], summary
assert summary["tried"][1]["origin"] == "HTTPS_PROXY", summary
PY

# A proxy given with --proxy (its password from the environment) is tried too.
status=0
OFFSITE_PROXY_PASSWORD=s3cret "$OFFSITE_BIN" --password-file "$WORK/passphrase" \
  "${flag_client[@]}" --proxy http://alice@127.0.0.1:21131 --json \
  test-connection --detect --save --timeout 2 >"$WORK/flag.jsonl" 2>"$WORK/flag.err" || status=$?
[[ $status == 0 ]] || fail "--proxy --detect exited $status: $(cat "$WORK/flag.err")"
python3 - "$WORK/flag.jsonl" <<'PY' || fail "--proxy --detect: $(cat "$WORK/flag.jsonl")"
import json, sys
summary = json.loads(open(sys.argv[1]).readlines()[-1])
assert summary["result"] == "ok" and summary["saved"] is True, summary
assert [t["origin"] for t in summary["tried"]] == ["default", "--proxy"], summary
PY

# Saved, without the password, in every configuration.
for client in text json flag; do
  if grep -q s3cret "$WORK/$client/config/config.json"; then
    fail "$client: the proxy password is in config.json"
  fi
  offsite --config-dir "$WORK/$client/config" --json config show >"$WORK/$client.show"
  python3 - "$WORK/$client.show" <<'PY' || fail "$client: config show: $(cat "$WORK/$client.show")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["config"]["transport"]["proxy"] == "http://alice@127.0.0.1:21131", d["config"]
assert d["effective"]["proxy_origin"] == "config.json", d["effective"]
PY
done

# Without the environment variable: the saved proxy carries a whole backup
# and restore (only its password comes from the environment).
export OFFSITE_PROXY_PASSWORD=s3cret
offsite "${text_client[@]}" backup "$WORK/data" >"$WORK/backup.out" 2>&1 ||
  fail "backup through the saved proxy failed: $(cat "$WORK/backup.out")"
offsite "${text_client[@]}" restore latest --target "$WORK/restore" >"$WORK/restore.out" 2>&1 ||
  fail "restore through the saved proxy failed: $(cat "$WORK/restore.out")"
compare_trees "$WORK/data" "$WORK/restore$WORK/data"

# The proxy stopped: the next command fails, naming it.
kill_server tinyproxy-21131
status=0
out=$(offsite "${text_client[@]}" snapshots 2>&1) || status=$?
[[ $status == 4 ]] || fail "with the proxy stopped, snapshots exited $status: $out"
[[ $out == *proxy* ]] || fail "the error does not name the proxy: $out"
[[ $out != *s3cret* ]] || fail "the proxy password is in the error"
echo OK
