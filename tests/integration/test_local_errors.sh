#!/usr/bin/env bash
# Bad input gets a clear message and its documented exit code, and loses
# nothing: wrong passphrase, no passphrase source, unknown snapshot, bad
# flags, corrupted pack, unreadable path.
source "$(dirname "$0")/lib.sh"

repo=(--repo "$WORK/repo")
mkdir -p "$WORK/data"
head -c 2000000 /dev/urandom >"$WORK/data/file.bin"
offsite "${repo[@]}" init >/dev/null
offsite "${repo[@]}" backup "$WORK/data"

# Wrong passphrase: exit 6, its own message, JSON code.
printf 'not the passphrase\n' >"$WORK/wrong"
expect_exit 6 "$OFFSITE_BIN" "${repo[@]}" --password-file "$WORK/wrong" snapshots 2>"$WORK/err"
grep -q 'passphrase does not open' "$WORK/err" || fail "wrong passphrase message: $(cat "$WORK/err")"
"$OFFSITE_BIN" "${repo[@]}" --password-file "$WORK/wrong" --json snapshots >"$WORK/out" 2>/dev/null || true
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["type"]=="error" and d["code"]=="wrong_passphrase" and d["exit_code"]==6, d' "$WORK/out"

# An empty password file or command output is a set-up mistake (exit 2, said
# as such), not a wrong passphrase.
: >"$WORK/empty-pass"
out=$("$OFFSITE_BIN" "${repo[@]}" --password-file "$WORK/empty-pass" snapshots 2>&1) &&
  fail "an empty password file opened the repository"
[[ $out == *"the password file $WORK/empty-pass gave an empty passphrase"* &&
  $out != *"wrong passphrase"* ]] || fail "empty password file message: $out"
expect_exit 2 "$OFFSITE_BIN" "${repo[@]}" --password-file "$WORK/empty-pass" snapshots
expect_exit 2 "$OFFSITE_BIN" "${repo[@]}" --password-command true snapshots

# Each passphrase source opens the repository; a wrong one is exit 6 with
# the same message. --password-command runs with /bin/sh.
# (lib.sh unsets OFFSITE_PASSWORD and OFFSITE_PASSWORD_FILE.)
offsite_bare() { "$OFFSITE_BIN" "${repo[@]}" "$@"; }
offsite_bare --password-command "cat '$WORK/passphrase'" snapshots </dev/null >"$WORK/out" ||
  fail "--password-command did not open the repository"
grep -q '^1 snapshot$' "$WORK/out" || fail "--password-command: $(cat "$WORK/out")"
OFFSITE_PASSWORD='test passphrase' offsite_bare snapshots </dev/null >"$WORK/out" ||
  fail "OFFSITE_PASSWORD did not open the repository"
grep -q '^1 snapshot$' "$WORK/out" || fail "OFFSITE_PASSWORD: $(cat "$WORK/out")"
OFFSITE_PASSWORD_FILE=$WORK/passphrase offsite_bare snapshots </dev/null >/dev/null ||
  fail "OFFSITE_PASSWORD_FILE did not open the repository"
status=0
offsite_bare --password-command "echo not-it" snapshots </dev/null 2>"$WORK/err" || status=$?
[[ $status == 6 ]] || fail "a wrong --password-command: exit $status, not 6"
grep -q 'passphrase does not open' "$WORK/err" || fail "wrong --password-command: $(cat "$WORK/err")"
status=0
OFFSITE_PASSWORD=not-it offsite_bare snapshots </dev/null 2>"$WORK/err" || status=$?
[[ $status == 6 ]] || fail "a wrong OFFSITE_PASSWORD: exit $status, not 6"
grep -q 'passphrase does not open' "$WORK/err" || fail "wrong OFFSITE_PASSWORD: $(cat "$WORK/err")"
OFFSITE_PASSWORD=not-it offsite_bare --json snapshots </dev/null >"$WORK/out" 2>/dev/null || true
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["code"]=="wrong_passphrase", d' "$WORK/out"
# A failing command is its own error (usage, 2), not a wrong passphrase.
status=0
offsite_bare --password-command "exit 3" snapshots </dev/null 2>"$WORK/err" || status=$?
[[ $status == 2 ]] && grep -q 'password command failed (exit status 3)' "$WORK/err" ||
  fail "a failing --password-command: exit $status: $(cat "$WORK/err")"
# The documented order: --password-file, then --password-command, then the environment.
OFFSITE_PASSWORD=not-it offsite_bare --password-file "$WORK/passphrase" snapshots </dev/null \
  >/dev/null || fail "--password-file did not win over OFFSITE_PASSWORD"
OFFSITE_PASSWORD=not-it offsite_bare --password-command "cat '$WORK/passphrase'" snapshots \
  </dev/null >/dev/null || fail "--password-command did not win over OFFSITE_PASSWORD"

# No terminal, no passphrase source: fails at once (no hang) with exit 2.
start=$SECONDS
expect_exit 2 timeout 10 setsid "$OFFSITE_BIN" "${repo[@]}" backup "$WORK/data" </dev/null 2>"$WORK/err"
grep -q 'no terminal' "$WORK/err" || fail "missing passphrase message: $(cat "$WORK/err")"
grep -q -- '--password-file' "$WORK/err" || fail "hint should name --password-file"
(( SECONDS - start < 5 )) || fail "took too long to fail"

# Unknown snapshot: exit 9 naming it.
expect_exit 9 offsite "${repo[@]}" restore deadbeef --target "$WORK/r" 2>"$WORK/err"
grep -q 'deadbeef' "$WORK/err" || fail "unknown snapshot message"
[[ ! -e $WORK/r ]] || fail "restore of an unknown snapshot created the target"

# Usage errors: exit 2, with a suggestion for a mistyped command.
expect_exit 2 offsite "${repo[@]}" backup --no-such-flag "$WORK/data" 2>/dev/null
expect_exit 2 offsite "${repo[@]}" restor latest 2>"$WORK/err"
grep -q 'did you mean "offsite restore"' "$WORK/err" || fail "no suggestion: $(cat "$WORK/err")"
expect_exit 2 offsite "${repo[@]}" backup 2>/dev/null
"$OFFSITE_BIN" --json "${repo[@]}" backup --no-such-flag >"$WORK/out" 2>/dev/null || true
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["code"]=="usage", d' "$WORK/out"

# A path that does not exist: not_found, nothing stored.
expect_exit 9 offsite "${repo[@]}" backup "$WORK/no-such-path" 2>"$WORK/err"
grep -q 'no-such-path' "$WORK/err" || fail "missing path message"

# No repository at all: config error naming the fix.
expect_exit 11 offsite --repo "$WORK/nothing-here" snapshots 2>"$WORK/err"
grep -q 'offsite init' "$WORK/err" || fail "no-repository hint"

# init over an existing repository is refused.
expect_exit 11 offsite "${repo[@]}" init 2>/dev/null

# A flipped bit in a stored pack: restore fails with the integrity code,
# naming the pack; the original data stays intact.
pack=$(find "$WORK/repo/data" -type f | head -n 1)
python3 - "$pack" <<'PY'
import sys
path = sys.argv[1]
data = bytearray(open(path, "rb").read())
data[len(data) // 3] ^= 0x10
open(path, "wb").write(data)
PY
expect_exit 8 offsite "${repo[@]}" restore latest --target "$WORK/corrupt-restore" 2>"$WORK/err"
grep -q "$(basename "$pack" | cut -c1-16)" "$WORK/err" || fail "integrity error must name the pack: $(cat "$WORK/err")"
echo "ok"
