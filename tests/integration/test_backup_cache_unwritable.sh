#!/usr/bin/env bash
# The command's outcome is what happened: a backup whose files cache cannot
# be written (the cache directory is not a directory; root ignores modes, so
# a read-only directory would not do) still saves its snapshot, warns once,
# and exits 0; the snapshot restores byte-identical.
source "$(dirname "$0")/lib.sh"

repo=(--repo "$WORK/repo")
make_tree "$WORK/data"
offsite "${repo[@]}" init >/dev/null
printf 'not a directory\n' >"$WORK/cache-file"

status=0
offsite "${repo[@]}" --cache-dir "$WORK/cache-file" backup "$WORK/data" \
  >"$WORK/backup.out" 2>"$WORK/backup.err" || status=$?
[[ $status == 0 ]] || fail "backup exited $status when only its cache failed: $(cat "$WORK/backup.err")"
warnings=$(grep -c "could not save the files cache" "$WORK/backup.err" || true)
[[ $warnings == 1 ]] || fail "expected one warning about the cache, got $warnings: $(cat "$WORK/backup.err")"

# JSON: the summary, no error object, exit 0.
offsite "${repo[@]}" --cache-dir "$WORK/cache-file" --json backup "$WORK/data" \
  >"$WORK/backup.json" 2>"$WORK/backup-json.err" ||
  fail "backup --json failed when only its cache failed: $(cat "$WORK/backup-json.err")"
python3 - "$WORK/backup.json" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert lines[-1]["type"] == "summary", lines[-1]
assert not any(l["type"] == "error" for l in lines), lines
PY

offsite "${repo[@]}" --json snapshots >"$WORK/snapshots.json"
python3 -c 'import json, sys; s = json.load(open(sys.argv[1]))["snapshots"]; assert len(s) == 2, s' \
  "$WORK/snapshots.json" || fail "expected the two snapshots: $(cat "$WORK/snapshots.json")"
offsite "${repo[@]}" restore latest --target "$WORK/restore" >/dev/null 2>"$WORK/restore.err" ||
  fail "restore failed: $(cat "$WORK/restore.err")"
compare_trees "$WORK/data" "$WORK/restore$WORK/data"
echo ok
