#!/usr/bin/env bash
# Usage errors say what is wrong: an unknown command is named, with a "did
# you mean" that flags such as --json and -q do not throw off; a command
# that needs a subcommand lists them; counts and flag combinations that
# would silently do something else are refused. All with exit status 2 and,
# under --json, the usage error object.
source "$(dirname "$0")/lib.sh"
export TZ=UTC

repo=(--repo "$WORK/repo")
mkdir -p "$WORK/data"
printf 'one\n' >"$WORK/data/file"
offsite "${repo[@]}" init >/dev/null
for day in 01 02 03; do
  offsite "${repo[@]}" backup --time "2024-05-$day 12:00:00" "$WORK/data" >/dev/null
done

# usage_error WANT_MESSAGE WANT_HINT ARGS...: exit 2, both texts on stderr
# (WANT_HINT "-" for none to check), and the same as a JSON error object.
usage_error() {
  local message=$1 hint=$2 status=0
  shift 2
  offsite "$@" >"$WORK/out" 2>"$WORK/err" || status=$?
  [[ $status == 2 ]] || fail "offsite $*: exit $status, not 2: $(cat "$WORK/err")"
  grep -qF "offsite: error: $message" "$WORK/err" || fail "offsite $*: $(cat "$WORK/err")"
  [[ $hint == - ]] || grep -qF "offsite: hint: $hint" "$WORK/err" ||
    fail "offsite $*: hint: $(cat "$WORK/err")"
  status=0
  offsite --json "$@" >"$WORK/out" 2>/dev/null || status=$?
  [[ $status == 2 ]] || fail "offsite --json $*: exit $status"
  python3 - "$WORK/out" "$message" <<'PY' || fail "offsite --json $*: $(cat "$WORK/out")"
import json, sys
doc = json.loads(open(sys.argv[1]).read())
assert doc["type"] == "error" and doc["code"] == "usage" and doc["exit_code"] == 2, doc
assert sys.argv[2] in doc["message"], doc
PY
}

# A mistyped command, whatever flags come first: only an option that takes
# a value ("--repo DIR") makes the next word its value.
usage_error 'unknown command "snapshot"' 'did you mean "offsite snapshots"?' -q snapshot
usage_error 'unknown command "snapshot"' 'did you mean "offsite snapshots"?' \
  -v --no-progress "${repo[@]}" snapshot
usage_error 'unknown command "bakup"' 'did you mean "offsite backup"?' --repo="$WORK/repo" bakup
usage_error 'unknown command "bogus"' 'run "offsite --help" to see the commands' bogus
usage_error 'unknown command "key lst"' 'did you mean "offsite key list"?' key lst
usage_error 'unknown command "schedule sho"' 'did you mean "offsite schedule show"?' \
  -q schedule sho
usage_error '"offsite key" needs a command: passwd, list, add, remove or export' - key
usage_error 'no command given' - -q

# A known command after flags is never "corrected": the error is its own.
usage_error '--latest needs a whole number, not "x"' 'run "offsite snapshots --help"' \
  -q "${repo[@]}" snapshots --latest x
! grep -q 'did you mean' "$WORK/err" || fail "a hint for a known command: $(cat "$WORK/err")"
usage_error '--latest needs a whole number, not "x"' - --json "${repo[@]}" snapshots --latest x
! grep -q 'did you mean' "$WORK/err" || fail "a hint for a known command: $(cat "$WORK/err")"

# --latest N: the newest N, and never "all" for a count below 1.
offsite "${repo[@]}" snapshots --latest 2 >"$WORK/out"
[[ $(grep -c '^[0-9a-f]\{8\} ' "$WORK/out") == 2 ]] || fail "--latest 2: $(cat "$WORK/out")"
grep -q '2024-05-02' "$WORK/out" && grep -q '2024-05-03' "$WORK/out" ||
  fail "--latest 2 is not the newest two: $(cat "$WORK/out")"
grep -q '2024-05-01' "$WORK/out" && fail "--latest 2 lists the oldest: $(cat "$WORK/out")"
grep -q '^2 snapshots$' "$WORK/out" || fail "--latest 2 count: $(cat "$WORK/out")"
offsite "${repo[@]}" --json snapshots --latest 1 | python3 -c '
import json, sys
s = json.load(sys.stdin)["snapshots"]
assert [x["time"][:10] for x in s] == ["2024-05-03"], s'
offsite "${repo[@]}" --json snapshots --latest 10 | python3 -c '
import json, sys
assert len(json.load(sys.stdin)["snapshots"]) == 3'
usage_error '--latest needs a count of at least 1, not 0' \
  'leave --latest out to list every snapshot' "${repo[@]}" snapshots --latest 0
usage_error '--latest needs a count of at least 1, not -1' - "${repo[@]}" snapshots --latest -1

# check: --read-data and --read-data-subset together are refused (restic
# does the same), each alone works.
usage_error '--read-data and --read-data-subset cannot be combined' - \
  "${repo[@]}" check --read-data --read-data-subset 2/3
offsite "${repo[@]}" check --read-data >/dev/null
offsite "${repo[@]}" check --read-data-subset 2/3 >/dev/null

# Option errors in the house words, never CLI11's ("Could not convert",
# "Value 0 not in range", "Needs:"): what is wrong, and what to do.
usage_error '--compression: "abc" is not a zstd level' 'use 1 (fastest) to 19 (smallest)' \
  "${repo[@]}" backup --compression abc "$WORK/data"
usage_error '--timeout: "0" is out of range' 'give a number of seconds from 0.1 to 600' \
  test-connection --timeout 0
usage_error '--timeout: "soon" is not a number' - test-connection --timeout soon
usage_error '--save works only with --detect' 'run "offsite test-connection --detect --save"' \
  test-connection --save
usage_error '--method: "bogus" is not one of its choices' 'use auto, systemd or cron' \
  schedule install --daily 02:30 --method bogus "$WORK/data"
usage_error '--latest needs a whole number' 'write it as "--latest N"' "${repo[@]}" snapshots --latest
usage_error '--daily is required' 'add "--daily HH:MM"' schedule install "$WORK/data"
# A misspelt flag gets "did you mean", as a misspelt command does; a bad
# --exclude-file value is about the file, and suggests no flag.
usage_error 'unknown option "--exclud" for "offsite backup"' 'did you mean "--exclude"?' \
  "${repo[@]}" backup --exclud '*.tmp' "$WORK/data"
usage_error 'unknown option "--jsno" for "offsite snapshots"' 'did you mean "--json"?' \
  "${repo[@]}" snapshots --jsno
usage_error 'unknown option "--zzzzzz" for "offsite backup"' 'run "offsite backup --help"' \
  "${repo[@]}" backup --zzzzzz "$WORK/data"
usage_error '--exclude-file: cannot read the pattern file nope.txt' \
  'check the path given to --exclude-file' "${repo[@]}" backup --exclude-file nope.txt "$WORK/data"
! grep -q 'did you mean' "$WORK/err" || fail "--exclude-file suggests a flag: $(cat "$WORK/err")"
# -q and -v contradict each other.
usage_error '--quiet and --verbose cannot be combined' - -q -v "${repo[@]}" snapshots
# --keep-last 0 alone keeps nothing: said so, not "got neither".
usage_error '--keep-last 0 keeps no snapshot' 'give a count of at least 1' \
  "${repo[@]}" forget --keep-last 0
! grep -q 'neither' "$WORK/err" || fail "forget --keep-last 0: $(cat "$WORK/err")"

# No help shows CLI11's type strings: every command and nested command.
"$OFFSITE_BIN" __cli-spec | python3 -c '
import json, sys
spec = json.load(sys.stdin)
for c in spec["commands"]:
    print(c)
for c, inner in spec["subcommands"].items():
    for i in inner:
        print(c, i)' >"$WORK/commands"
"$OFFSITE_BIN" --help >"$WORK/help.all"
while read -r -a words; do
  "$OFFSITE_BIN" "${words[@]}" --help >>"$WORK/help.all"
done <"$WORK/commands"
[[ $(grep -c 'Options:' "$WORK/help.all") -gt 20 ]] || fail "the help sweep read too little"
if grep -nE '\b(INT|UINT|FLOAT)\b|:\{| in \[|Needs:|Excludes:' "$WORK/help.all"; then
  fail "a help text shows CLI11 type strings"
fi

# -v promises no levels it does not have.
"$OFFSITE_BIN" --help >"$WORK/help"
grep -q -- '-v,--verbose' "$WORK/help" || fail "no -v in --help"
! grep -qi 'repeat for more' "$WORK/help" || fail "--help still promises -vv levels"
echo ok
