#!/usr/bin/env bash
# Two front-ends, each with its own data directory, on one store (issue 17),
# with a file:/// store standing in for the S3 bucket: the first init
# records the data centre's fingerprint in the store; a second data
# directory gets no identity of its own but is told to copy it; once copied,
# both serve, and a client pinned to the one fingerprint backs up through
# one and restores through the other. A front-end with another identity,
# and init flags that make no sense, are refused with a clear message.
source "$(dirname "$0")/lib.sh"
: "${OFFSITED_BIN:?run through ctest, or set OFFSITED_BIN}"

a_ip=127.239.112.177
b_ip=127.239.113.177
shared=$WORK/shared
mkdir -p "$shared"

# offsited_fails STATUS TEXT ARGS...: offsited ARGS exits STATUS and says TEXT.
offsited_fails() {
  local want=$1 text=$2 status=0
  shift 2
  # Bounded: a serve that wrongly starts must fail the test, not hang it.
  out=$(timeout 20 "$OFFSITED_BIN" "$@" 2>&1) || status=$?
  [[ $status == "$want" ]] || fail "offsited $* exited $status, not $want: $out"
  [[ $out == *"$text"* ]] || fail "offsited $* did not say \"$text\": $out"
  [[ $out == *"offsited: hint: "* ]] || fail "offsited $* gave no hint: $out"
}

# --- usage errors: exit 2, nothing created ----------------------------------
new=$WORK/new
offsited_fails 2 "--s3-endpoint is only for an S3 store" init --data "$new" \
  --s3-endpoint http://127.0.0.1:7480
offsited_fails 2 "unknown kind of store" init --data "$new" --store ftp://offsite
offsited_fails 2 "a bucket name has 3 to 63 characters" init --data "$new" --store s3://ab \
  --s3-endpoint http://127.0.0.1:7480
offsited_fails 2 "the bucket name is empty" init --data "$new" --store s3:// \
  --s3-endpoint http://127.0.0.1:7480
offsited_fails 2 "needs --s3-endpoint URL" init --data "$new" --store s3://offsite
offsited_fails 2 "--s3-endpoint 127.0.0.1:7480: not an http:// or https:// URL" init \
  --data "$new" --store s3://offsite --s3-endpoint 127.0.0.1:7480
offsited_fails 2 "the port is not a number" init --data "$new" --store s3://offsite/dc1 \
  --s3-endpoint http://127.0.0.1:99999
offsited_fails 2 "a file:// URL names an absolute path" init --data "$new" --store file://shared
offsited_fails 2 "not a file:// one" init --data "$new" --store "file://$shared" --s3-region eu
[[ ! -e $new ]] || fail "a refused init created $new"

# --- S3 credentials: refused before anything is written, never echoed -------
secret=wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY
printf '[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = %s\n' "$secret" \
  >"$WORK/cred"
chmod 644 "$WORK/cred"
s3=(--store s3://offsite/dc1 --s3-endpoint http://127.0.0.1:7480)
offsited_fails 1 "is accessible to group or others (mode 0644)" init --data "$new" "${s3[@]}" \
  --s3-credentials-file "$WORK/cred"
[[ $out == *"chmod 600 $WORK/cred"* ]] || fail "no chmod hint: $out"
[[ $out != *"$secret"* ]] || fail "the secret was printed: $out"
offsited_fails 1 "cannot read the S3 credentials file" init --data "$new" "${s3[@]}" \
  --s3-credentials-file "$WORK/missing"
chmod 600 "$WORK/cred"
printf '[ceph]\naws_access_key_id = A\n%s\n' "$secret" >"$WORK/bad-cred"
chmod 600 "$WORK/bad-cred"
AWS_PROFILE=ceph offsited_fails 1 "line 3 is neither [PROFILE], key = value nor a comment" \
  init --data "$new" "${s3[@]}" --s3-credentials-file "$WORK/bad-cred"
[[ $out != *"$secret"* ]] || fail "a line of the credentials file was printed: $out"
(
  unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
  offsited_fails 1 "no S3 credentials" init --data "$new" "${s3[@]}"
  AWS_ACCESS_KEY_ID=AKIDEXAMPLE offsited_fails 1 \
    "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not" init --data "$new" "${s3[@]}"
)
[[ ! -e $new/store.json && ! -e $new/identity ]] || fail "a refused init recorded something"

# --- the embedded store: DIR/store records the fingerprint too -------------
local_dc=$WORK/local
local_fp=$("$OFFSITED_BIN" init --data "$local_dc" 2>/dev/null)
[[ $(cat "$local_dc/store/datacentre/fingerprint") == "$local_fp" ]] ||
  fail "DIR/store does not record the fingerprint"
[[ ! -e $local_dc/store.json ]] || fail "a local init wrote store.json"

# --- front-end A: the first init on the shared store ------------------------
fp=$("$OFFSITED_BIN" init --data "$WORK/a" --store "file://$shared" 2>"$WORK/init-a.err") ||
  fail "init A: $(cat "$WORK/init-a.err")"
[[ $fp =~ ^sha256:[0-9a-f]{64}$ ]] || fail "init A printed: $fp"
[[ $(cat "$shared/datacentre/fingerprint") == "$fp" ]] || fail "the store holds no fingerprint"
[[ $(stat -c %a "$WORK/a/store.json") == 600 ]] || fail "store.json is not 0600"
[[ ! -e $WORK/a/store ]] || fail "A made a store of its own"
grep -q "uses the store file://$shared" "$WORK/init-a.err" || fail "init A did not name the store"
# Again: the same; the record is kept; without --store it keeps the store too.
[[ $("$OFFSITED_BIN" init --data "$WORK/a" --store "file://$shared" 2>/dev/null) == "$fp" ]] ||
  fail "a second init changed the fingerprint"
[[ $("$OFFSITED_BIN" init --data "$WORK/a" 2>/dev/null) == "$fp" ]] || fail "init without --store"
[[ ! -e $WORK/a/store ]] || fail "init without --store switched A to DIR/store"

# No silent switch of a data directory in use to another store.
mkdir -p "$WORK/other"
offsited_fails 1 "already uses the store file://$shared" init --data "$WORK/a" \
  --store "file://$WORK/other"
offsited_fails 1 "already uses the store $local_dc/store" init --data "$local_dc" \
  --store "file://$shared"

# --- front-end B: told to copy the identity, then joins ---------------------
offsited_fails 1 "already belongs to the data centre $fp" init --data "$WORK/b" \
  --store "file://$shared"
[[ $out == *"scp -rp FRONT-END:DIR/identity $WORK/b/"* ]] || fail "no copy command: $out"
[[ ! -e $WORK/b/identity ]] || fail "B created an identity of its own"
cp -rp "$WORK/a/identity" "$WORK/b/"
[[ $("$OFFSITED_BIN" init --data "$WORK/b" --store "file://$shared" 2>/dev/null) == "$fp" ]] ||
  fail "B with the copied identity"
[[ $("$OFFSITED_BIN" fingerprint --data "$WORK/b") == "$fp" ]] || fail "fingerprint of B"

# --- a front-end with another identity is refused everywhere ----------------
mkdir -p "$WORK/stray"
cp -rp "$local_dc/identity" "$WORK/stray/"
offsited_fails 1 "this front-end's identity $local_fp is not the data centre's" init \
  --data "$WORK/stray" --store "file://$shared"
[[ $out == *"belongs to $fp"* ]] || fail "the store's fingerprint is not named: $out"
cp -p "$WORK/a/store.json" "$WORK/stray/"
offsited_fails 1 "this front-end's identity $local_fp is not the data centre's" fingerprint \
  --data "$WORK/stray"
offsited_fails 1 "this front-end's identity $local_fp is not the data centre's" serve \
  --data "$WORK/stray" --listen "$a_ip:16385"
[[ $out != *"listening on"* ]] || fail "the stray front-end listened: $out"
[[ $(cat "$shared/datacentre/fingerprint") == "$fp" ]] || fail "the record changed"

# A garbled record stops every command, naming the file: no silent fallback
# to DIR/store.
mkdir -p "$WORK/garbled"
echo garbage >"$WORK/garbled/store.json"
offsited_fails 1 "$WORK/garbled/store.json is not a store record" accounts --data "$WORK/garbled"
[[ ! -e $WORK/garbled/store ]] || fail "a garbled store.json fell back to DIR/store"

# --- both serve; a client pinned to one fingerprint fails over --------------
common=(--assign "$a_ip:16384,$b_ip:16384" --registration-pair "$a_ip:16384,$b_ip:16384"
  --subnet 127.239.112.0/24 --subnet 127.239.113.0/24)
start_offsited a "$WORK/a" "$a_ip:16384" "${common[@]}"
start_offsited b "$WORK/b" "$b_ip:16384" "${common[@]}"
cfg=(--config-dir "$WORK/cfg")
offsite "${cfg[@]}" register --registration "$a_ip:16384,$b_ip:16384" \
  --subnet 127.239.112.0/24 --subnet 127.239.113.0/24 --fingerprint "$fp" \
  >"$WORK/register.out" 2>"$WORK/register.err" || fail "register: $(cat "$WORK/register.err")"
# Both front-ends see the account: it lives in the one store.
for dc in a b; do
  [[ $("$OFFSITED_BIN" accounts --data "$WORK/$dc" --json | python3 -c \
    'import json, sys; print(len(json.load(sys.stdin)))') == 1 ]] || fail "accounts through $dc"
done
src=$WORK/src
mkdir -p "$src/sub"
head -c 300000 /dev/urandom >"$src/sub/random.bin"
printf 'hello\n' >"$src/hello.txt"
offsite "${cfg[@]}" backup "$src" >"$WORK/backup.out" 2>"$WORK/backup.err" ||
  fail "backup through A: $(cat "$WORK/backup.err")"
kill_server a TERM
offsite "${cfg[@]}" restore latest --target "$WORK/restore" >"$WORK/restore.out" \
  2>"$WORK/restore.err" || fail "restore through B: $(cat "$WORK/restore.err")"
compare_trees "$src" "$WORK/restore$src"
grep -q "continuing on the alternate" "$WORK/restore.err" || fail "the restore did not fail over"
echo ok
