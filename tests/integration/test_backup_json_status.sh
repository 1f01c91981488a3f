#!/usr/bin/env bash
# backup --json status events carry the totals and a percentage, as
# restic's do (total_files, total_bytes, percent_done), not only on a
# terminal: scripts and GUIs wrapping offsite show a progress bar from them.
source "$(dirname "$0")/lib.sh"

repo=(--repo "$WORK/repo")
data=$WORK/data
mkdir -p "$data"
for i in $(seq 300); do head -c 20000 /dev/urandom >"$data/file$i"; done
offsite "${repo[@]}" init >/dev/null
offsite "${repo[@]}" --json backup "$data" >"$WORK/out.jsonl"

python3 - "$WORK/out.jsonl" <<'PY' || fail "status events: $(head -c 2000 "$WORK/out.jsonl")"
import json, sys
events = [json.loads(line) for line in open(sys.argv[1])]
status = [e for e in events if e["type"] == "status"]
assert status, "no status event"
for e in status:
    for field in ("total_files", "total_bytes", "percent_done", "scan_done", "files_done",
                  "bytes_done"):
        assert field in e, (field, e)
    assert e["total_files"] >= e["files_done"], e
    assert e["total_bytes"] >= e["bytes_done"], e
    assert 0 <= e["percent_done"] <= 100, e
    if e["scan_done"]:
        assert e["total_files"] == 300 and e["total_bytes"] == 300 * 20000, e
assert events[-1]["type"] == "summary", events[-1]
PY

# --stdin has nothing to count: no totals, still status events' own fields.
head -c 100000 /dev/urandom | offsite "${repo[@]}" --json backup --stdin >"$WORK/stdin.jsonl"
python3 - "$WORK/stdin.jsonl" <<'PY' || fail "stdin status: $(cat "$WORK/stdin.jsonl")"
import json, sys
for e in map(json.loads, open(sys.argv[1])):
    if e["type"] == "status":
        assert "total_files" not in e and "files_done" in e, e
PY
echo ok
