#!/usr/bin/env bash
# offsite find through a data-centre pair (issue 18): a name present in 3 of
# 5 snapshots is reported in exactly those, as text (grouped by snapshot,
# with size) and as JSON (the fields offsite(1) documents); path patterns,
# --snapshot, --newest/--oldest and --long narrow or widen it; a pattern
# that matches nothing is no error; an unknown snapshot and a bad time are.
source "$(dirname "$0")/lib.sh"
export TZ=UTC

start_pair 127.239.112.46 127.239.113.46
cfg=(--config-dir "$WORK/cfg")
offsite "${cfg[@]}" register "${REGISTER_ARGS[@]}" >/dev/null
data=$WORK/data
mkdir -p "$data/docs" "$data/keep"
printf 'always here\n' >"$data/keep/a.txt"
touch -d '2020-01-01 00:00:00' "$data/keep/a.txt"
ids=()
for i in 0 1 2 3 4; do
  case $i in
  1 | 2 | 4)
    printf 'report %s\n' "$i" >"$data/docs/report.pdf" # 9 bytes
    touch -d "2024-0$((i + 1))-01 00:00:00" "$data/docs/report.pdf"
    ;;
  *) rm -f "$data/docs/report.pdf" ;;
  esac
  offsite "${cfg[@]}" backup --time "2024-06-0$((i + 1)) 10:00:00" "$data" >/dev/null 2>&1 ||
    fail "backup $i"
  ids+=("$(offsite "${cfg[@]}" --json snapshots --latest 1 |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["snapshots"][0]["id"])')")
done

# Text: exactly snapshots 1, 2 and 4, each with the file's size and path.
offsite "${cfg[@]}" find '*.pdf' >"$WORK/find.txt" || fail "find exited $?"
for i in 1 2 4; do
  grep -q "^Found matching entries in snapshot ${ids[$i]:0:8} " "$WORK/find.txt" ||
    fail "snapshot $i not reported: $(cat "$WORK/find.txt")"
done
for i in 0 3; do
  ! grep -q "${ids[$i]:0:8}" "$WORK/find.txt" || fail "snapshot $i reported: $(cat "$WORK/find.txt")"
done
[[ $(grep -c "^ *9  .*  $data/docs/report.pdf\$" "$WORK/find.txt") == 3 ]] ||
  fail "expected 3 lines with size and path: $(cat "$WORK/find.txt")"
tail -n 1 "$WORK/find.txt" | grep -qx '3 matches in 3 of 5 snapshots' ||
  fail "summary line: $(tail -n 1 "$WORK/find.txt")"

# JSON: the same three snapshots, with the documented fields.
offsite "${cfg[@]}" --json find '*.pdf' >"$WORK/find.json"
python3 - "$WORK/find.json" "$data" "${ids[1]}" "${ids[2]}" "${ids[4]}" <<'PY' || fail "find --json"
import json, sys
doc = json.load(open(sys.argv[1]))
data, want = sys.argv[2], sys.argv[3:]
assert doc["type"] == "find" and doc["schema"] == 1, doc
assert doc["patterns"] == ["*.pdf"], doc
assert doc["snapshots_searched"] == 5 and doc["matches_total"] == 3, doc
assert [s["id"] for s in doc["snapshots"]] == want, doc
for s in doc["snapshots"]:
    assert s["short_id"] == s["id"][:8] and s["time"] and s["host"] and s["paths"] == [data], s
    [m] = s["matches"]
    assert m["path"] == data + "/docs/report.pdf", m
    assert m["type"] == "file" and m["size"] == 9 and m["mtime"].startswith("2024-0"), m
    for k in ("mode", "user", "group"):
        assert k in m, m
# Five snapshots share keep/ (and so its tree): each tree is read once.
assert doc["trees_loaded"] < 5 * 6, doc
PY

# A path pattern; a directory matches itself, not what is below it.
offsite "${cfg[@]}" --json find "$data/keep/*" 'docs' >"$WORK/path.json"
python3 - "$WORK/path.json" "$data" <<'PY' || fail "path patterns"
import json, sys
doc = json.load(open(sys.argv[1]))
data = sys.argv[2]
assert len(doc["snapshots"]) == 5, doc
for s in doc["snapshots"]:
    assert sorted(m["path"] for m in s["matches"]) == [data + "/docs", data + "/keep/a.txt"], s
PY

# --snapshot narrows; --newest/--oldest filter on the entry's mtime; --long.
offsite "${cfg[@]}" --json find --snapshot "${ids[2]:0:8}" --snapshot "${ids[3]}" '*.pdf' \
  >"$WORK/one.json"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["snapshots_searched"] == 2 and [s["id"] for s in d["snapshots"]] == [sys.argv[2]], d
' "$WORK/one.json" "${ids[2]}" || fail "--snapshot"
offsite "${cfg[@]}" --json find --oldest 2024-02-15 --newest 2024-04-01 report.pdf >"$WORK/time.json"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert [s["id"] for s in d["snapshots"]] == [sys.argv[2]], d
' "$WORK/time.json" "${ids[2]}" || fail "--newest/--oldest"
offsite "${cfg[@]}" find --long --snapshot latest a.txt | grep -q '^-rw' || fail "--long shows no mode"

# Nothing found is not an error; bad input is.
offsite "${cfg[@]}" find 'no-such-*' | tail -n 1 | grep -qx '0 matches in 0 of 5 snapshots' ||
  fail "no match"
expect_exit 9 offsite "${cfg[@]}" find --snapshot deadbeef '*.pdf'
expect_exit 2 offsite "${cfg[@]}" find --newest yesterday '*.pdf'
expect_exit 2 offsite "${cfg[@]}" find

# snapshots ID...: only those (full ID, prefix, latest), each once; unknown fails.
offsite "${cfg[@]}" --json snapshots "${ids[3]}" "${ids[1]:0:8}" latest "${ids[1]}" \
  >"$WORK/some.json"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert [s["id"] for s in d["snapshots"]] == sys.argv[2:], d
' "$WORK/some.json" "${ids[1]}" "${ids[3]}" "${ids[4]}" || fail "snapshots ID..."
[[ $(offsite "${cfg[@]}" snapshots "${ids[2]:0:8}" | tail -n 1) == "1 snapshot" ]] ||
  fail "snapshots PREFIX text"
expect_exit 9 offsite "${cfg[@]}" snapshots "${ids[0]}" deadbeef
echo "ok"
