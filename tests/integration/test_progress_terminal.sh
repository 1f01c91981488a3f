#!/usr/bin/env bash
# Progress is drawn in a real terminal (tmux) and never when stderr is
# redirected, as under cron, nor with --quiet or --no-progress. Backup shows
# a percentage and an ETA (a scan counts the total meanwhile), restore and
# check draw their own lines; counts read "1 file", never "1 files"; the
# line is redrawn at most a few times a second.
source "$(dirname "$0")/lib.sh"

repo=(--repo "$WORK/repo")
mkdir -p "$WORK/data"
for i in $(seq 4); do head -c 20000000 /dev/urandom >"$WORK/data/file$i.bin"; done
# 4 GiB of holes: seconds of reading and chunking (the ETA shows from 3 s
# on), next to nothing stored.
truncate -s 4G "$WORK/data/sparse.img"
offsite "${repo[@]}" init >/dev/null

# in_tmux NAME ARGS...: runs offsite --repo REPO ARGS in a 160x40 tmux terminal, keeps
# all it drew in $WORK/NAME.log and its exit status in $WORK/NAME.status.
# The command waits until the pane logger is attached.
in_tmux() {
  local name=$1 session="offsite-test-$$-$1"
  shift
  {
    printf 'cd %q\n' "$WORK"
    printf '%q ' "$OFFSITE_BIN" --password-file "$WORK/passphrase" "${repo[@]}" "$@"
    printf '\necho $? >%q\n' "$WORK/$name.status"
  } >"$WORK/$name.sh"
  tmux -L "$session" new-session -d -s "$session" -x 160 -y 40 \
    "while [ ! -e '$WORK/$name.go' ]; do sleep 0.05; done; bash '$WORK/$name.sh'; sleep 30"
  tmux -L "$session" pipe-pane -t "$session" -o "cat >'$WORK/$name.log'"
  touch "$WORK/$name.go"
  for _ in $(seq 600); do [[ -s $WORK/$name.status ]] && break; sleep 0.1; done
  tmux -L "$session" kill-server
  [[ -s $WORK/$name.status ]] || fail "offsite $* in tmux did not finish within 60s"
  [[ $(cat "$WORK/$name.status") == 0 ]] ||
    fail "offsite $* in tmux exited $(cat "$WORK/$name.status"): $(cat -v "$WORK/$name.log")"
}
# progress_lines NAME: the progress lines drawn (each starts with \r ESC[K).
progress_lines() { tr '\r' '\n' <"$WORK/$1.log" | sed -n 's/^\x1b\[K\(\[.*\)/\1/p'; }
show() { cat -v "$WORK/$1.log" | head -c 3000; }

in_tmux backup backup "$WORK/data"
progress_lines backup >"$WORK/backup.lines"
[[ -s $WORK/backup.lines ]] || fail "no progress line in the terminal: $(show backup)"
# "[0:02] 37.5% 2 of 5 files, 60.0 MiB / 1.1 GiB, 500.0 MiB/s ETA 0:03  PATH"
grep -qE '^\[[0-9:s]+\] [0-9]+\.[0-9]% [0-9]+ of 5 files, .* / .*/s ETA [0-9:s]+  /' \
  "$WORK/backup.lines" || fail "backup progress has no percentage and ETA: $(show backup)"
grep -qa 'snapshot [0-9a-f]\{8\} saved' "$WORK/backup.log" || fail "no summary in the terminal"
# A few updates a second: the backup takes seconds, yet at most ~4 lines/s.
lines=$(wc -l <"$WORK/backup.lines")
elapsed=$(offsite "${repo[@]}" --json snapshots --latest 1 | python3 -c '
import json, sys
print(json.load(sys.stdin)["snapshots"][0]["summary"]["duration_seconds"])')
python3 -c 'import sys; n, t = int(sys.argv[1]), float(sys.argv[2]); sys.exit(0 if n <= 4 * t + 2 else 1)' \
  "$lines" "$elapsed" || fail "$lines progress lines in ${elapsed}s: more than 4 a second"

# Restore: a percentage of the snapshot's bytes.
in_tmux restore restore latest --target "$WORK/restore"
progress_lines restore >"$WORK/restore.lines"
grep -qE '^\[[0-9:s]+\] [0-9]+\.[0-9]% [0-9]+ files?, .* / .*/s' "$WORK/restore.lines" ||
  fail "restore progress: $(show restore)"
cmp "$WORK/data/file1.bin" "$WORK/restore$WORK/data/file1.bin"

# check --read-data: its phases.
in_tmux check check --read-data
progress_lines check >"$WORK/check.lines"
grep -qE '^\[[0-9:s]+\] (snapshots|trees|packs|reading packs)' "$WORK/check.lines" ||
  fail "check progress: $(show check)"
grep -qa 'no errors were found' "$WORK/check.log" || fail "check summary: $(show check)"

# One file: "1 file", in every command's line.
mkdir -p "$WORK/one"
head -c 5000000 /dev/urandom >"$WORK/one/only.bin"
in_tmux one backup "$WORK/one"
in_tmux one-restore restore latest --path "$WORK/one" --target "$WORK/one-restore"
for name in backup restore one one-restore; do
  ! grep -qaE '(^|[^0-9])1 files' "$WORK/$name.log" || fail "\"1 files\" in $name: $(show "$name")"
done
grep -qa '1 file\b' "$WORK/one-restore.log" "$WORK/one.log" || fail "no \"1 file\": $(show one)"

# --quiet and --no-progress in a terminal: no progress line; --quiet not even
# the summary.
echo more >>"$WORK/data/file1.bin"
in_tmux quiet --quiet backup "$WORK/data"
[[ ! -s $WORK/quiet.log ]] || fail "--quiet drew: $(show quiet)"
echo more >>"$WORK/data/file2.bin"
in_tmux no-progress --no-progress backup "$WORK/data"
[[ -z $(progress_lines no-progress) ]] && ! grep -qa $'\r\x1b\[K' "$WORK/no-progress.log" ||
  fail "--no-progress drew progress: $(show no-progress)"
grep -qa 'snapshot [0-9a-f]\{8\} saved' "$WORK/no-progress.log" ||
  fail "--no-progress lost the summary: $(show no-progress)"
in_tmux quiet-restore -q restore latest --target "$WORK/quiet-restore"
[[ ! -s $WORK/quiet-restore.log ]] || fail "restore --quiet drew: $(show quiet-restore)"
in_tmux no-progress-check --no-progress check
! grep -qa $'\r\x1b\[K' "$WORK/no-progress-check.log" ||
  fail "check --no-progress drew progress: $(show no-progress-check)"

# Redirected (cron): no progress, no chatter, only the exit status.
echo more >>"$WORK/data/file3.bin"
offsite "${repo[@]}" backup "$WORK/data" >"$WORK/stdout" 2>"$WORK/stderr" </dev/null
[[ ! -s $WORK/stderr ]] || fail "stderr not silent under cron: $(cat -v "$WORK/stderr")"
[[ ! -s $WORK/stdout ]] || fail "stdout not silent under cron: $(cat -v "$WORK/stdout")"
offsite "${repo[@]}" restore latest --target "$WORK/cron-restore" >"$WORK/stdout" 2>"$WORK/stderr"
[[ ! -s $WORK/stderr && ! -s $WORK/stdout ]] || fail "restore not silent under cron"

# -v brings the summary back without progress.
echo more >>"$WORK/data/file4.bin"
offsite "${repo[@]}" -v backup "$WORK/data" 2>"$WORK/stderr" </dev/null
grep -q 'saved' "$WORK/stderr" || fail "-v shows no summary"
! grep -qa $'\r' "$WORK/stderr" || fail "progress drawn on a redirected stderr"
echo ok
