#!/usr/bin/env bash
# forget on a real data-centre pair: snapshots with injected times across two
# years for two hosts, a policy mixing --keep-last/-daily/-weekly/-monthly/
# -yearly, and exactly the snapshots worked out by hand below remain. A dry
# run changes nothing and gives the reasons in JSON; the other host's group is
# untouched; what remains restores byte-identical; forget by ID, unknown IDs,
# an empty policy and an append-only account give clear errors and codes.
# Then, on a local repository: --keep-hourly, --keep-tag, --keep-within and
# --group-by (paths, '', tags, host,tags), each plan exactly as worked out.
source "$(dirname "$0")/lib.sh"
export TZ=UTC

start_pair 127.239.112.60 127.239.113.60
cfg=(--config-dir "$WORK/config")
offsite "${cfg[@]}" register "${REGISTER_ARGS[@]}" >/dev/null

DATA=$WORK/data
mkdir -p "$DATA/sub" "$WORK/expected" "$WORK/out"
printf 'constant\n' >"$DATA/sub/constant.txt"
head -c 200000 /dev/urandom >"$DATA/sub/shared.bin"

# backup_at HOST TIME: the tree with a file that differs per snapshot; a copy
# of it is kept to compare restores with.
backup_at() {
  printf 'state of %s at %s\n' "$1" "$2" >"$DATA/varying.txt"
  offsite "${cfg[@]}" backup --host "$1" --time "$2" "$DATA" >/dev/null
  local key="$1 $2"
  cp -a "$DATA" "$WORK/expected/${key//[ :]/_}"
}

# web1, newest first, with the day of week and ISO week worked out by hand
# (2024-01-01 is a Monday, so 2024's ISO week n starts on day 7n-6).
web1_times=(
  "2024-06-15 18:00:00" #  1 Sat W24 Jun
  "2024-06-15 09:00:00" #  2 Sat W24 Jun (same day as 1)
  "2024-06-14 22:00:00" #  3 Fri W24
  "2024-06-12 10:00:00" #  4 Wed W24
  "2024-06-10 08:00:00" #  5 Mon W24
  "2024-06-09 20:00:00" #  6 Sun W23
  "2024-06-03 12:00:00" #  7 Mon W23
  "2024-05-20 12:00:00" #  8 Mon W21 May
  "2024-05-02 12:00:00" #  9 Thu W18 May
  "2024-04-30 12:00:00" # 10 Tue W18 Apr
  "2024-03-15 12:00:00" # 11 Mar
  "2023-12-31 23:00:00" # 12 2023
  "2023-07-01 12:00:00" # 13 2023
  "2023-01-05 12:00:00" # 14 2023, the oldest
)
web2_times=("2024-06-01 06:00:00" "2024-06-02 06:00:00" "2024-06-03 06:00:00")
for ((i = ${#web1_times[@]} - 1; i >= 0; i--)); do backup_at web1 "${web1_times[i]}"; done
for t in "${web2_times[@]}"; do backup_at web2 "$t"; done

policy=(--keep-last 2 --keep-daily 3 --keep-weekly 2 --keep-monthly 3 --keep-yearly 3)
# By hand, newest first: last 2 = 1, 2; daily 3 = 1 (15th), 3 (14th), 4 (12th);
# weekly 2 = 1 (W24), 6 (W23); monthly 3 = 1 (Jun), 8 (May), 10 (Apr);
# yearly 3 = 1 (2024), 12 (2023), and with one count left when the group
# ends, its oldest snapshot 14 as well (restic's rule).
declare -A expected_reasons=(
  ["2024-06-15T18:00:00"]="last snapshot,daily snapshot,weekly snapshot,monthly snapshot,yearly snapshot"
  ["2024-06-15T09:00:00"]="last snapshot"
  ["2024-06-14T22:00:00"]="daily snapshot"
  ["2024-06-12T10:00:00"]="daily snapshot"
  ["2024-06-09T20:00:00"]="weekly snapshot"
  ["2024-05-20T12:00:00"]="monthly snapshot"
  ["2024-04-30T12:00:00"]="monthly snapshot"
  ["2023-12-31T23:00:00"]="yearly snapshot"
  ["2023-01-05T12:00:00"]="oldest yearly snapshot"
)
expected_removed="2024-06-10T08:00:00 2024-06-03T12:00:00 2024-05-02T12:00:00 2024-03-15T12:00:00 2023-07-01T12:00:00"
expected_kept=$(printf '%s\n' "${!expected_reasons[@]}" | sort -r | tr '\n' ' ')

# times HOST: that host's snapshot times (to the second), newest first.
times() {
  offsite "${cfg[@]}" --json snapshots --host "$1" | python3 -c '
import json, sys
print(" ".join(sorted((s["time"][:19] for s in json.load(sys.stdin)["snapshots"]), reverse=True)))'
}
web2_before=$(times web2)
[[ $(times web1 | wc -w) == 14 && $(echo "$web2_before" | wc -w) == 3 ]] ||
  fail "expected 14 + 3 snapshots"

# Dry run over all groups: reasons in JSON, nothing removed.
reasons_file=$WORK/out/expected-reasons.json
for k in "${!expected_reasons[@]}"; do printf '%s=%s\n' "$k" "${expected_reasons[$k]}"; done |
  python3 -c '
import json, sys
print(json.dumps(dict(l.rstrip("\n").split("=", 1) for l in sys.stdin)))' >"$reasons_file"
offsite "${cfg[@]}" --json forget "${policy[@]}" --dry-run >"$WORK/out/dry.json"
python3 - "$WORK/out/dry.json" "$reasons_file" "$expected_removed" "$DATA" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, lines
doc = json.loads(lines[0])
want = {k: v.split(",") for k, v in json.load(open(sys.argv[2])).items()}
assert doc["type"] == "forget" and doc["dry_run"] is True and doc["removed"] == 0, doc
groups = {g["host"]: g for g in doc["groups"]}
assert sorted(groups) == ["web1", "web2"], groups.keys()
web1 = groups["web1"]
assert web1["paths"] == [sys.argv[4]] and web1["tags"] is None, web1
got = {s["time"][:19]: s["reasons"] for s in web1["keep"]}
assert got == want, got
assert [s["time"][:19] for s in web1["remove"]] == sys.argv[3].split(), web1["remove"]
assert all(len(s["id"]) == 64 and "reasons" not in s for s in web1["remove"]), web1["remove"]
# web2's three days are its own group: all kept, not weighed against web1.
assert len(groups["web2"]["keep"]) == 3 and groups["web2"]["remove"] == [], groups["web2"]
PY
[[ $(times web1 | wc -w) == 14 ]] || fail "--dry-run removed something"

# The text dry run names the reasons too.
offsite "${cfg[@]}" forget "${policy[@]}" --host web1 -n >"$WORK/out/dry.txt"
grep -q 'oldest yearly snapshot' "$WORK/out/dry.txt" || fail "text dry run: $(cat "$WORK/out/dry.txt")"
grep -q '^would remove 5 snapshots:$' "$WORK/out/dry.txt" || fail "text dry run: $(cat "$WORK/out/dry.txt")"

# The real thing, for web1 only.
offsite "${cfg[@]}" forget "${policy[@]}" --host web1 >"$WORK/out/forget.txt"
grep -q '^remove 5 snapshots:$' "$WORK/out/forget.txt" || fail "forget: $(cat "$WORK/out/forget.txt")"
got=$(times web1)
[[ "$got " == "$expected_kept" ]] || fail "web1 kept: $got
expected: $expected_kept"
[[ $(times web2) == "$web2_before" ]] || fail "web2 was touched: $(times web2)"
# Applying the same policy again removes nothing more.
offsite "${cfg[@]}" --json forget "${policy[@]}" --host web1 | python3 -c '
import json, sys
doc = json.load(sys.stdin)
assert doc["removed"] == 0 and doc["dry_run"] is False, doc'

# What remains restores byte-identical (the data forget left alone).
offsite "${cfg[@]}" --json snapshots --host web1 | python3 -c '
import json, sys
for s in json.load(sys.stdin)["snapshots"]: print(s["id"], s["time"][:10], s["time"][11:19])' |
  while read -r id day clock; do
    target=$WORK/restore-$id
    offsite "${cfg[@]}" restore "$id" --target "$target" >/dev/null
    compare_trees "$WORK/expected/web1_${day}_${clock//:/_}" "$target$DATA"
  done

# Forget by ID (a prefix) and by "latest" with a filter.
oldest_web2=$(offsite "${cfg[@]}" --json snapshots --host web2 | python3 -c '
import json, sys; print(json.load(sys.stdin)["snapshots"][0]["id"])')
offsite "${cfg[@]}" forget "${oldest_web2:0:10}" latest --host web2 >/dev/null
[[ $(times web2) == "2024-06-02T06:00:00" ]] || fail "forget by ID left: $(times web2)"

# Unknown ID: not_found (9), nothing removed.
status=0
out=$(offsite "${cfg[@]}" forget 0123456789abcdef 2>&1) || status=$?
[[ $status == 9 && $out == *'no snapshot matches "0123456789abcdef"'* ]] ||
  fail "unknown ID: $status $out"
status=0
out=$(offsite "${cfg[@]}" --json forget deadbeefdeadbeef 2>/dev/null) || status=$?
[[ $status == 9 ]] || fail "unknown ID (JSON): exit $status"
python3 -c 'import json, sys; assert json.loads(sys.argv[1])["code"] == "not_found"' "$out"

# An empty policy never means "everything": usage (2), also with filters.
for args in "" "--host web1" "--dry-run"; do
  status=0
  # shellcheck disable=SC2086
  out=$(offsite "${cfg[@]}" forget $args 2>&1) || status=$?
  [[ $status == 2 && $out == *"needs a policy or snapshot IDs"* ]] ||
    fail "empty policy ($args): $status $out"
done
status=0
out=$(offsite "${cfg[@]}" forget --keep-last 1 "$oldest_web2" 2>&1) || status=$?
[[ $status == 2 && $out == *"not both"* ]] || fail "IDs and a policy: $status $out"
status=0
out=$(offsite "${cfg[@]}" forget --keep-within 3w 2>&1) || status=$?
[[ $status == 2 && $out == *'"3w" is not a duration'* ]] || fail "bad duration: $status $out"
[[ $(times web1 | wc -w) == 9 && $(times web2 | wc -w) == 1 ]] || fail "a refused forget removed"

# An append-only account: the data centre refuses, the user is told why and who can lift it.
account=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["account_id"])' \
  "$WORK/config/credentials.json")
"$OFFSITED_BIN" account set --data "$DC" "$account" --append-only on >/dev/null
status=0
out=$(offsite "${cfg[@]}" forget latest --host web2 2>&1) || status=$?
[[ $status == 5 && $out == *"append-only"* && $out == *"operator"* ]] ||
  fail "append-only forget: $status $out"
[[ $(times web2 | wc -w) == 1 ]] || fail "append-only forget removed a snapshot"
"$OFFSITED_BIN" account set --data "$DC" "$account" --append-only off >/dev/null
offsite "${cfg[@]}" forget latest --host web2 >/dev/null
[[ -z $(times web2) ]] || fail "forget after append-only off: $(times web2)"

# --- --keep-hourly, --keep-tag, --keep-within and --group-by --------------
# On a local repository (forget's code is the same for both), with times
# injected by backup --time. h1 newest first, with tags:
local_repo=(--repo "$WORK/local")
offsite "${local_repo[@]}" init >/dev/null
lbackup() { # HOST TIME [TAG...]
  local host=$1 time=$2 tags=()
  shift 2
  for t in "$@"; do tags+=(--tag "$t"); done
  offsite "${local_repo[@]}" backup --host "$host" --time "$time" "${tags[@]}" "$DATA" >/dev/null
}
lbackup h1 "2024-06-15 13:59:00"          # f
lbackup h1 "2024-06-15 14:00:00" db       # e
lbackup h1 "2024-06-15 16:05:00" keep db  # d
lbackup h1 "2024-06-15 17:50:00"          # c
lbackup h1 "2024-06-15 18:10:00" keep     # b
lbackup h1 "2024-06-15 18:40:00"          # a
lbackup h2 "2024-06-14 09:00:00"          # h
lbackup h2 "2024-06-15 18:00:00"          # g

# plan EXPECTED ARGS...: forget --dry-run --json ARGS keeps exactly what
# EXPECTED (a Python literal) says: [(host, paths, tags, {time: reasons})]
# per group, the group keys as JSON has them (None when not grouped by).
plan() {
  local expected=$1
  shift
  offsite "${local_repo[@]}" --json forget --dry-run "$@" >"$WORK/out/plan.json" ||
    fail "forget --dry-run $*: $(cat "$WORK/out/plan.json")"
  python3 - "$WORK/out/plan.json" "$expected" "$DATA" <<'PY' || fail "forget $*: plan differs"
import ast, json, sys
doc = json.load(open(sys.argv[1]))
data = sys.argv[3]
want = ast.literal_eval(sys.argv[2].replace("DATA", repr(data)))
got = [(g["host"], g["paths"], g["tags"],
        {s["time"][11:16]: s["reasons"] for s in g["keep"]}) for g in doc["groups"]]
if sorted(map(repr, got)) != sorted(map(repr, want)):
    print(f"got:  {got}\nwant: {want}", file=sys.stderr)
    sys.exit(1)
assert doc["removed"] == 0, doc
PY
}
H="'hourly snapshot'"
plan "[('h1', [DATA], None, {'18:40': [$H], '17:50': [$H], '16:05': [$H]})]" \
  --host h1 --keep-hourly 3
plan "[('h1', [DATA], None, {'18:40': ['last snapshot'], '18:10': ['tag keep'],
        '16:05': ['tag keep', 'tag db,keep']})]" \
  --host h1 --keep-last 1 --keep-tag keep --keep-tag db,keep
plan "[('h1', [DATA], None, {'18:40': ['within 2h'], '18:10': ['within 2h'],
        '17:50': ['within 2h']})]" \
  --host h1 --keep-within 2h
L="'last snapshot'"
plan "[('h1', [DATA], None, {'18:40': [$L]}), ('h2', [DATA], None, {'18:00': [$L]})]" \
  --keep-last 1
plan "[(None, [DATA], None, {'18:40': [$L]})]" --keep-last 1 --group-by paths
plan "[(None, None, None, {'18:40': [$L], '18:10': [$L]})]" --keep-last 2 --group-by ''
plan "[(None, None, [], {'18:40': [$L]}), (None, None, ['keep'], {'18:10': [$L]}),
       (None, None, ['db', 'keep'], {'16:05': [$L]}), (None, None, ['db'], {'14:00': [$L]})]" \
  --keep-last 1 --group-by tags
plan "[('h2', None, [], {'18:00': [$L]}), ('h1', None, [], {'18:40': [$L]}),
       ('h1', None, ['keep'], {'18:10': [$L]}), ('h1', None, ['db', 'keep'], {'16:05': [$L]}),
       ('h1', None, ['db'], {'14:00': [$L]})]" \
  --keep-last 1 --group-by host,tags
status=0
out=$(offsite "${local_repo[@]}" forget --keep-last 1 --group-by hosts 2>&1) || status=$?
[[ $status == 2 && $out == *"host, paths and tags"* ]] || fail "--group-by hosts: $status $out"

# For real: what the hourly plan keeps is what remains.
offsite "${local_repo[@]}" forget --host h1 --keep-hourly 3 >/dev/null
left=$(offsite "${local_repo[@]}" --json snapshots --host h1 | python3 -c '
import json, sys
print(" ".join(s["time"][11:16] for s in json.load(sys.stdin)["snapshots"]))')
[[ $left == "16:05 17:50 18:40" ]] || fail "after --keep-hourly 3: $left"
[[ $(offsite "${local_repo[@]}" --json snapshots --host h2 | python3 -c '
import json, sys; print(len(json.load(sys.stdin)["snapshots"]))') == 2 ]] || fail "h2 was touched"
echo ok
