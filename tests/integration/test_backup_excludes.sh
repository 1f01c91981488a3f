#!/usr/bin/env bash
# backup --exclude-if-present and --iexclude through a data-centre pair, as
# restic users know them: a directory holding the marker keeps only the
# marker; --iexclude matches either case while --exclude respects it; a
# marker given with a slash is a usage error; schedule install checks the
# same flags.
source "$(dirname "$0")/lib.sh"

start_pair 127.239.112.176 127.239.113.176
cfg=(--config-dir "$WORK/cfg")
offsite "${cfg[@]}" register "${REGISTER_ARGS[@]}" >/dev/null
src=$WORK/src
mkdir -p "$src/build/obj" "$src/photos" "$src/docs"
: >"$src/build/.nobackup"
printf 'object\n' >"$src/build/obj/a.o"
printf 'jpeg\n' >"$src/photos/Holiday.JPG"
printf 'jpeg\n' >"$src/photos/small.jpg"
printf 'raw\n' >"$src/photos/Holiday.RAW"
printf 'text\n' >"$src/docs/notes.txt"
printf 'text\n' >"$src/docs/Notes.TXT"

offsite "${cfg[@]}" backup --exclude-if-present .nobackup --iexclude '*.jpg' \
  --exclude '*.txt' "$src" >"$WORK/backup.out" 2>&1 || fail "backup: $(cat "$WORK/backup.out")"
offsite "${cfg[@]}" ls -R latest "$src" | sed "s|^$src||" | sort >"$WORK/listed"
expected=$'/build\n/build/.nobackup\n/docs\n/docs/Notes.TXT\n/photos\n/photos/Holiday.RAW'
[[ $(cat "$WORK/listed") == "$expected" ]] ||
  fail "the snapshot holds: $(cat "$WORK/listed")"

expect_exit 2 offsite "${cfg[@]}" backup --exclude-if-present build/.nobackup "$src"
expect_exit 2 offsite "${cfg[@]}" schedule install --daily 02:30 \
  --password-file "$WORK/passphrase" --exclude-if-present .. "$src"
echo ok
