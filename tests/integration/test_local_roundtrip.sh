#!/usr/bin/env bash
# A local repository round trip of every file kind and hostile names:
# restore is byte-identical with equal metadata, and a second backup of the
# unchanged tree reads no file content and stores no data blob.
source "$(dirname "$0")/lib.sh"

export TZ=UTC
repo=(--repo "$WORK/repo")
make_tree "$WORK/data"
# A file whose every column "ls -l" shows is known.
printf 'twelve bytes' >"$WORK/data/known.txt"
chmod 0640 "$WORK/data/known.txt"
touch -d '2020-02-29 13:14:15' "$WORK/data/known.txt"

offsite "${repo[@]}" init >/dev/null
offsite "${repo[@]}" --json backup "$WORK/data" >"$WORK/first.json"
python3 - "$WORK/first.json" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert all("type" in l for l in lines), lines
summary = lines[-1]
assert summary["type"] == "summary" and summary["partial"] is False, summary
assert summary["files_new"] >= 10 and summary["data_blobs_new"] > 0, summary
PY

# Restore and compare everything a user would check.
offsite "${repo[@]}" restore latest --target "$WORK/restore" --verify
compare_trees "$WORK/data" "$WORK/restore$WORK/data"
# Sparse holes come back as holes.
blocks=$(stat -c %b "$WORK/restore$WORK/data/sparse.img")
(( blocks * 512 < 10 * 1024 * 1024 / 2 )) || fail "sparse.img restored without holes ($blocks blocks)"

# Unchanged re-backup: nothing read, nothing new stored.
offsite "${repo[@]}" --json backup "$WORK/data" >"$WORK/second.json"
python3 - "$WORK/second.json" <<'PY'
import json, sys
summary = [json.loads(l) for l in open(sys.argv[1])][-1]
assert summary["bytes_read"] == 0, summary
assert summary["data_blobs_new"] == 0, summary
assert summary["files_new"] == 0 and summary["files_changed"] == 0, summary
PY

# Two snapshots, listed by the CLI and as JSON.
offsite "${repo[@]}" snapshots | grep -q '^2 snapshots$' || fail "expected 2 snapshots"
offsite "${repo[@]}" --json snapshots | python3 -c '
import json, sys
doc = json.load(sys.stdin)
assert doc["type"] == "snapshots" and len(doc["snapshots"]) == 2, doc'

# ls shows hostile names escaped, one per line.
offsite "${repo[@]}" ls latest "$WORK/data" | grep -qF 'invalid-utf8-\xff\xfe' || fail "ls escaping"

# ls -l / --long: mode, owner, group, size, modification time, path.
offsite "${repo[@]}" ls -l -R latest "$WORK/data" >"$WORK/ls-long"
offsite "${repo[@]}" ls --long --recursive latest "$WORK/data" | cmp -s - "$WORK/ls-long" ||
  fail "ls --long differs from ls -l"
# long_line PATH: the fields of PATH's line.
long_line() {
  awk -v p="$1" '{ i = index($0, " " p); e = i + length(p)
    if (i && (e == length($0) || substr($0, e + 1, 4) == " -> ")) print }' "$WORK/ls-long"
}
read -r mode user group size day clock path <<<"$(long_line "$WORK/data/known.txt")"
[[ $mode == -rw-r----- && $user == "$(id -un)" && $group == "$(id -gn)" && $size == 12 &&
  "$day $clock" == "2020-02-29 13:14:15" && $path == "$WORK/data/known.txt" ]] ||
  fail "ls -l known.txt: $(long_line "$WORK/data/known.txt")"
read -r mode _ _ size _ _ _ <<<"$(long_line "$WORK/data/hello.txt")"
[[ $mode == -rwsr-xr-x && $size == 14 ]] || fail "ls -l hello.txt (setuid): $(long_line "$WORK/data/hello.txt")"
read -r mode _ _ _ day clock _ <<<"$(long_line "$WORK/data/sub/deeper/text.txt")"
[[ "$day $clock" == "1999-12-31 23:59:59" ]] || fail "ls -l text.txt time: $day $clock"
read -r mode _ <<<"$(long_line "$WORK/data/sub")"
[[ $mode == drwxr-x--x ]] || fail "ls -l sub: $(long_line "$WORK/data/sub")"
line=$(long_line "$WORK/data/link-to-hello")
[[ $line == lrwxrwxrwx*" $WORK/data/link-to-hello -> hello.txt" ]] || fail "ls -l symlink: $line"
# One file named: its line alone.
offsite "${repo[@]}" ls -l latest "$WORK/data/known.txt" >"$WORK/ls-one"
[[ $(wc -l <"$WORK/ls-one") == 1 ]] && grep -q '^-rw-r----- .* 12 2020-02-29 13:14:15 ' "$WORK/ls-one" ||
  fail "ls -l of one file: $(cat "$WORK/ls-one")"

# Sub-path restore puts the last component under the target.
offsite "${repo[@]}" restore "latest:$WORK/data/sub" --target "$WORK/sub-restore"
cmp "$WORK/data/sub/random.bin" "$WORK/sub-restore/sub/random.bin"

# stdin backup round trip.
head -c 1000000 /dev/urandom >"$WORK/stream"
offsite "${repo[@]}" backup --stdin --stdin-filename dump.sql <"$WORK/stream"
offsite "${repo[@]}" restore latest --target "$WORK/stdin-restore"
cmp "$WORK/stream" "$WORK/stdin-restore/dump.sql"
echo "ok"
