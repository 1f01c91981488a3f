#!/usr/bin/env bash
# backup --files-from, --files-from-verbatim, --parent, --force and
# --skip-if-unchanged through a data-centre pair, as restic users know them.
source "$(dirname "$0")/lib.sh"

start_pair 127.239.112.181 127.239.113.181
cfg=(--config-dir "$WORK/cfg")
offsite "${cfg[@]}" register "${REGISTER_ARGS[@]}" >/dev/null
# Lists and outputs go to $out: a new entry in $WORK would change the
# metadata of a directory above the backed-up paths.
src=$WORK/src out=$WORK/out
mkdir -p "$out" "$src/a" "$src/b" "$src/c" "$src/#odd"
printf 'one\n' >"$src/a/x.txt"
printf 'two\n' >"$src/b/y.txt"
printf 'three\n' >"$src/c/z.log"
printf 'four\n' >"$src/ lead"
printf 'five\n' >"$src/#odd/f"
listed() { offsite "${cfg[@]}" ls -R "$1" "$src" | sed "s|^$src||" | sort | tr '\n' ' '; }
json_field() { python3 -c "import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])['$1'])"; }

# A backup leaves atimes alone (O_NOATIME), of directories as of files: an
# old atime would otherwise be updated by reading (relatime), and the next
# backup would record a change.
touch -a -d '2020-01-02 03:04:05' "$src/a" "$src/a/x.txt"
atimes() { stat -c '%X' "$src/a" "$src/a/x.txt" | tr '\n' ' '; }
atimes_before=$(atimes)

# --files-from: comments and blank lines skipped, globs expanded, blanks trimmed.
printf '# what to keep\n\n  %s/a  \n%s/c/*.log\n' "$src" "$src" >"$out/list"
offsite "${cfg[@]}" --json backup --files-from "$out/list" >"$out/b1.json" ||
  fail "backup --files-from: $(cat "$out/b1.json")"
first=$(json_field snapshot_id <"$out/b1.json")
[[ $(listed "$first") == "/a /a/x.txt /c /c/z.log " ]] || fail "--files-from kept: $(listed "$first")"
[[ $(atimes) == "$atimes_before" ]] || fail "the backup changed atimes: $atimes_before -> $(atimes)"

# --files-from-verbatim: a leading blank and a '#' are part of the name.
printf '%s/ lead\n%s/#odd\n' "$src" "$src" >"$out/verbatim"
offsite "${cfg[@]}" --json backup --files-from-verbatim "$out/verbatim" >"$out/b2.json"
second=$(json_field snapshot_id <"$out/b2.json")
[[ $(listed "$second") == "/ lead /#odd /#odd/f " ]] ||
  fail "--files-from-verbatim kept: $(listed "$second")"

# A list that names nothing, or cannot be read, is a usage error; so is a
# list with a path that does not exist (not found), before anything is stored.
printf '# nothing\n' >"$out/empty-list"
expect_exit 2 offsite "${cfg[@]}" backup --files-from "$out/empty-list"
expect_exit 2 offsite "${cfg[@]}" backup --files-from "$out/no-such-list"
printf '%s/gone\n' "$src" >"$out/gone-list"
offsite "${cfg[@]}" backup --files-from "$out/gone-list" >"$out/gone.out" 2>&1 && fail "a missing path was backed up"
grep -q "does not exist" "$out/gone.out" || fail "missing path: $(cat "$out/gone.out")"
expect_exit 2 offsite "${cfg[@]}" schedule install --daily 02:30 \
  --password-file "$WORK/passphrase" --files-from "$out/no-such-list"

# --skip-if-unchanged: the same paths again, nothing changed: no new snapshot.
offsite "${cfg[@]}" --json backup --skip-if-unchanged --files-from "$out/list" >"$out/b3.json"
[[ $(json_field skipped <"$out/b3.json") == True ]] || fail "not skipped: $(cat "$out/b3.json")"
[[ $(json_field parent <"$out/b3.json") == "$first" ]] || fail "parent: $(cat "$out/b3.json")"
count=$(offsite "${cfg[@]}" --json snapshots | python3 -c "import json,sys; print(len(json.load(sys.stdin)['snapshots']))")
[[ $count == 2 ]] || fail "--skip-if-unchanged saved a snapshot ($count snapshots)"
offsite "${cfg[@]}" -v backup --skip-if-unchanged --files-from "$out/list" >"$out/skip.out" 2>&1
grep -q "no snapshot saved" "$out/skip.out" || fail "the skip is not said: $(cat "$out/skip.out")"
# ...and a change is saved.
printf 'one, changed\n' >"$src/a/x.txt"
offsite "${cfg[@]}" --json backup --skip-if-unchanged --files-from "$out/list" >"$out/b4.json"
[[ $(json_field skipped <"$out/b4.json") == False ]] || fail "a change was skipped"
third=$(json_field snapshot_id <"$out/b4.json")

# --force: every file is read again, though the files cache knows them all
# (bytes_read counts what was read from disk).
offsite "${cfg[@]}" --json backup --files-from "$out/list" >"$out/b5.json"
[[ $(json_field bytes_read <"$out/b5.json") == 0 ]] || fail "b5: $(cat "$out/b5.json")"
offsite "${cfg[@]}" --json backup --force --files-from "$out/list" >"$out/b6.json"
[[ $(json_field bytes_read <"$out/b6.json") == 19 ]] || fail "--force: $(cat "$out/b6.json")"
[[ $(json_field files_unmodified <"$out/b6.json") == 2 ]] || fail "--force: $(cat "$out/b6.json")"

# --parent: compared with (and recorded as the parent) the snapshot given.
offsite "${cfg[@]}" --json backup --parent "${third:0:8}" --files-from "$out/list" >"$out/b7.json"
[[ $(json_field parent <"$out/b7.json") == "$third" ]] || fail "--parent: $(cat "$out/b7.json")"
expect_exit 9 offsite "${cfg[@]}" backup --parent deadbeef --files-from "$out/list"

# A list from a pipe is read once, by the backup (not drained by the check).
offsite "${cfg[@]}" --json backup --files-from <(printf '%s/b\n' "$src") >"$out/b8.json" ||
  fail "--files-from a pipe: $(cat "$out/b8.json")"
piped=$(json_field snapshot_id <"$out/b8.json")
[[ $(listed "$piped") == "/b /b/y.txt " ]] || fail "--files-from a pipe kept: $(listed "$piped")"
echo ok
