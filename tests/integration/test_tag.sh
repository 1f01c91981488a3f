#!/usr/bin/env bash
# tag through a data-centre pair, as restic's: --add, --remove and --set
# write a new snapshot (same tree and time, "original" naming the first) and
# remove the old; rollback detection is not fooled; bad uses are usage errors.
source "$(dirname "$0")/lib.sh"

start_pair 127.239.112.180 127.239.113.180
cfg=(--config-dir "$WORK/cfg")
offsite "${cfg[@]}" register "${REGISTER_ARGS[@]}" >/dev/null
mkdir -p "$WORK/src"
echo data >"$WORK/src/f"
offsite "${cfg[@]}" backup --tag draft "$WORK/src" >/dev/null
offsite "${cfg[@]}" backup --tag draft,old "$WORK/src" >/dev/null
snaps() { offsite "${cfg[@]}" --json snapshots; }
first=$(snaps | python3 -c 'import json,sys; print(json.load(sys.stdin)["snapshots"][0]["id"])')

offsite "${cfg[@]}" --json tag --add keep --remove draft "${first:0:8}" >"$WORK/tag1.json"
python3 - "$WORK/tag1.json" "$first" <<'PY' || fail "tag: $(cat "$WORK/tag1.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["type"] == "tag" and d["unchanged"] == 0 and len(d["changed"]) == 1, d
c = d["changed"][0]
assert c["old_id"] == sys.argv[2] and c["new_id"] != c["old_id"] and c["tags"] == ["keep"], d
PY
new=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["changed"][0]["new_id"])' "$WORK/tag1.json")
snaps >"$WORK/after.json"
python3 - "$WORK/after.json" "$first" "$new" <<'PY' || fail "after tag: $(cat "$WORK/after.json")"
import json, sys
d = json.load(open(sys.argv[1]))
ids = [s["id"] for s in d["snapshots"]]
assert sys.argv[2] not in ids and sys.argv[3] in ids and len(ids) == 2, ids
s = [s for s in d["snapshots"] if s["id"] == sys.argv[3]][0]
assert s["original"] == sys.argv[2] and s["tags"] == ["keep"], s
PY
# The retagged snapshot restores what it held.
offsite "${cfg[@]}" restore "${new:0:8}" --target "$WORK/r" >/dev/null
cmp "$WORK/src/f" "$WORK/r$WORK/src/f" || fail "the retagged snapshot restores other bytes"

# --set on every snapshot with tag "old" (the newest): no rollback warning
# after, though the newest snapshot's ID changed; a second --set changes nothing.
offsite "${cfg[@]}" tag --tag old --set weekly >/dev/null 2>"$WORK/set.err"
offsite "${cfg[@]}" snapshots >/dev/null 2>"$WORK/snaps.err"
grep -qi "rolled back\|rollback" "$WORK/snaps.err" "$WORK/set.err" && fail "tag looked like a rollback: $(cat "$WORK/snaps.err")"
offsite "${cfg[@]}" --json tag --set weekly latest | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["unchanged"]==1 and d["changed"]==[], d' ||
  fail "an unchanged --set wrote a snapshot"
offsite "${cfg[@]}" backup "$WORK/src" >/dev/null 2>"$WORK/backup.err" || fail "backup after tag: $(cat "$WORK/backup.err")"

# Tags given out of order are the same tags: nothing to change.
offsite "${cfg[@]}" backup --tag b --tag a "$WORK/src" >/dev/null
offsite "${cfg[@]}" --json tag --add a latest | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["unchanged"]==1 and d["changed"]==[], d' ||
  fail "tags in another order were rewritten"

expect_exit 2 offsite "${cfg[@]}" tag latest
expect_exit 2 offsite "${cfg[@]}" tag --set a --add b latest
expect_exit 2 offsite "${cfg[@]}" tag --add x
expect_exit 9 offsite "${cfg[@]}" tag --add x deadbeef
echo ok
