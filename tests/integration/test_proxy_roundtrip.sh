#!/usr/bin/env bash
# register + backup + restore through every kind of proxy offsite supports,
# each a real server from Debian: SOCKS5 without and with a password
# (microsocks), SOCKS4a and SOCKS4 (dante), HTTP CONNECT without and with
# Basic authentication (tinyproxy), and a mapped firewall made of port
# forwards (socat). After each round the proxy is stopped and the next
# command must fail: proof that the traffic went through it, not around it.
source "$(dirname "$0")/lib.sh"

start_pair 127.239.112.81 127.239.113.81
make_tree "$WORK/data"

# round NAME "PROXY_NAMES" GLOBAL_OPTIONS...: the whole life of one client,
# then the named proxy processes are stopped.
round() {
  local name=$1 proxy=$2
  shift 2
  local client=(--config-dir "$WORK/$name/config" "$@")
  offsite "${client[@]}" register "${REGISTER_ARGS[@]}" >"$WORK/$name.register" 2>&1 ||
    fail "$name: register failed: $(cat "$WORK/$name.register")"
  offsite "${client[@]}" backup "$WORK/data" >"$WORK/$name.backup" 2>&1 ||
    fail "$name: backup failed: $(cat "$WORK/$name.backup")"
  offsite "${client[@]}" restore latest --target "$WORK/$name/restore" >"$WORK/$name.restore" 2>&1 ||
    fail "$name: restore failed: $(cat "$WORK/$name.restore")"
  compare_trees "$WORK/data" "$WORK/$name/restore$WORK/data"
  rm -rf "$WORK/$name/restore"

  local one
  for one in $proxy; do kill_server "$one"; done
  local out status=0
  out=$(offsite "${client[@]}" snapshots 2>&1) || status=$?
  [[ $status == 4 ]] || fail "$name: with the proxy stopped, snapshots exited $status: $out"
  [[ $out == *proxy* || $out == *firewall* ]] || fail "$name: the error does not name the proxy: $out"
}

start_microsocks 21081
round socks5 microsocks-21081 --proxy socks5://127.0.0.1:21081

start_microsocks 21082 alice 's3cret pass'
OFFSITE_PROXY_PASSWORD='s3cret pass' round socks5-auth microsocks-21082 \
  --proxy socks5://alice@127.0.0.1:21082

start_danted 21083
round socks4a danted-21083 --proxy socks4a://127.0.0.1:21083

start_danted 21084
round socks4 danted-21084 --proxy socks4://127.0.0.1:21084

start_tinyproxy 21085
round http tinyproxy-21085 --proxy http://127.0.0.1:21085

start_tinyproxy 21086 alice 's3cret'
printf 's3cret\n' >"$WORK/http-password"
chmod 600 "$WORK/http-password"
round http-auth tinyproxy-21086 --proxy http://alice@127.0.0.1:21086 \
  --proxy-password-file "$WORK/http-password"

# A mapped firewall: one port per data-centre server.
start_forward 21087 "$PRIMARY"
start_forward 21088 "$ALTERNATE"
round mapped 'socat-21087 socat-21088' --proxy mapped://127.0.0.1 --map 127.239.112.81=21087 \
  --map 127.239.113.81=21088

# Failover works through a proxy too: the primary dies, the client goes on
# to the alternate through the same proxy and says so.
start_microsocks 21089
kill_server primary KILL
offsite --config-dir "$WORK/socks5/config" --proxy socks5://127.0.0.1:21089 snapshots \
  >"$WORK/failover.out" 2>&1 || fail "no failover through the proxy: $(cat "$WORK/failover.out")"
grep -q "continuing on the alternate" "$WORK/failover.out" ||
  fail "no failover notice through the proxy: $(cat "$WORK/failover.out")"

# The password never reached a file, the JSON or the process list.
grep -rqaF 's3cret' "$WORK"/*/config "$DC" && fail "a proxy password was written to disk"
echo OK
