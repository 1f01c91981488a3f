#!/usr/bin/env bash
# key passwd / list / export on a local pair: after a passphrase change the
# old passphrase is refused with the wrong-passphrase exit code and the new
# one works, also on a new machine (`register --existing` reads the server's
# wrapped key); the export is a new 0600 file, never overwritten, never in
# JSON, and `key passwd --from-export` restores access with it; key add adds
# a passphrase, key remove takes one away but never the one in use.
source "$(dirname "$0")/lib.sh"

start_pair 127.239.112.91 127.239.113.91
first=(--config-dir "$WORK/first")
second=(--config-dir "$WORK/second")

offsite "${first[@]}" register "${REGISTER_ARGS[@]}" >"$WORK/register.out"
account=$(sed -n 's/^registered account \([0-9a-f]*\) .*/\1/p' "$WORK/register.out")
mkdir -p "$WORK/data"
printf 'keep me\n' >"$WORK/data/file.txt"
head -c 200000 /dev/urandom >"$WORK/data/random.bin"
offsite "${first[@]}" backup "$WORK/data"

printf 'the new passphrase\n' >"$WORK/new-pass"
chmod 600 "$WORK/new-pass"
new() { "$OFFSITE_BIN" --password-file "$WORK/new-pass" "$@"; }

# No terminal and no --new-password-file: a clear error at once, not a hang.
out=$(timeout 20 "$OFFSITE_BIN" "${first[@]}" --password-file "$WORK/passphrase" key passwd \
  </dev/null 2>&1) && fail "key passwd worked without a new passphrase"
[[ $out == *"new passphrase is needed"*"--new-password-file"* ]] || fail "no new passphrase: $out"
expect_exit 2 timeout 20 "$OFFSITE_BIN" "${first[@]}" --password-file "$WORK/passphrase" key \
  passwd </dev/null

# A wrong current passphrase changes nothing.
printf 'not it\n' >"$WORK/wrong-pass"
expect_exit 6 "$OFFSITE_BIN" "${first[@]}" --password-file "$WORK/wrong-pass" key passwd \
  --new-password-file "$WORK/new-pass"

offsite "${first[@]}" --json key list >"$WORK/list-before.json"
old_id=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["type"]=="keys", d
k=[k for k in d["keys"] if k["current"]]; assert len(d["keys"])==1 and len(k)==1, d; print(k[0]["id"])' \
  "$WORK/list-before.json")

offsite "${first[@]}" --json key passwd --new-password-file "$WORK/new-pass" >"$WORK/passwd.json"
new_id=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["type"]=="key_passwd", d
assert d["removed"]==sys.argv[2] and d["added"]!=sys.argv[2], d; print(d["added"])' \
  "$WORK/passwd.json" "$old_id") || fail "key passwd JSON: $(cat "$WORK/passwd.json")"

# The old passphrase is refused (exit 6), the new one works.
out=$(offsite "${first[@]}" snapshots 2>&1) && fail "the old passphrase still opens"
[[ $out == *"passphrase does not open"* ]] || fail "old passphrase message: $out"
expect_exit 6 offsite "${first[@]}" snapshots
new "${first[@]}" snapshots | grep -q '^1 snapshot$' || fail "the new passphrase does not open"
new "${first[@]}" --json key list >"$WORK/list-after.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
assert [k["id"] for k in d["keys"]] == [sys.argv[2]] and d["keys"][0]["current"], d
assert d["keys"][0]["host"], d' "$WORK/list-after.json" "$new_id" ||
  fail "key list after passwd: $(cat "$WORK/list-after.json")"

# A new machine: the server's wrapped key is the new one.
cp "$WORK/first/credentials.json" "$WORK/credentials-copy.json"
expect_exit 6 offsite "${second[@]}" register "${REGISTER_ARGS[@]}" --existing "$account" \
  --secret-file "$WORK/credentials-copy.json"
# A wrong passphrase saves nothing, so the retry with the right one just works.
for file in config.json credentials.json; do
  [[ ! -e $WORK/second/$file ]] || fail "a refused register --existing saved $file"
done
new "${second[@]}" register "${REGISTER_ARGS[@]}" --existing "$account" \
  --secret-file "$WORK/credentials-copy.json" >/dev/null
# Attaching again to the same account is harmless; another account is refused
# with a hint that never leads to unregister (which deletes every backup).
new "${second[@]}" register "${REGISTER_ARGS[@]}" --existing "$account" \
  --secret-file "$WORK/credentials-copy.json" >/dev/null || fail "re-attaching was refused"
out=$(new "${second[@]}" register "${REGISTER_ARGS[@]}" --existing 0123456789abcdef \
  --secret-file "$WORK/credentials-copy.json" 2>&1) && fail "attached a second account"
[[ $out == *"already belongs to account $account"* && $out == *"--config-dir"* &&
  $out != *'hint: "offsite unregister" first'* ]] || fail "second account message: $out"
new "${second[@]}" restore latest --target "$WORK/restore"
cmp "$WORK/data/random.bin" "$WORK/restore$WORK/data/random.bin" || fail "restored bytes differ"

# key export: a new 0600 file; JSON names it and never holds the key.
umask 022
new "${first[@]}" --json key export --output "$WORK/export.json" >"$WORK/export.out"
[[ $(stat -c %a "$WORK/export.json") == 600 ]] || fail "the export is not 0600"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["type"]=="key_export", d
assert d["file"]==sys.argv[2], d' "$WORK/export.out" "$WORK/export.json" ||
  fail "export JSON: $(cat "$WORK/export.out")"
enc=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["master_key"]["encryption"])' \
  "$WORK/export.json")
grep -qF -- "$enc" "$WORK/export.out" && fail "the master key appeared in the JSON output"
grep -q 'key passwd --from-export' "$WORK/export.json" || fail "the export does not say its use"
# Never overwritten; never to stdout in JSON mode.
cp "$WORK/export.json" "$WORK/export.copy"
out=$(new "${first[@]}" key export --output "$WORK/export.json" 2>&1) && fail "export overwrote"
[[ $out == *"already exists; refusing to overwrite"* ]] || fail "overwrite message: $out"
cmp -s "$WORK/export.json" "$WORK/export.copy" || fail "the refused export changed the file"
expect_exit 2 new "${first[@]}" --json key export --output -
new "${first[@]}" key export --output - 2>/dev/null | grep -qF -- "$enc" ||
  fail "--output - did not print the key"

# The passphrase is lost: the export sets a third one; nothing else changes.
printf 'third passphrase\n' >"$WORK/third-pass"
rm -rf "$WORK/restore"
"$OFFSITE_BIN" "${first[@]}" key passwd --from-export "$WORK/export.json" \
  --new-password-file "$WORK/third-pass" </dev/null >"$WORK/from-export.out"
grep -q '^added key ' "$WORK/from-export.out" || fail "from-export: $(cat "$WORK/from-export.out")"
"$OFFSITE_BIN" "${first[@]}" --password-file "$WORK/third-pass" restore latest \
  --target "$WORK/restore"
cmp "$WORK/data/file.txt" "$WORK/restore$WORK/data/file.txt" || fail "restore with the third"
new "${first[@]}" snapshots >/dev/null || fail "the export removed the other key"
# An export of another repository is refused.
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["master_key"]["encryption"]="00"*32
json.dump(d, open(sys.argv[2], "w"))' "$WORK/export.json" "$WORK/bad-export.json"
expect_exit 6 "$OFFSITE_BIN" "${first[@]}" key passwd --from-export "$WORK/bad-export.json" \
  --new-password-file "$WORK/third-pass"

# key add: a fourth passphrase beside the others (checked: it opens);
# key remove: by a unique prefix, never the key the passphrase opens.
printf 'fourth passphrase\n' >"$WORK/fourth-pass"
third() { "$OFFSITE_BIN" --password-file "$WORK/third-pass" "${first[@]}" "$@"; }
fourth() { "$OFFSITE_BIN" --password-file "$WORK/fourth-pass" "${first[@]}" "$@"; }
expect_exit 2 third key add --new-password-file "$WORK/third-pass" # the same one
third --json key add --new-password-file "$WORK/fourth-pass" </dev/null >"$WORK/add.json"
added=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
assert d["type"] == "key_add" and len(d["added"]) == 16, d; print(d["added"])' "$WORK/add.json") ||
  fail "key add JSON: $(cat "$WORK/add.json")"
fourth snapshots >/dev/null || fail "the added passphrase does not open the repository"
third snapshots >/dev/null || fail "key add removed the passphrase in use"
# The key in use is refused, by the passphrase that opens it.
expect_exit 2 fourth key remove "$added"
# Unknown and ambiguous IDs.
expect_exit 9 third key remove ffffffffffffffff
fourth key list >/dev/null
keys=$(fourth --json key list | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["keys"]))')
((keys >= 2)) || fail "expected several key files, got $keys"
expect_exit 2 third key remove ""
third key remove "${added:0:8}" >"$WORK/remove.out" || fail "key remove: $(cat "$WORK/remove.out")"
grep -q "^removed key $added" "$WORK/remove.out" || fail "remove: $(cat "$WORK/remove.out")"
expect_exit 6 fourth snapshots
third snapshots >/dev/null || fail "the remaining passphrase stopped working"
echo ok
