#!/usr/bin/env bash
# restore --dry-run and --delete (issue 18). A dry run changes nothing, not
# even creating a missing target, and its counts (new, overwritten, kept,
# deleted) equal those of the real restore that follows; -v names each
# entry. --delete removes exactly what the target holds that the snapshot
# does not, inside the restored part only: a file beside it, a file outside
# the target and the target of a symlink pointing out all survive. All
# client side, so a local repository serves.
source "$(dirname "$0")/lib.sh"

repo=(--repo "$WORK/repo")
data=$WORK/data
mkdir -p "$data/dir/sub"
printf 'alpha\n' >"$data/dir/a"
printf 'beta\n' >"$data/dir/b"
printf 'gamma\n' >"$data/dir/sub/c"
ln -s a "$data/dir/link"
offsite "${repo[@]}" init >/dev/null
offsite "${repo[@]}" backup "$data" >/dev/null 2>&1 || fail "backup"

# A target holding an older, partial copy and things the snapshot lacks.
target=$WORK/target
mkdir -p "$target/data/dir/extradir/deep" "$WORK/outside"
printf 'old alpha\n' >"$target/data/dir/a"                 # overwritten
printf 'stale\n' >"$target/data/dir/extra"                 # deleted
printf 'stale too\n' >"$target/data/dir/extradir/deep/x"   # deleted with its dirs
printf 'precious\n' >"$WORK/outside/keep"
ln -s "$WORK/outside" "$target/data/dir/out"               # deleted as a link only
printf 'beside\n' >"$target/beside.txt"                    # not in the restored part
snap() { (cd "$1" && find . -printf '%p %y %s %T@ %l\n' | sort && find . -type f -exec sha256sum {} + | sort); }
snap "$target" >"$WORK/before"
snap "$WORK/outside" >"$WORK/outside-before"

# Dry run: the counts, each entry named with -v, nothing changed.
offsite "${repo[@]}" --json -v restore "latest:$data" --target "$target" --delete --dry-run \
  >"$WORK/dry.json" || fail "dry run exited $?"
snap "$target" | cmp -s - "$WORK/before" || fail "the dry run changed the target"
python3 - "$WORK/dry.json" "$data" <<'PY' || fail "dry run summary: $(cat "$WORK/dry.json")"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
s = [l for l in lines if l["type"] == "summary"][-1]
assert s["dry_run"] is True, s
# a, b, sub/c and link; a exists: overwritten; extra, extradir, out: deleted.
assert (s["files"], s["other"], s["overwritten"], s["deleted"], s["skipped"]) == (3, 1, 1, 3, 0), s
entries = {(e["action"], e["path"]) for e in lines if e["type"] == "entry"}
d = sys.argv[2]
for want in [("overwrite", d + "/dir/a"), ("write", d + "/dir/b"), ("write", d + "/dir/link"),
             ("remove", d + "/dir/extra"), ("remove", d + "/dir/extradir"), ("remove", d + "/dir/out")]:
    assert want in entries, (want, entries)
PY
offsite "${repo[@]}" -v restore "latest:$data" --target "$target" --delete --dry-run 2>"$WORK/dry.txt" ||
  fail "text dry run"
grep -q "^remove  *$data/dir/extra\$" "$WORK/dry.txt" || fail "-v names no removal: $(cat "$WORK/dry.txt")"
grep -q "would restore 4 entries, .*: 3 new, 1 overwritten, 0 kept, 3 deleted" "$WORK/dry.txt" ||
  fail "dry-run text summary: $(cat "$WORK/dry.txt")"
snap "$target" | cmp -s - "$WORK/before" || fail "the text dry run changed the target"

# A dry run into a missing target does not create it.
offsite "${repo[@]}" --json restore latest --target "$WORK/nowhere" --dry-run >"$WORK/dry2.json"
[[ ! -e $WORK/nowhere ]] || fail "the dry run created the target"
grep -q '"overwritten":0' "$WORK/dry2.json" || fail "missing target: $(cat "$WORK/dry2.json")"

# The real restore: the same counts, exactly the extra entries gone.
offsite "${repo[@]}" --json restore "latest:$data" --target "$target" --delete >"$WORK/real.json" ||
  fail "restore --delete exited $?"
python3 - "$WORK/dry.json" "$WORK/real.json" <<'PY' || fail "dry run and restore disagree"
import json, sys
def summary(p):
    return [json.loads(l) for l in open(p) if '"summary"' in l][-1]
a, b = summary(sys.argv[1]), summary(sys.argv[2])
for k in ("files", "dirs", "other", "bytes", "skipped", "overwritten", "deleted"):
    assert a[k] == b[k], (k, a[k], b[k])
assert b["dry_run"] is False
PY
compare_trees "$data" "$target/data" || fail "restored tree differs from the original"
[[ -f $target/beside.txt ]] || fail "--delete removed an entry beside the restored part"
snap "$WORK/outside" | cmp -s - "$WORK/outside-before" || fail "--delete touched the outside"
[[ ! -e $target/data/dir/out && ! -L $target/data/dir/out ]] || fail "the symlink is still there"

# Without --delete, extra entries stay.
printf 'new extra\n' >"$target/data/dir/extra2"
offsite "${repo[@]}" restore "latest:$data" --target "$target" >/dev/null 2>&1
[[ -f $target/data/dir/extra2 ]] || fail "a restore without --delete removed an entry"
echo "ok"
