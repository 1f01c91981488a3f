#!/usr/bin/env bash
# "backup DIR", "backup DIR/", "backup DIR/." and "backup ./DIR" (from
# another directory) are one backup: the same snapshot paths, the earlier
# snapshot found as the parent, and, with an empty files cache each time,
# no file read again (the parent's trees say the files are unchanged).
# --path filters compare the same way.
source "$(dirname "$0")/lib.sh"

repo=(--repo "$WORK/repo")
mkdir -p "$WORK/data/sub" "$WORK/elsewhere"
head -c 300000 /dev/urandom >"$WORK/data/big.bin"
printf 'one\n' >"$WORK/data/one.txt"
printf 'two\n' >"$WORK/data/sub/two.txt"

offsite "${repo[@]}" init >/dev/null

# backup_json NAME SPELLING [CWD]: backs up with a fresh, empty cache directory.
backup_json() {
  local name=$1 spelling=$2 cwd=${3:-$WORK}
  (cd "$cwd" && offsite "${repo[@]}" --cache-dir "$WORK/cache-$name" --json backup "$spelling") \
    >"$WORK/$name.json"
}

backup_json plain "$WORK/data"
backup_json slash "$WORK/data/"
backup_json dot "$WORK/data/."
backup_json relative ./data "$WORK"
backup_json dotdot ../data/sub/.. "$WORK/elsewhere"
offsite "${repo[@]}" --json snapshots >"$WORK/snapshots.json"

python3 - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
summaries = {}
for name in ["plain", "slash", "dot", "relative", "dotdot"]:
    lines = [json.loads(l) for l in open(f"{work}/{name}.json")]
    summaries[name] = lines[-1]
    assert lines[-1]["type"] == "summary", lines[-1]
first = summaries["plain"]
assert first["files_new"] == 3 and first["bytes_read"] > 300000, first
snapshots = {s["id"]: s for s in json.load(open(f"{work}/snapshots.json"))["snapshots"]}
assert len(snapshots) == 5, snapshots.keys()
previous = first["snapshot_id"]
for name in ["slash", "dot", "relative", "dotdot"]:
    s = summaries[name]
    # The files cache was empty: only the parent snapshot can spare the reads.
    assert s["files_new"] == 0 and s["files_changed"] == 0, (name, s)
    assert s["files_unmodified"] == 3, (name, s)
    assert s["bytes_read"] == 0 and s["data_blobs_new"] == 0, (name, s)
    snap = snapshots[s["snapshot_id"]]
    assert snap["paths"] == [f"{work}/data"], (name, snap["paths"])
    assert snap.get("parent") == previous, (name, snap.get("parent"), previous)
    previous = s["snapshot_id"]
assert "parent" not in snapshots[first["snapshot_id"]], snapshots[first["snapshot_id"]]
PY

# --path is compared as backup records paths.
count() { offsite "${repo[@]}" --json snapshots "$@" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["snapshots"]))'; }
[[ $(count --path "$WORK/data/") == 5 ]] || fail "--path DIR/ does not match"
[[ $(cd "$WORK" && count --path data/.) == 5 ]] || fail "--path data/. from the parent directory"
[[ $(count --path "$WORK/data/sub") == 0 ]] || fail "--path of a directory that was not given"
echo ok
