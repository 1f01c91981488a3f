#!/usr/bin/env bash
# snapshots --group-by and --compact, and stats per snapshot and by restic's
# modes, through a data-centre pair: groups under a heading, --latest per
# group, a "groups" array in JSON; --compact leaves out the Paths column;
# stats counts only the snapshots chosen.
source "$(dirname "$0")/lib.sh"

start_pair 127.239.112.179 127.239.113.179
cfg=(--config-dir "$WORK/cfg")
offsite "${cfg[@]}" register "${REGISTER_ARGS[@]}" >/dev/null
mkdir -p "$WORK/docs" "$WORK/pics"
echo a >"$WORK/docs/a"
echo b >"$WORK/pics/b"
offsite "${cfg[@]}" backup --time '2026-01-01 10:00:00' "$WORK/docs" >/dev/null
offsite "${cfg[@]}" backup --time '2026-01-02 10:00:00' "$WORK/docs" >/dev/null
offsite "${cfg[@]}" backup --time '2026-01-03 10:00:00' --tag photos "$WORK/pics" >/dev/null
offsite "${cfg[@]}" backup --time '2026-01-04 10:00:00' --host other "$WORK/docs" >/dev/null

offsite "${cfg[@]}" snapshots --group-by paths --latest 1 >"$WORK/grouped.txt"
grep -qx "snapshots of paths $WORK/docs:" "$WORK/grouped.txt" || fail "no docs heading: $(cat "$WORK/grouped.txt")"
grep -qx "snapshots of paths $WORK/pics:" "$WORK/grouped.txt" || fail "no pics heading: $(cat "$WORK/grouped.txt")"
# --latest 1 per group: the newest docs snapshot (host other) and the pics one.
grep -q "2026-01-04 10:00:00  other" "$WORK/grouped.txt" || fail "newest docs: $(cat "$WORK/grouped.txt")"
grep -q "2026-01-02" "$WORK/grouped.txt" && fail "--latest is not per group: $(cat "$WORK/grouped.txt")"
tail -n 1 "$WORK/grouped.txt" | grep -qx "2 snapshots" || fail "count: $(cat "$WORK/grouped.txt")"

offsite "${cfg[@]}" --json snapshots --group-by host,tags >"$WORK/grouped.json"
python3 - "$WORK/grouped.json" <<'PY' || fail "groups JSON: $(cat "$WORK/grouped.json")"
import json, sys
doc = json.load(open(sys.argv[1]))
groups = doc["groups"]
keys = [(g["host"], tuple(g["tags"]), g["paths"], len(g["snapshots"])) for g in groups]
assert len(doc["snapshots"]) == 4, doc
assert ("other", (), None, 1) in keys, keys
assert sum(n for *_, n in keys) == 4 and len(keys) == 3, keys
# each group's IDs oldest first
for g in groups:
    times = [s["time"] for s in doc["snapshots"] if s["id"] in g["snapshots"]]
    assert times == sorted(times), g
PY
offsite "${cfg[@]}" --json snapshots | python3 -c 'import json,sys; assert "groups" not in json.load(sys.stdin)' ||
  fail "groups without --group-by"

offsite "${cfg[@]}" snapshots --compact >"$WORK/compact.txt"
head -n 1 "$WORK/compact.txt" | grep -qE '^ID +Time +Host +Tags$' || fail "compact header: $(cat "$WORK/compact.txt")"
grep -q "$WORK/docs" "$WORK/compact.txt" && fail "--compact shows paths: $(cat "$WORK/compact.txt")"
offsite "${cfg[@]}" snapshots -c | grep -q "photos" || fail "-c lost the tags"

expect_exit 2 offsite "${cfg[@]}" snapshots --group-by hostname

# stats: the newest snapshot alone (docs/a, 2 bytes), one host, every snapshot.
offsite "${cfg[@]}" --json stats latest --mode restore-size >"$WORK/stats1.json"
python3 - "$WORK/stats1.json" <<'PY' || fail "stats latest: $(cat "$WORK/stats1.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["mode"] == "restore-size" and d["snapshots"] == 1, d
assert d["total_file_count"] == 1 and d["total_size"] == 2, d
PY
offsite "${cfg[@]}" --json stats --host other | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["snapshots"]==1 and "mode" not in d, d' ||
  fail "stats --host other"
offsite "${cfg[@]}" --json stats --mode raw-data >"$WORK/stats2.json"
python3 - "$WORK/stats2.json" <<'PY' || fail "stats raw-data: $(cat "$WORK/stats2.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["snapshots"] == 4 and d["data_blobs"] == 2, d
assert d["total_blob_count"] == d["data_blobs"] + d["tree_blobs"], d
assert 0 < d["total_size"] == d["blobs_stored_size"] and d["total_uncompressed_size"] >= 4, d
PY
offsite "${cfg[@]}" stats --mode restore-size >"$WORK/stats.txt"
grep -qE '^Total file count: +4$' "$WORK/stats.txt" || fail "stats text: $(cat "$WORK/stats.txt")"
expect_exit 2 offsite "${cfg[@]}" stats --mode files-by-contents
expect_exit 9 offsite "${cfg[@]}" stats deadbeef
echo ok
