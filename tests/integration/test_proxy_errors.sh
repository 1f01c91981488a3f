#!/usr/bin/env bash
# Proxies that fail, each in its own way, each with its own message, the
# "no server reachable" exit status (4), and within the timeout: a wrong
# password, a proxy whose rules forbid the destination, a dead proxy, and
# one that accepts and then hangs up.
source "$(dirname "$0")/lib.sh"

start_pair 127.239.112.82 127.239.113.82
offsite --config-dir "$WORK/config" register "${REGISTER_ARGS[@]}" >/dev/null

# expect_failure NAME PATTERN GLOBAL_OPTIONS...: snapshots fails with exit 4,
# a message matching PATTERN, within 30 s, and the JSON error agrees.
expect_failure() {
  local name=$1 pattern=$2
  shift 2
  local out status=0 start=$SECONDS
  out=$(timeout 60 "$OFFSITE_BIN" --password-file "$WORK/passphrase" --config-dir "$WORK/config" \
    "$@" snapshots 2>&1) || status=$?
  ((SECONDS - start <= 30)) || fail "$name: took $((SECONDS - start)) s"
  [[ $status == 4 ]] || fail "$name: exit $status, expected 4: $out"
  [[ $out =~ $pattern ]] || fail "$name: message does not match /$pattern/: $out"
  [[ $out != *s3cret* ]] || fail "$name: the proxy password appears in the message"
  status=0
  out=$(timeout 60 "$OFFSITE_BIN" --password-file "$WORK/passphrase" --config-dir "$WORK/config" \
    --json "$@" snapshots 2>/dev/null) || status=$?
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["type"]=="error" and d["exit_code"]==4, d' \
    "$out" || fail "$name: JSON error: $out"
  echo "$name: ok"
}

start_microsocks 21091 alice s3cret
OFFSITE_PROXY_PASSWORD=wrong expect_failure "wrong SOCKS5 password" \
  "rejected the username or password" --proxy socks5://alice@127.0.0.1:21091
OFFSITE_PROXY_PASSWORD=wrong expect_failure "SOCKS5 password missing" \
  "username and password|password" --proxy socks5://127.0.0.1:21091

start_tinyproxy 21092 alice s3cret
printf 'wrong\n' >"$WORK/wrong-password"
expect_failure "wrong HTTP proxy password" "credentials" \
  --proxy http://alice@127.0.0.1:21092 --proxy-password-file "$WORK/wrong-password"

start_danted 21093 127.239.112.0/23
expect_failure "proxy forbids the destination" "rules do not allow" \
  --proxy socks5://127.0.0.1:21093

# Nothing listens on 21094.
expect_failure "dead proxy" "proxy.*(refused|unreachable)" --proxy socks5://127.0.0.1:21094

# A proxy that accepts the connection and hangs up at once.
python3 - 21095 >"$WORK/hangup.out" 2>&1 <<'PY' &
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
s.settimeout(120)
while True:
    c, _ = s.accept()
    c.close()
PY
STARTED_PIDS+=($!)
wait_port 127.0.0.1 21095
expect_failure "proxy hangs up" "closed|reset|hung up" --proxy socks5://127.0.0.1:21095
expect_failure "HTTP proxy hangs up" "closed|reset|hung up" --proxy http://127.0.0.1:21095
echo OK
