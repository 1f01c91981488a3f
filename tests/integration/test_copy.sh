#!/usr/bin/env bash
# copy, as restic's: snapshots from a local repository into the account and
# back, each restoring what was backed up; what the destination holds is
# never stored again, and a later backup deduplicates against the copy;
# copies are found again (skipped) even after a retag; damage in the source
# names the file and saves no snapshot; bad uses are usage errors.
source "$(dirname "$0")/lib.sh"

start_pair 127.239.112.183 127.239.113.183
cfg=(--config-dir "$WORK/cfg")
offsite "${cfg[@]}" register "${REGISTER_ARGS[@]}" >/dev/null
printf 'the home disk passphrase\n' >"$WORK/home-pass"
printf 'a third passphrase\n' >"$WORK/back-pass"
home() { "$OFFSITE_BIN" --repo "$WORK/home" --password-file "$WORK/home-pass" "$@"; }
back() { "$OFFSITE_BIN" --repo "$WORK/back" --password-file "$WORK/back-pass" "$@"; }
json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# Two backups on the home disk: the first state is kept aside to compare.
home init >/dev/null
make_tree "$WORK/src"
home backup --tag seed "$WORK/src" >/dev/null
cp -a "$WORK/src" "$WORK/first"
head -c 2000000 /dev/urandom >"$WORK/src/sub/added.bin"
printf 'changed\n' >>"$WORK/src/hello.txt"
home backup "$WORK/src" >/dev/null
home --json snapshots >"$WORK/home.json"

# Into the account, from a source with its own passphrase.
offsite "${cfg[@]}" --json copy --from-repo "$WORK/home" --from-password-file "$WORK/home-pass" \
  >"$WORK/copy1.json" 2>"$WORK/copy1.err" || fail "copy into the account: $(cat "$WORK/copy1.err")"
python3 - "$WORK/copy1.json" "$WORK/home.json" <<'PY' || fail "copy 1: $(cat "$WORK/copy1.json")"
import json, sys
d = json.loads(open(sys.argv[1]).read().splitlines()[-1])
home = [s["id"] for s in json.load(open(sys.argv[2]))["snapshots"]]
assert d["type"] == "summary" and d["command"] == "copy" and d["skipped"] == [], d
assert [c["source_id"] for c in d["copied"]] == home, (d, home)
# Both trees of random data went up once: about 3 MB + 2 MB + the text.
assert 5_000_000 <= d["bytes_read"] and d["bytes_added"] > 4_000_000, d
PY
offsite "${cfg[@]}" --json snapshots >"$WORK/account.json"
python3 - "$WORK/account.json" "$WORK/home.json" <<'PY' || fail "copied snapshots: $(cat "$WORK/account.json")"
import json, sys
acc = json.load(open(sys.argv[1]))["snapshots"]
home = json.load(open(sys.argv[2]))["snapshots"]
assert len(acc) == 2, acc
for a, h in zip(acc, home):
    assert a["original"] == h["id"] and a["id"] != h["id"], (a, h)
    for k in ("time", "host", "user", "paths", "tags", "excludes", "summary"):
        assert a[k] == h[k], (k, a, h)
assert acc[1]["parent"] == acc[0]["id"], acc  # the parent is the copy's
PY
first=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["snapshots"][0]["id"])' "$WORK/account.json")
offsite "${cfg[@]}" restore "${first:0:8}" --target "$WORK/r1" >/dev/null
compare_trees "$WORK/first" "$WORK/r1$WORK/src" --no-dir-mtime || fail "the first copy restores other data"
offsite "${cfg[@]}" restore latest --target "$WORK/r2" >/dev/null
compare_trees "$WORK/src" "$WORK/r2$WORK/src" --no-dir-mtime || fail "the second copy restores other data"

# Again: everything is skipped, nothing is read or stored.
offsite "${cfg[@]}" --json tag --add moved latest >/dev/null
offsite "${cfg[@]}" --json copy --from-repo "$WORK/home" --from-password-file "$WORK/home-pass" \
  >"$WORK/copy2.json"
python3 - "$WORK/copy2.json" <<'PY' || fail "second copy: $(cat "$WORK/copy2.json")"
import json, sys
d = json.loads(open(sys.argv[1]).read().splitlines()[-1])
assert d["copied"] == [] and len(d["skipped"]) == 2 and d["bytes_added"] == 0, d
assert d["bytes_read"] == 0, d
PY

# A backup of the same files into the account reads them (--force) but
# stores no data blob again: the copy was cut as this account cuts.
offsite "${cfg[@]}" --json backup --force "$WORK/src" | tail -n 1 >"$WORK/backup.json"
[[ $(json_field data_blobs_new <"$WORK/backup.json") == 0 ]] ||
  fail "backup after copy stored data again: $(cat "$WORK/backup.json")"

# Back from the account into a new local repository: all three snapshots.
back init >/dev/null
back --json copy --from-account --config-dir "$WORK/cfg" --from-password-file "$WORK/passphrase" \
  >"$WORK/copy3.json" 2>"$WORK/copy3.err" || fail "copy from the account: $(cat "$WORK/copy3.err")"
python3 - "$WORK/copy3.json" <<'PY' || fail "copy back: $(cat "$WORK/copy3.json")"
import json, sys
d = json.loads(open(sys.argv[1]).read().splitlines()[-1])
assert len(d["copied"]) == 3 and d["skipped"] == [], d
PY
back restore latest --target "$WORK/r3" >/dev/null
compare_trees "$WORK/src" "$WORK/r3$WORK/src" --no-dir-mtime || fail "the copy back restores other data"
back check --read-data >/dev/null 2>"$WORK/check.err" || fail "check after copy: $(cat "$WORK/check.err")"
# A pack the destination lost is noticed before copying: the copy stores its
# blobs again (the data of the copied file is there to read), so check passes.
lost=$(find "$WORK/back/data" -type f -size +1M | head -n 1)
rm "$lost"
rm "$WORK/back/snapshots/"*
OFFSITE_FROM_PASSWORD_FILE=$WORK/passphrase back --json copy --from-account \
  --config-dir "$WORK/cfg" >"$WORK/heal.json" 2>"$WORK/heal.err" || fail "copy over a lost pack: $(cat "$WORK/heal.err")"
grep -q "pack missing from the repository" "$WORK/heal.json" || fail "the lost pack was not named: $(cat "$WORK/heal.json")"
back check >"$WORK/check2.out" 2>&1 && fail "check missed the lost pack"
grep -q "no snapshot uses the data it lost" "$WORK/check2.out" || fail "the copy did not store the lost data again: $(cat "$WORK/check2.out")"
back repair index >/dev/null 2>&1
back check --read-data >/dev/null 2>"$WORK/check2.err" || fail "check after healing copy: $(cat "$WORK/check2.err")"
back restore latest --target "$WORK/r4" >/dev/null
compare_trees "$WORK/src" "$WORK/r4$WORK/src" --no-dir-mtime || fail "the healed copy restores other data"

# Copied back, the same snapshots are found by their original: nothing new.
offsite "${cfg[@]}" --json copy --from-repo "$WORK/back" --from-password-file "$WORK/back-pass" \
  | tail -n 1 | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["copied"]==[] and len(d["skipped"])==3, d' ||
  fail "copying back and forth made new snapshots"

# --dry-run names what would be copied and saves nothing; the source from
# OFFSITE_FROM_REPOSITORY, its passphrase from --from-password-command.
"$OFFSITE_BIN" --repo "$WORK/dry" --password-file "$WORK/back-pass" init >/dev/null
OFFSITE_FROM_REPOSITORY=$WORK/home "$OFFSITE_BIN" --repo "$WORK/dry" --password-file "$WORK/back-pass" \
  --json copy --dry-run --tag seed --from-password-command "cat '$WORK/home-pass'" | tail -n 1 |
  python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["dry_run"] and len(d["copied"])==1, d' ||
  fail "copy --dry-run"
[[ -z $(ls "$WORK/dry/snapshots") ]] || fail "copy --dry-run saved a snapshot"

# More snapshots than one flush batch (32): all copied, in order, each
# parent the copy of its parent, the newest restoring the newest state.
many() { "$OFFSITE_BIN" --repo "$WORK/many" --password-file "$WORK/back-pass" "$@"; }
many init >/dev/null
mkdir -p "$WORK/small"
for i in $(seq 1 35); do
  printf 'version %s\n' "$i" >"$WORK/small/f"
  many backup "$WORK/small" >/dev/null
done
"$OFFSITE_BIN" --repo "$WORK/many-copy" --password-file "$WORK/back-pass" init >/dev/null
"$OFFSITE_BIN" --repo "$WORK/many-copy" --password-file "$WORK/back-pass" --json copy \
  --from-repo "$WORK/many" --from-password-file "$WORK/back-pass" | tail -n 1 |
  python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d["copied"])==35, d' ||
  fail "copying 35 snapshots"
"$OFFSITE_BIN" --repo "$WORK/many-copy" --password-file "$WORK/back-pass" --json snapshots |
  python3 -c '
import json, sys
s = json.load(sys.stdin)["snapshots"]
assert len(s) == 35, len(s)
for prev, cur in zip(s, s[1:]):
    assert cur["parent"] == prev["id"], (prev, cur)
' || fail "the copies of 35 snapshots do not chain"
"$OFFSITE_BIN" --repo "$WORK/many-copy" --password-file "$WORK/back-pass" dump latest:"$WORK/small/f" |
  grep -qx "version 35" || fail "the newest copy holds another version"

# Damage in the source: the copy stops naming the file; no snapshot is saved.
"$OFFSITE_BIN" --repo "$WORK/bad" --password-file "$WORK/back-pass" init >/dev/null
mkdir -p "$WORK/one"
head -c 3000000 /dev/urandom >"$WORK/one/victim.bin"
"$OFFSITE_BIN" --repo "$WORK/bad" --password-file "$WORK/back-pass" backup "$WORK/one" >/dev/null
pack=$(find "$WORK/bad/data" -type f -size +1M | head -n 1)
printf 'XXXXXXXX' | dd of="$pack" bs=1 seek=1000000 conv=notrunc status=none
before=$(ls "$WORK/back/snapshots" | wc -l)
expect_exit 8 back copy --from-repo "$WORK/bad" --from-password-file "$WORK/back-pass" 2>"$WORK/bad.err"
grep -q "victim.bin" "$WORK/bad.err" || fail "the damage message names no file: $(cat "$WORK/bad.err")"
[[ $(ls "$WORK/back/snapshots" | wc -l) == "$before" ]] || fail "a damaged copy saved a snapshot"

# Bad uses.
expect_exit 2 offsite "${cfg[@]}" copy
expect_exit 2 offsite "${cfg[@]}" copy --from-account
expect_exit 2 back copy --from-repo "$WORK/home" --from-account --from-password-file "$WORK/home-pass"
expect_exit 2 back copy --from-repo "$WORK/back" --from-password-file "$WORK/back-pass"
expect_exit 11 offsite "${cfg[@]}" copy --from-repo "$WORK/nope" --from-password-file "$WORK/home-pass"
expect_exit 6 offsite "${cfg[@]}" copy --from-repo "$WORK/home" --from-password-file "$WORK/back-pass" 2>"$WORK/wrong.err"
grep -q "source repository" "$WORK/wrong.err" && grep -q -- "--from-password-file" "$WORK/wrong.err" ||
  fail "a wrong source passphrase is not said to be the source's: $(cat "$WORK/wrong.err")"
# The source from OFFSITE_FROM_REPOSITORY does not clash with --from-account;
# its passphrase from OFFSITE_FROM_PASSWORD.
OFFSITE_FROM_REPOSITORY=$WORK/home OFFSITE_FROM_PASSWORD='test passphrase' back --json copy \
  --from-account --config-dir "$WORK/cfg" | tail -n 1 |
  python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["copied"]==[] and len(d["skipped"])==3, d' ||
  fail "copy --from-account with OFFSITE_FROM_REPOSITORY set"
mkdir -p "$WORK/not-a-repo"
expect_exit 11 offsite "${cfg[@]}" copy --from-repo "$WORK/not-a-repo" </dev/null 2>"$WORK/norepo.err"
grep -q -- "--from-repo" "$WORK/norepo.err" || fail "no repository: $(cat "$WORK/norepo.err")"
expect_exit 9 offsite "${cfg[@]}" copy --from-repo "$WORK/home" --from-password-file "$WORK/home-pass" deadbeef
# No source passphrase and no terminal: said so, naming copy's own flags.
expect_exit 2 offsite "${cfg[@]}" copy --from-repo "$WORK/home" </dev/null 2>"$WORK/nopass.err"
grep -q -- "--from-password-file" "$WORK/nopass.err" || fail "no hint at --from-password-file: $(cat "$WORK/nopass.err")"
echo ok
