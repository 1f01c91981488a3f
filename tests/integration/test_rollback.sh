#!/usr/bin/env bash
# A rolled-back repository is noticed (issue 16, section 1): the client
# remembers the newest snapshot of each host it backs up as (in its config
# directory's state/), so after the storage is put back to an older copy
# `snapshots` warns (and says so in --json), `backup` refuses with exit 8 and
# saves nothing, and --accept-rollback accepts the state once. This client's
# own forget is no rollback; a forget on another machine by policy is none
# either, one by ID of the newest snapshot is reported until accepted; a
# damaged newest snapshot is reported as damage, not as a rollback.
source "$(dirname "$0")/lib.sh"

repo=(--repo "$WORK/repo")
other=(--config-dir "$WORK/other-machine")
offsite "${repo[@]}" init >/dev/null
mkdir -p "$WORK/data"
count() { offsite "${repo[@]}" snapshots 2>/dev/null | tail -n 1; }
backup() { offsite "${repo[@]}" backup --host h1 "$@" "$WORK/data"; }

printf 'one\n' >"$WORK/data/file.txt"
backup >/dev/null
cp -a "$WORK/repo" "$WORK/repo-copy" # the data centre's older copy
printf 'two\n' >"$WORK/data/file.txt"
backup >/dev/null
newest=$(offsite "${repo[@]}" --json snapshots |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["snapshots"][-1]["id"])')
state=("$XDG_CONFIG_HOME"/offsite/state/*.json)
[[ -f ${state[0]} && $(stat -c %a "${state[0]}") == 600 ]] || fail "no 0600 state file"
offsite "${repo[@]}" snapshots >/dev/null 2>"$WORK/ok.err"
[[ ! -s $WORK/ok.err ]] || fail "warnings before any rollback: $(cat "$WORK/ok.err")"

# The storage goes back to the older copy.
rm -rf "$WORK/repo"
cp -a "$WORK/repo-copy" "$WORK/repo"

offsite "${repo[@]}" snapshots >/dev/null 2>"$WORK/rolled.err" ||
  fail "snapshots failed after the rollback"
grep -q "possible rollback" "$WORK/rolled.err" || fail "no warning: $(cat "$WORK/rolled.err")"
grep -q "${newest:0:8}" "$WORK/rolled.err" || fail "the lost snapshot is not named"
offsite "${repo[@]}" --json snapshots >"$WORK/rolled.json" 2>/dev/null
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); r=d["rollback"]
assert len(r) == 1 and r[0]["host"] == "h1" and r[0]["seen_id"] == sys.argv[2], d
assert not r[0]["accepted"], d' "$WORK/rolled.json" "$newest" ||
  fail "snapshots JSON: $(cat "$WORK/rolled.json")"

printf 'three\n' >"$WORK/data/file.txt"
before=$(count)
expect_exit 8 backup 2>"$WORK/refused.err"
grep -q "possible rollback" "$WORK/refused.err" || fail "backup: $(cat "$WORK/refused.err")"
grep -q -- "--accept-rollback" "$WORK/refused.err" || fail "no way out named"
[[ $(count) == "$before" ]] || fail "the refused backup saved a snapshot"
expect_exit 8 offsite "${repo[@]}" --json backup --host h1 "$WORK/data" >"$WORK/refused.json" 2>/dev/null
python3 -c 'import json,sys; d=[json.loads(l) for l in open(sys.argv[1])][-1]
assert d["type"] == "error" and d["code"] == "integrity_error", d' "$WORK/refused.json" ||
  fail "backup JSON: $(cat "$WORK/refused.json")"

# Accepted once, backups go on.
backup --accept-rollback >/dev/null 2>"$WORK/accept.err" || fail "--accept-rollback refused"
grep -q "accepted" "$WORK/accept.err" || fail "acceptance not said: $(cat "$WORK/accept.err")"
backup >/dev/null 2>"$WORK/after.err" || fail "backup after acceptance: $(cat "$WORK/after.err")"
offsite "${repo[@]}" snapshots >/dev/null 2>"$WORK/after.err"
[[ ! -s $WORK/after.err ]] || fail "warnings after acceptance: $(cat "$WORK/after.err")"

latest_id() {
  offsite "$@" "${repo[@]}" --json snapshots |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["snapshots"][-1]["id"])'
}

# This client forgets its own newest snapshot: no rollback.
offsite "${repo[@]}" forget "$(latest_id)" >/dev/null
backup >/dev/null 2>"$WORK/own.err" || fail "backup after our own forget: $(cat "$WORK/own.err")"

# Another machine forgets by policy: the newest is kept, no rollback.
offsite "${other[@]}" "${repo[@]}" forget --keep-last 1 >/dev/null
offsite "${repo[@]}" snapshots >/dev/null 2>"$WORK/policy.err"
[[ ! -s $WORK/policy.err ]] || fail "a forget elsewhere by policy: $(cat "$WORK/policy.err")"
backup >/dev/null || fail "backup after a forget elsewhere by policy"

# Another machine forgets our newest snapshot by ID: reported until accepted.
offsite "${other[@]}" "${repo[@]}" forget "$(latest_id "${other[@]}")" >/dev/null
expect_exit 8 backup 2>/dev/null
offsite "${repo[@]}" snapshots --accept-rollback >/dev/null 2>/dev/null
backup >/dev/null || fail "backup after snapshots --accept-rollback"

# A damaged newest snapshot is damage, not a rollback.
newest=$(latest_id)
python3 - "$WORK/repo/snapshots/$newest" <<'EOF'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
data[len(data) // 2] ^= 0x01
open(sys.argv[1], "wb").write(bytes(data))
EOF
offsite "${repo[@]}" snapshots >/dev/null 2>"$WORK/damaged.err"
grep -q "damaged snapshot $newest" "$WORK/damaged.err" || fail "damage not named"
grep -q "possible rollback" "$WORK/damaged.err" && fail "damage reported as a rollback"
backup >/dev/null 2>&1 || fail "backup refused over a damaged snapshot"
echo "ok"
