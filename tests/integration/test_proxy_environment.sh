#!/usr/bin/env bash
# Proxies from the environment, as curl reads them: ALL_PROXY (and
# HTTPS_PROXY) is used, NO_PROXY sends matching servers around it, and
# --no-proxy ignores both.
source "$(dirname "$0")/lib.sh"

start_pair 127.239.112.83 127.239.113.83
offsite --config-dir "$WORK/config" register "${REGISTER_ARGS[@]}" >/dev/null
client=(--config-dir "$WORK/config")
mkdir -p "$WORK/data"
printf 'hello\n' >"$WORK/data/file"

start_microsocks 21101
ALL_PROXY=socks5://127.0.0.1:21101 offsite "${client[@]}" backup "$WORK/data" >/dev/null
kill_server microsocks-21101

# The proxy is gone: ALL_PROXY makes the client fail, which proves it was used.
status=0
out=$(ALL_PROXY=socks5://127.0.0.1:21101 offsite "${client[@]}" snapshots 2>&1) || status=$?
[[ $status == 4 && $out == *proxy* ]] || fail "ALL_PROXY was not used: $status $out"
status=0
out=$(all_proxy=socks5://127.0.0.1:21101 offsite "${client[@]}" snapshots 2>&1) || status=$?
[[ $status == 4 ]] || fail "all_proxy (lower case) was not used: $status $out"
status=0
out=$(HTTPS_PROXY=http://127.0.0.1:21101 offsite "${client[@]}" snapshots 2>&1) || status=$?
[[ $status == 4 ]] || fail "HTTPS_PROXY was not used: $status $out"

# NO_PROXY naming the subnets (or the servers, or *) goes direct.
for no_proxy in 127.239.112.0/24,127.239.113.0/24 "127.239.112.83, 127.239.113.83" '*'; do
  NO_PROXY=$no_proxy ALL_PROXY=socks5://127.0.0.1:21101 offsite "${client[@]}" snapshots \
    >/dev/null || fail "NO_PROXY=$no_proxy did not bypass the dead proxy"
done
# --no-proxy ignores the environment.
ALL_PROXY=socks5://127.0.0.1:21101 offsite "${client[@]}" --no-proxy snapshots >/dev/null ||
  fail "--no-proxy did not ignore ALL_PROXY"
echo OK
