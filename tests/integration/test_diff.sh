#!/usr/bin/env bash
# diff names exactly what changed between two snapshots: added, removed,
# content changed (even at the same size and mtime), metadata only, type
# changed; as text and as JSON with counts and bytes. Snapshot references
# take the shared filters: "latest --host web1" skips a newer web2 snapshot,
# and ls, restore and snapshots agree on what the filters select. diff is
# all client side, so a local repository serves (the server pair of this
# scenario family is test_forget_retention's).
source "$(dirname "$0")/lib.sh"
export TZ=UTC

repo=(--repo "$WORK/repo")
DATA=$WORK/src/data
mkdir -p "$WORK/out" "$DATA/a" "$DATA/b" "$DATA/gone/deep"
printf 'one\n' >"$DATA/a/file1"
printf 'two two\n' >"$DATA/a/file2"
printf 'x\n' >"$DATA/b/x"
printf 'gone file\n' >"$DATA/gone/deep/f"
printf 'meta\n' >"$DATA/meta.txt"
printf 'was a file\n' >"$DATA/typechg"
chmod 644 "$DATA/meta.txt"
# Directory times are pinned, so a directory shows up only when it should.
pin_dirs() { find "$DATA" -type d -exec touch -d '2024-01-01 00:00:00' {} +; }
pin_dirs
touch -d '2024-01-02 00:00:00' "$DATA/a/file1" "$DATA/b/x"

offsite "${repo[@]}" init >/dev/null
offsite "${repo[@]}" backup --host web1 --tag nightly --tag db --time "2024-03-01 10:00:00" \
  "$DATA" >/dev/null

# The changes, one of each kind.
printf 'ONE\n' >"$DATA/a/file1" # same size and mtime, other content: M
touch -d '2024-01-02 00:00:00' "$DATA/a/file1"
rm "$DATA/a/file2"                          # -
rm -r "$DATA/gone"                          # - for the directory and all below
chmod 600 "$DATA/meta.txt"                  # U (mode)
touch -d '2024-02-02 00:00:00' "$DATA/b/x"  # U (mtime)
printf 'brand new file\n' >"$DATA/new.txt"  # +
mkdir "$DATA/newdir"
printf 'n1 content\n' >"$DATA/newdir/n1"    # + directory and file
rm "$DATA/typechg"
mkdir "$DATA/typechg"                       # T, and + for what is inside
printf 'inside!\n' >"$DATA/typechg/inside"
pin_dirs
offsite "${repo[@]}" backup --host web1 --tag nightly --time "2024-03-02 10:00:00" \
  "$DATA" >/dev/null
# A newer snapshot of another host, which "latest --host web1" must skip.
printf 'web2 only\n' >"$DATA/web2.txt"
offsite "${repo[@]}" backup --host web2 --tag db --time "2024-03-03 10:00:00" "$DATA" >/dev/null

offsite "${repo[@]}" --json snapshots >"$WORK/out/snapshots.json"
ids=($(python3 -c '
import json, sys
for s in json.load(open(sys.argv[1]))["snapshots"]: print(s["id"])' "$WORK/out/snapshots.json"))
[[ ${#ids[@]} == 3 ]] || fail "expected 3 snapshots, got ${#ids[@]}"
s1=${ids[0]} s2=${ids[1]}

expected="M    $DATA/a/file1
-    $DATA/a/file2
U    $DATA/b/x
-    $DATA/gone/
-    $DATA/gone/deep/
-    $DATA/gone/deep/f
U    $DATA/meta.txt
+    $DATA/new.txt
+    $DATA/newdir/
+    $DATA/newdir/n1
T    $DATA/typechg/
+    $DATA/typechg/inside"

# Text: exactly these lines under the data directory. Its ancestors (/tmp)
# may change under a running system, and then only as metadata.
check_text() {
  local got
  got=$(grep -F " $DATA/" "$1" || true)
  [[ $got == "$expected" ]] || fail "diff lines differ from expected:
$got"
  if grep -E '^[-+MUT] ' "$1" | grep -vF " $DATA/" | grep -v '^U '; then
    fail "an ancestor of the data changed more than metadata"
  fi
  grep -q '^Files:  3 new, 2 removed, 1 changed$' "$1" || fail "file counts: $(cat "$1")"
  grep -q '^Dirs:   1 new, 2 removed$' "$1" || fail "dir counts: $(cat "$1")"
  grep -q '^Added:   38 B$' "$1" || fail "bytes added: $(cat "$1")"
  grep -q '^Removed: 33 B$' "$1" || fail "bytes removed: $(cat "$1")"
}
offsite "${repo[@]}" diff "${s1:0:8}" "$s2" >"$WORK/out/diff.txt"
check_text "$WORK/out/diff.txt"

# "latest --host web1" is s2, although web2's snapshot is newer.
offsite "${repo[@]}" diff "$s1" latest --host web1 >"$WORK/out/diff-latest.txt"
check_text "$WORK/out/diff-latest.txt"
offsite "${repo[@]}" diff "$s1" latest >"$WORK/out/diff-web2.txt"
grep -qxF "+    $DATA/web2.txt" "$WORK/out/diff-web2.txt" || fail "plain latest is not web2's"
grep -qF "web2.txt" "$WORK/out/diff-latest.txt" && fail "latest --host web1 took web2's snapshot"

# JSON: one document with the lists, the counts and the bytes.
offsite "${repo[@]}" --json diff "$s1" latest --host web1 >"$WORK/out/diff.json"
python3 - "$WORK/out/diff.json" "$DATA" "$s1" "$s2" <<'PY'
import json, sys
path, data, s1, s2 = sys.argv[1:5]
lines = open(path).read().splitlines()
assert len(lines) == 1, lines
doc = json.loads(lines[0])
assert doc["type"] == "diff" and doc["snapshot_1"] == s1 and doc["snapshot_2"] == s2, doc
def under(name):
    return sorted((e["path"][len(data):], e["node_type"]) for e in doc[name]
                  if e["path"].startswith(data + "/"))
assert under("added") == [("/new.txt", "file"), ("/newdir", "dir"), ("/newdir/n1", "file"),
                          ("/typechg/inside", "file")], doc["added"]
assert under("removed") == [("/a/file2", "file"), ("/gone", "dir"), ("/gone/deep", "dir"),
                            ("/gone/deep/f", "file")], doc["removed"]
assert under("modified") == [("/a/file1", "file")], doc["modified"]
assert under("metadata") == [("/b/x", "file"), ("/meta.txt", "file")], doc["metadata"]
assert under("type_changed") == [("/typechg", "dir")], doc["type_changed"]
for name in ("added", "removed", "modified", "type_changed"):
    assert all(e["path"].startswith(data + "/") for e in doc[name]), (name, doc[name])
ancestors = [e for e in doc["metadata"] if not e["path"].startswith(data + "/")]
assert all(data.startswith(e["path"] + "/") for e in ancestors), ancestors
c = doc["counts"]
assert c["added"] == {"files": 3, "dirs": 1, "others": 0}, c
assert c["removed"] == {"files": 2, "dirs": 2, "others": 0}, c
assert c["modified"] == 1 and c["type_changed"] == 1, c
assert c["metadata"] == 2 + len(ancestors), c
assert doc["bytes_added"] == 38 and doc["bytes_removed"] == 33, doc
PY

# A snapshot against itself: nothing, and no tree is read beyond the root.
offsite "${repo[@]}" --json diff "$s2" "$s2" | python3 -c '
import json, sys
doc = json.load(sys.stdin)
assert all(doc[k] == [] for k in ("added", "removed", "modified", "metadata", "type_changed")), doc'

# The filters select the same snapshots in every command.
count() { offsite "${repo[@]}" --json snapshots "$@" | python3 -c '
import json, sys; print(len(json.load(sys.stdin)["snapshots"]))'; }
[[ $(count --tag nightly,db) == 1 ]] || fail "--tag nightly,db must mean both tags"
[[ $(count --tag nightly --tag db) == 3 ]] || fail "--tag twice must mean either"
[[ $(count --host web1 --tag db) == 1 ]] || fail "--host web1 --tag db"
[[ $(count --host web1 --host web2) == 3 ]] || fail "--host twice must mean either"
[[ $(count --path "$DATA") == 3 ]] || fail "--path $DATA"
[[ $(count --path "$DATA/../data/") == 3 ]] || fail "--path is normalised"
[[ $(count --path /elsewhere) == 0 ]] || fail "--path /elsewhere"
offsite "${repo[@]}" ls latest --host web1 "$DATA" >"$WORK/out/ls.txt"
grep -qxF "$DATA/new.txt" "$WORK/out/ls.txt" || fail "ls latest --host web1: $(cat "$WORK/out/ls.txt")"
grep -qF web2.txt "$WORK/out/ls.txt" && fail "ls latest --host web1 listed web2's file"
offsite "${repo[@]}" restore latest --host web1 --path "$DATA" --target "$WORK/restore" >/dev/null
[[ -f $WORK/restore$DATA/new.txt && ! -e $WORK/restore$DATA/web2.txt ]] ||
  fail "restore latest --host web1 restored the wrong snapshot"

# Bad references: clear messages and the not_found / usage exit codes.
status=0
out=$(offsite "${repo[@]}" diff "$s1" latest --host nosuch 2>&1) || status=$?
[[ $status == 9 && $out == *'no snapshot matches "latest" --host nosuch'* ]] ||
  fail "latest without a match: $status $out"
status=0
out=$(offsite "${repo[@]}" diff "$s1" 0000dead 2>&1) || status=$?
[[ $status == 9 && $out == *'no snapshot matches "0000dead"'* ]] || fail "unknown ID: $status $out"
status=0
out=$(offsite "${repo[@]}" --json diff ab "$s1" 2>/dev/null) || status=$?
[[ $status == 2 ]] || fail "a two-digit prefix: exit $status"
python3 -c 'import json, sys; assert json.loads(sys.argv[1])["code"] == "usage"' "$out"
echo ok
