# Shared set-up for integration scenarios (sourced). Mirrors mold's
# common.inc: strict mode, a trap naming the failing line, a scratch
# directory that is kept (and printed) when the scenario fails.
set -Eeuo pipefail

: "${OFFSITE_BIN:?run through ctest, or set OFFSITE_BIN}"
: "${TESTS_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
export TESTS_DIR

TEST_NAME=$(basename "$0" .sh)
WORK=$(mktemp -d "/tmp/offsite-it-$TEST_NAME.XXXXXX")
STARTED_PIDS=()

on_error() {
  echo "FAILED: $TEST_NAME line $1: $2" >&2
  echo "kept the test directory: $WORK" >&2
  KEEP_WORK=1
}
cleanup() {
  local pid
  for pid in "${STARTED_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${STARTED_PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  [[ -n ${KEEP_WORK:-} ]] || rm -rf "$WORK"
}
trap 'on_error $LINENO "$BASH_COMMAND"' ERR
trap cleanup EXIT

export XDG_CACHE_HOME=$WORK/cache XDG_CONFIG_HOME=$WORK/config
unset OFFSITE_PASSWORD OFFSITE_PASSWORD_FILE OFFSITE_REPOSITORY ALL_PROXY HTTPS_PROXY NO_PROXY \
  all_proxy https_proxy no_proxy
printf 'test passphrase\n' >"$WORK/passphrase"
chmod 600 "$WORK/passphrase"

# offsite with the scenario's passphrase file.
offsite() { "$OFFSITE_BIN" --password-file "$WORK/passphrase" "$@"; }

fail() {
  echo "FAILED: $TEST_NAME: $*" >&2
  KEEP_WORK=1
  exit 1
}

# expect_exit STATUS CMD...: runs CMD, fails unless it exits with STATUS.
expect_exit() {
  local want=$1 got=0
  shift
  "$@" || got=$?
  [[ $got == "$want" ]] || fail "expected exit $want, got $got from: $*"
}

# Byte-for-byte and metadata comparison of two trees (names may be hostile).
compare_trees() { python3 "$TESTS_DIR/integration/manifest.py" compare "$@"; }

# make_tree DIR: every file kind offsite backs up, with hostile names.
make_tree() {
  local d=$1
  mkdir -p "$d/sub/deeper" "$d/empty-dir" "$d/with space" "$d/-leading-dash"
  printf 'hello offsite\n' >"$d/hello.txt"
  : >"$d/empty-file"
  head -c 3000000 /dev/urandom >"$d/sub/random.bin"
  awk 'BEGIN { for (i = 0; i < 80000; i++) print "compressible line of text", i % 7 }' \
    >"$d/sub/deeper/text.txt"
  ln -s hello.txt "$d/link-to-hello"
  ln -s /nonexistent/target "$d/dangling-link"
  ln "$d/hello.txt" "$d/sub/hardlink-to-hello"
  truncate -s 10M "$d/sparse.img"
  printf 'data in the middle' | dd of="$d/sparse.img" bs=1 seek=5000000 conv=notrunc status=none
  mkfifo "$d/fifo"
  printf 'newline\n' >"$d/name"$'\n'"with-newline"
  printf 'latin1\n' >"$d/invalid-utf8-"$'\xff\xfe'
  printf 'long\n' >"$d/$(printf 'x%.0s' $(seq 255))"
  printf 'dash\n' >"$d/-leading-dash/-file"
  printf 'space\n' >"$d/with space/a file"
  chmod 0751 "$d/sub"
  chmod 4755 "$d/hello.txt"
  touch -h -d '2001-02-03 04:05:06.123456789' "$d/link-to-hello"
  touch -d '1999-12-31 23:59:59.987654321' "$d/sub/deeper/text.txt"
  if setfattr -n user.offsite -v "attribute value" "$d/sub/random.bin" 2>/dev/null; then :; fi
  if ((EUID == 0)); then
    mknod "$d/null-device" c 1 3 2>/dev/null || true
    chown 1234:5678 "$d/empty-file"
  fi
}

# --- a data centre on loopback ------------------------------------------

# start_offsited NAME DATA_DIR LISTEN [serve options...]: starts one
# `offsited serve` in the background, waits (bounded) until it listens, and
# records its PID in $WORK/NAME.pid and STARTED_PIDS.
start_offsited() {
  local name=$1 data=$2 listen=$3
  shift 3
  : "${OFFSITED_BIN:?run through ctest, or set OFFSITED_BIN}"
  "$OFFSITED_BIN" serve --data "$data" --listen "$listen" "$@" \
    >"$WORK/$name.out" 2>"$WORK/$name.err" &
  local pid=$!
  STARTED_PIDS+=("$pid")
  echo "$pid" >"$WORK/$name.pid"
  for _ in $(seq 100); do
    grep -qx "listening on $listen" "$WORK/$name.out" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || fail "offsited $name exited: $(cat "$WORK/$name.err")"
    sleep 0.1
  done
  fail "offsited $name did not listen on $listen within 10 s"
}

# start_pair PRIMARY_IP ALTERNATE_IP: a data centre in $WORK/dc served by
# two processes (primary and alternate, one data directory, like a shared
# store) on port 16384, subnets 127.239.112.0/24 and 127.239.113.0/24.
# Sets DC, FINGERPRINT, PRIMARY, ALTERNATE and REGISTER_ARGS.
start_pair() {
  PRIMARY=$1:16384
  ALTERNATE=$2:16384
  DC=$WORK/dc
  FINGERPRINT=$("$OFFSITED_BIN" init --data "$DC" 2>/dev/null)
  local common=(--assign "$PRIMARY,$ALTERNATE" --registration-pair "$PRIMARY,$ALTERNATE"
    --subnet 127.239.112.0/24 --subnet 127.239.113.0/24)
  start_offsited primary "$DC" "$PRIMARY" "${common[@]}"
  start_offsited alternate "$DC" "$ALTERNATE" "${common[@]}"
  REGISTER_ARGS=(--registration "$PRIMARY,$ALTERNATE" --subnet 127.239.112.0/24
    --subnet 127.239.113.0/24 --fingerprint "$FINGERPRINT")
}

# kill_server NAME [SIGNAL]: stops one started offsited by its PID.
kill_server() {
  local pid
  pid=$(cat "$WORK/$1.pid")
  kill "-${2:-TERM}" "$pid" 2>/dev/null || true
  # A dead child stays a zombie (kill -0 still succeeds) until reaped.
  local state
  for _ in $(seq 300); do
    state=$(ps -o stat= -p "$pid" 2>/dev/null || true)
    if [[ -z $state || $state == Z* ]]; then
      wait "$pid" 2>/dev/null || true
      return 0
    fi
    sleep 0.1
  done
  fail "offsited $1 (pid $pid) did not stop"
}

# --- real proxies (Debian packages) on loopback ----------------------------

# wait_port HOST PORT: until something accepts there (bounded: 10 s).
wait_port() {
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  fail "nothing listens on $1:$2 after 10 s"
}

# start_background NAME HOST PORT CMD...: a server process, PID recorded.
start_background() {
  local name=$1 host=$2 port=$3
  shift 3
  "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  local pid=$!
  STARTED_PIDS+=("$pid")
  echo "$pid" >"$WORK/$name.pid"
  wait_port "$host" "$port"
}

# start_hostile_relay NAME MODE LISTEN BACKEND: hostile_relay.py in MODE on
# LISTEN, in front of the offsited at BACKEND (of the data centre in $DC);
# it has answered a hello through itself when this returns (bounded: 20 s).
start_hostile_relay() {
  mkdir -p "$WORK/$1"
  start_background "$1" "${3%:*}" "${3#*:}" python3 "$TESTS_DIR/integration/hostile_relay.py" \
    "$2" "$3" "$4" "$DC/identity" "$WORK/$1"
  PYTHONPATH=$TESTS_DIR/integration python3 -c '
import sys, offsite_wire
offsite_wire.configure(sys.argv[2])
offsite_wire.Conn(sys.argv[1])' "$3" "$DC/identity/ca.pem" || fail "the relay $1 does not answer hello"
}

# start_microsocks PORT [USER PASSWORD]: SOCKS5, with username/password when given.
start_microsocks() {
  local auth=()
  [[ -n ${2:-} ]] && auth=(-u "$2" -P "$3")
  start_background "microsocks-$1" 127.0.0.1 "$1" microsocks -i 127.0.0.1 -p "$1" "${auth[@]}"
}

# start_tinyproxy PORT [USER PASSWORD]: HTTP CONNECT to port 16384 only.
start_tinyproxy() {
  local dir=$WORK/tinyproxy-$1
  mkdir -p "$dir"
  chmod 1777 "$dir" # tinyproxy drops to nobody and writes its log there
  {
    printf 'User nobody\nGroup nogroup\nPort %s\nListen 127.0.0.1\nTimeout 60\n' "$1"
    printf 'LogFile "%s/log"\nLogLevel Info\nMaxClients 20\nAllow 127.0.0.1\n' "$dir"
    printf 'ConnectPort 16384\n'
    [[ -n ${2:-} ]] && printf 'BasicAuth %s %s\n' "$2" "$3"
  } >"$dir/conf"
  start_background "tinyproxy-$1" 127.0.0.1 "$1" tinyproxy -d -c "$dir/conf"
}

# start_danted PORT [BLOCKED_CIDR]: SOCKS4/4a/5 without authentication that
# passes TCP to port 16384 on the stand-in subnets, except BLOCKED_CIDR.
start_danted() {
  local conf=$WORK/danted-$1.conf
  {
    printf 'logoutput: %s/danted-%s.log\n' "$WORK" "$1"
    printf 'internal: 127.0.0.1 port = %s\nexternal: 127.0.0.1\n' "$1"
    printf 'clientmethod: none\nsocksmethod: none\n'
    printf 'user.privileged: root\nuser.unprivileged: nobody\n'
    printf 'client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }\n'
    [[ -n ${2:-} ]] && printf 'socks block { from: 0.0.0.0/0 to: %s log: connect error }\n' "$2"
    printf 'socks pass { from: 0.0.0.0/0 to: 127.239.112.0/24 port = 16384 command: connect }\n'
    printf 'socks pass { from: 0.0.0.0/0 to: 127.239.113.0/24 port = 16384 command: connect }\n'
  } >"$conf"
  start_background "danted-$1" 127.0.0.1 "$1" danted -f "$conf" -N 1
}

# start_forward PORT TARGET_IP:TARGET_PORT: one port of a mapped firewall.
start_forward() {
  start_background "socat-$1" 127.0.0.1 "$1" \
    socat "TCP-LISTEN:$1,bind=127.0.0.1,fork,reuseaddr" "TCP:$2"
}

# expect_failover BACKUP_PID SINCE WHAT: the backup running as BACKUP_PID
# (stderr in $WORK/backup.err) announces it continues on the alternate within
# 50 s of SINCE (one 30 s idle timeout plus a connect), then ends within
# 180 s with exit 0 and without mentioning its lock. WHAT says what happened.
expect_failover() {
  local backup_pid=$1 since=$2 what=$3 noticed= status=0
  for _ in $(seq 900); do
    if grep -q "continuing on the alternate" "$WORK/backup.err"; then noticed=$SECONDS; break; fi
    kill -0 "$backup_pid" 2>/dev/null || break
    sleep 0.1
  done
  [[ -n $noticed ]] || fail "no failover after $what: $(cat "$WORK/backup.err")"
  ((noticed - since <= 50)) ||
    fail "failover came $((noticed - since)) s after $what (bound: 30 s + connect)"
  for _ in $(seq 1800); do
    kill -0 "$backup_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$backup_pid" 2>/dev/null && fail "the backup still runs 180 s after $what"
  wait "$backup_pid" || status=$?
  [[ $status == 0 ]] || fail "backup exited $status after $what: $(cat "$WORK/backup.err")"
  grep -q "lock" "$WORK/backup.err" && fail "the backup mentions its lock: $(cat "$WORK/backup.err")"
  return 0
}
