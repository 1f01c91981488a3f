#!/usr/bin/env bash
# The network path end to end: register with a data-centre pair, back up,
# list, attach a second machine with `register --existing`, restore
# byte-identical; the server never sees plaintext; a wrong fingerprint and
# an address outside the subnets are refused with messages that say so.
source "$(dirname "$0")/lib.sh"

start_pair 127.239.112.61 127.239.113.61
first=(--config-dir "$WORK/first")
second=(--config-dir "$WORK/second")

# Not registered yet: a clear configuration error, exit 11.
out=$(offsite "${first[@]}" snapshots 2>&1) && fail "snapshots worked without an account"
[[ $out == *"not registered"*"offsite register"* ]] || fail "unregistered message: $out"
expect_exit 11 offsite "${first[@]}" snapshots

offsite "${first[@]}" register "${REGISTER_ARGS[@]}" >"$WORK/register.out"
grep -q "^registered account [0-9a-f]* (storage servers $PRIMARY,$ALTERNATE)" "$WORK/register.out" ||
  fail "register said: $(cat "$WORK/register.out")"
account=$(sed -n 's/^registered account \([0-9a-f]*\) .*/\1/p' "$WORK/register.out")
[[ $(stat -c %a "$WORK/first/credentials.json") == 600 ]] || fail "credentials are not 0600"
[[ $(stat -c %a "$WORK/first/config.json") == 600 ]] || fail "config is not 0600"
secret=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["secret"])' \
  "$WORK/first/credentials.json")
grep -qF -- "$secret" "$WORK/register.out" && fail "register printed the account secret"

# A second register on the same configuration is refused.
out=$(offsite "${first[@]}" register "${REGISTER_ARGS[@]}" 2>&1) && fail "registered twice"
[[ $out == *"already belongs to account $account"* ]] || fail "second register said: $out"

# Every file carries a marker that must never reach the server in clear.
marker="offsite-plaintext-marker-$RANDOM$RANDOM"
make_tree "$WORK/data"
for f in "$WORK/data/hello.txt" "$WORK/data/sub/deeper/text.txt" "$WORK/data/with space/a file"; do
  printf '%s\n' "$marker" >>"$f"
done
head -c 5000000 /dev/urandom >"$WORK/data/big.bin"
printf '%s\n' "$marker" >>"$WORK/data/big.bin"

offsite "${first[@]}" --json backup "$WORK/data" >"$WORK/backup.json"
tail -n1 "$WORK/backup.json" | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s["type"] == "summary", s
assert s["files_new"] >= 10, s' || fail "backup summary: $(tail -n1 "$WORK/backup.json")"

grep -rqaF -- "$marker" "$DC" && fail "the marker string reached the server's data directory"
grep -rqaF -- "$secret" "$DC" && fail "the account secret is stored in clear on the server"

offsite "${first[@]}" --json snapshots >"$WORK/snapshots.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["snapshots"]) == 1, d' \
  "$WORK/snapshots.json" || fail "snapshots: $(cat "$WORK/snapshots.json")"

# A second machine: account ID, a copy of the credentials, the passphrase.
cp "$WORK/first/credentials.json" "$WORK/credentials-copy.json"
offsite "${second[@]}" register "${REGISTER_ARGS[@]}" --existing "$account" \
  --secret-file "$WORK/credentials-copy.json" >"$WORK/attach.out"
grep -q "^attached to account $account" "$WORK/attach.out" || fail "attach: $(cat "$WORK/attach.out")"
offsite "${second[@]}" restore latest --target "$WORK/restore"
compare_trees "$WORK/data" "$WORK/restore$WORK/data"

# Attaching with a wrong secret is an authentication failure (exit 5).
printf 'not-the-secret\n' >"$WORK/wrong-secret"
out=$(offsite --config-dir "$WORK/third" register "${REGISTER_ARGS[@]}" --existing "$account" \
  --secret-file "$WORK/wrong-secret" 2>&1) && fail "attached with a wrong secret"
[[ $out == *"refused the account's credentials"* ]] || fail "wrong secret said: $out"
[[ ! -e $WORK/third/credentials.json ]] || fail "a refused attach saved credentials"

# The wrong fingerprint: refused, naming the mismatch (exit 4).
wrong="sha256:$(printf '0%.0s' $(seq 64))"
out=$(offsite --config-dir "$WORK/fourth" register --registration "$PRIMARY,$ALTERNATE" \
  --subnet 127.239.112.0/24 --subnet 127.239.113.0/24 --fingerprint "$wrong" 2>&1) &&
  fail "registered against the wrong fingerprint"
[[ $out == *"tls_intercepted"* && $out == *"${FINGERPRINT#sha256:}"* ]] ||
  fail "wrong fingerprint said: $out"
expect_exit 4 offsite --config-dir "$WORK/fourth" register --registration "$PRIMARY,$ALTERNATE" \
  --subnet 127.239.112.0/24 --subnet 127.239.113.0/24 --fingerprint "$wrong"

# An address outside the subnets is refused before any connection: a
# listener there must see nothing.
python3 - "$WORK/listener.port" >"$WORK/listener.out" <<'PY' &
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(4)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
s.settimeout(8)
try:
    s.accept()
    print("connected")
except socket.timeout:
    print("nothing")
PY
listener_pid=$!
STARTED_PIDS+=("$listener_pid")
for _ in $(seq 50); do [[ -s $WORK/listener.port ]] && break; sleep 0.1; done
port=$(cat "$WORK/listener.port")
out=$(offsite --config-dir "$WORK/fifth" register --registration "127.0.0.1:$port,$ALTERNATE" \
  --subnet 127.239.112.0/24 --subnet 127.239.113.0/24 --fingerprint "$FINGERPRINT" 2>&1) &&
  fail "registered through an address outside the subnets"
[[ $out == *"127.0.0.1:$port is outside"* ]] || fail "outside-subnet message: $out"
wait "$listener_pid" || true
[[ $(cat "$WORK/listener.out") == nothing ]] || fail "the client connected outside the subnets"
echo "OK"
