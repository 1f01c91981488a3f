#!/usr/bin/env bash
# Progress is drawn in a real terminal (tmux) and never when stderr is
# redirected, as under cron.
source "$(dirname "$0")/lib.sh"

repo=(--repo "$WORK/repo")
mkdir -p "$WORK/data"
for i in $(seq 8); do head -c 20000000 /dev/urandom >"$WORK/data/file$i.bin"; done
offsite "${repo[@]}" init >/dev/null

# In tmux: the command waits for the pane logger to be attached, then runs.
session="offsite-test-$$"
tmux -L "$session" new-session -d -s "$session" -x 160 -y 40 \
  "while [ ! -e '$WORK/go' ]; do sleep 0.05; done; '$OFFSITE_BIN' --password-file '$WORK/passphrase' --repo '$WORK/repo' backup '$WORK/data'; touch '$WORK/done'; sleep 30"
tmux -L "$session" pipe-pane -t "$session" -o "cat >'$WORK/pane.log'"
touch "$WORK/go"
for _ in $(seq 600); do [[ -e $WORK/done ]] && break; sleep 0.1; done
tmux -L "$session" kill-server
[[ -e $WORK/done ]] || fail "backup in tmux did not finish within 60s"
grep -qa 'files, ' "$WORK/pane.log" || fail "no progress line in the terminal: $(cat -v "$WORK/pane.log" | head -c 2000)"
grep -qa 'snapshot [0-9a-f]\{8\} saved' "$WORK/pane.log" || fail "no summary in the terminal"

# Redirected (cron): no progress, no chatter, only the exit status.
echo more >>"$WORK/data/file1.bin"
offsite "${repo[@]}" backup "$WORK/data" >"$WORK/stdout" 2>"$WORK/stderr" </dev/null
[[ ! -s $WORK/stderr ]] || fail "stderr not silent under cron: $(cat -v "$WORK/stderr")"
[[ ! -s $WORK/stdout ]] || fail "stdout not silent under cron: $(cat -v "$WORK/stdout")"

# -v brings the summary back without progress.
echo more >>"$WORK/data/file2.bin"
offsite "${repo[@]}" -v backup "$WORK/data" 2>"$WORK/stderr" </dev/null
grep -q 'saved' "$WORK/stderr" || fail "-v shows no summary"
! grep -qa $'\r' "$WORK/stderr" || fail "progress drawn on a redirected stderr"
echo ok
