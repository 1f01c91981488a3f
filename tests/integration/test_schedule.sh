#!/usr/bin/env bash
# schedule install/show/remove on a local pair. The real crontab and the
# real user's systemd are never touched: OFFSITE_CRONTAB and
# OFFSITE_SYSTEMCTL (documented seams) point at scripts that keep a crontab
# in a file and record systemctl calls, and HOME, XDG_CONFIG_HOME and
# XDG_STATE_HOME are in the test directory. The installed crontab line and
# the unit's ExecStart, run as they are in a bare environment, make a
# snapshot; a wrong passphrase file fails with exit 6 and the log says why;
# remove leaves the user's other crontab lines as they were.
source "$(dirname "$0")/lib.sh"

start_pair 127.239.112.80 127.239.113.80
export HOME=$WORK/home XDG_STATE_HOME=$WORK/state
mkdir -p "$HOME"
cfgdir="$WORK/config dir"
cfg=(--config-dir "$cfgdir")
offsite "${cfg[@]}" register "${REGISTER_ARGS[@]}" >/dev/null

# Paths with spaces and quotes, a passphrase file in such a directory too.
data="$WORK/data with 'quotes' and \"double\""
mkdir -p "$data/sub"
printf 'scheduled\n' >"$data/file.txt"
printf 'skip\n' >"$data/sub/skip.tmp"
passdir="$WORK/pass dir"
mkdir -p "$passdir"
cp "$WORK/passphrase" "$passdir/pass file"
chmod 600 "$passdir/pass file"

cat >"$WORK/fake-crontab" <<'SH'
#!/bin/bash
# crontab -l / crontab FILE, on $FAKE_CRONTAB_FILE.
if [[ $1 == -l ]]; then
  [[ -f $FAKE_CRONTAB_FILE ]] || { echo "no crontab for tester" >&2; exit 1; }
  exec cat "$FAKE_CRONTAB_FILE"
fi
cp "$1" "$FAKE_CRONTAB_FILE"
SH
cat >"$WORK/fake-systemctl" <<'SH'
#!/bin/bash
# Records calls; "reaches a user manager" only when FAKE_SYSTEMD=up.
echo "$*" >>"$FAKE_SYSTEMCTL_LOG"
[[ ${FAKE_SYSTEMD:-down} == up ]] || { echo "Failed to connect to bus" >&2; exit 1; }
SH
chmod +x "$WORK/fake-crontab" "$WORK/fake-systemctl"
export OFFSITE_CRONTAB=$WORK/fake-crontab FAKE_CRONTAB_FILE=$WORK/crontab
export OFFSITE_SYSTEMCTL=$WORK/fake-systemctl FAKE_SYSTEMCTL_LOG=$WORK/systemctl.log
printf '%s\n' 'MAILTO=""' "# the user's own job" '17 * * * * /usr/bin/true "keep me" 50%' \
  >"$WORK/user-crontab"
cp "$WORK/user-crontab" "$WORK/crontab"
same_as_user() { cmp -s "$WORK/crontab" "$WORK/user-crontab"; }

sched() { "$OFFSITE_BIN" "${cfg[@]}" "$@"; }

# A job that would wait for a prompt is not installed.
out=$(sched schedule install --daily 02:30 --method cron "$data" 2>&1) && fail "installed without a passphrase file"
[[ $out == *"needs a passphrase file"*"--password-file"* ]] || fail "no passphrase file: $out"
expect_exit 2 sched schedule install --daily 02:30 --method cron "$data"
expect_exit 2 sched schedule install --daily 25:00 --password-file "$passdir/pass file" "$data"
expect_exit 2 sched schedule install --daily 02:30 --password-file "$WORK/missing" "$data"
same_as_user || fail "a refused install changed the crontab"

# A world-readable passphrase file is installed, with a warning.
chmod 644 "$passdir/pass file"
sched --json schedule install --daily 02:30 --method cron --password-file "$passdir/pass file" \
  --exclude '*.tmp' "$data" >"$WORK/install.json" 2>"$WORK/install.err"
grep -q 'readable by every user' "$WORK/install.err" || fail "no warning: $(cat "$WORK/install.err")"
chmod 600 "$passdir/pass file"
log=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
assert d["type"]=="schedule_install" and d["method"]=="cron" and d["daily"]=="02:30", d
print(d["log"])' "$WORK/install.json") || fail "install JSON: $(cat "$WORK/install.json")"
[[ $log == "$XDG_STATE_HOME/offsite/"*.log ]] || fail "log file: $log"

# The user's lines are kept; ours is one marker and one job line.
cmp -s <(head -n3 "$WORK/crontab") "$WORK/user-crontab" || fail "user lines changed"
[[ $(grep -c 'written by "offsite schedule install"' "$WORK/crontab") == 1 ]] || fail "markers"
line=$(tail -n1 "$WORK/crontab")
[[ $line == "30 2 * * * "* ]] || fail "crontab line: $line"

# Run the command part as cron would: /bin/sh -c, a bare environment.
command=$(printf '%s\n' "$line" | cut -d' ' -f6- | sed 's/\\%/%/g')
run_job() { env -i HOME="$HOME" PATH=/usr/bin:/bin LOGNAME=tester /bin/sh -c "$1"; }
run_job "$command" || fail "the cron job failed: $(cat "$log")"
grep -q 'snapshot [0-9a-f]* saved' "$log" || fail "the log lacks the backup: $(cat "$log")"
grep -q '^== .* offsite-backup' "$log" || fail "the log lacks the run header"
offsite "${cfg[@]}" --json snapshots >"$WORK/snapshots.json"
python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["snapshots"]
assert len(s)==1 and s[0]["paths"]==[sys.argv[2]], s' "$WORK/snapshots.json" "$data" ||
  fail "snapshots after the job: $(cat "$WORK/snapshots.json")"
offsite "${cfg[@]}" ls latest >"$WORK/ls.out"
grep -q 'file.txt' "$WORK/ls.out" || fail "the job did not back up file.txt"
grep -q 'skip.tmp' "$WORK/ls.out" && fail "the job ignored --exclude"

# Installing again replaces, never duplicates.
sched schedule install --daily 03:15 --method cron --password-file "$passdir/pass file" \
  "$data" >/dev/null
[[ $(grep -c 'written by "offsite schedule install"' "$WORK/crontab") == 1 ]] || fail "duplicated"
[[ $(tail -n1 "$WORK/crontab") == "15 3 * * * "* ]] || fail "not replaced: $(cat "$WORK/crontab")"
sched --json schedule show >"$WORK/show.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["type"]=="schedule", d
assert d["installed"] and [j["method"] for j in d["jobs"]]==["cron"] and d["jobs"][0]["daily"]=="03:15", d' \
  "$WORK/show.json" || fail "show: $(cat "$WORK/show.json")"

# A wrong passphrase in the file: non-zero exit (6) and the log says why.
printf 'wrong\n' >"$passdir/pass file"
command=$(tail -n1 "$WORK/crontab" | cut -d' ' -f6- | sed 's/\\%/%/g')
status=0
run_job "$command" || status=$?
[[ $status == 6 ]] || fail "the failing job exited $status, not 6"
tail -n3 "$log" | grep -q 'passphrase does not open' || fail "the log does not say why: $(tail -n3 "$log")"
cp "$WORK/passphrase" "$passdir/pass file"

# systemd where a user manager answers: units under XDG_CONFIG_HOME, the
# timer enabled, and our crontab line gone (replaced, not doubled).
export FAKE_SYSTEMD=up
sched --json schedule install --daily 04:05 --password-file "$passdir/pass file" "$data" \
  >"$WORK/install-systemd.json"
units=$XDG_CONFIG_HOME/systemd/user
name=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
assert d["method"]=="systemd" and d["timer"].endswith(".timer"), d; print(d["name"])' \
  "$WORK/install-systemd.json") || fail "systemd install: $(cat "$WORK/install-systemd.json")"
[[ -f $units/$name.service && -f $units/$name.timer ]] || fail "no unit files in $units"
grep -qx 'OnCalendar=\*-\*-\* 04:05:00' "$units/$name.timer" || fail "timer: $(cat "$units/$name.timer")"
grep -qx "enable --now $name.timer" <(sed 's/^--user //' "$WORK/systemctl.log") ||
  fail "the timer was not enabled: $(cat "$WORK/systemctl.log")"
same_as_user || fail "the cron job was not replaced: $(cat "$WORK/crontab")"
if systemd-analyze --version >/dev/null 2>&1; then
  systemd-analyze verify "$units/$name.service" "$units/$name.timer" 2>"$WORK/verify.err" ||
    fail "systemd-analyze verify: $(cat "$WORK/verify.err")"
fi
# ExecStart run as it is: systemd's quoting (double quotes, %% and $$) read
# back by shlex, executed without a shell, in a bare environment.
exec_start=$(sed -n 's/^ExecStart=//p' "$units/$name.service")
python3 - "$exec_start" "$HOME" <<'PY' || fail "ExecStart failed"
import os, shlex, subprocess, sys
words = [w.replace("%%", "%").replace("$$", "$") for w in shlex.split(sys.argv[1])]
env = {"HOME": sys.argv[2], "PATH": "/usr/bin:/bin"}
sys.exit(subprocess.run(words, env=env, stdin=subprocess.DEVNULL).returncode)
PY
offsite "${cfg[@]}" snapshots | grep -q '^2 snapshots$' || fail "ExecStart made no snapshot"

# remove: our units and line go, nothing else.
sched --json schedule remove >"$WORK/remove.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["removed"]==["systemd"], d' \
  "$WORK/remove.json" || fail "remove: $(cat "$WORK/remove.json")"
[[ ! -e $units/$name.service && ! -e $units/$name.timer ]] || fail "units left behind"
grep -qx "disable --now $name.timer" <(sed 's/^--user //' "$WORK/systemctl.log") || fail "not disabled"
unset FAKE_SYSTEMD
sched schedule install --daily 02:30 --method cron --password-file "$passdir/pass file" "$data" >/dev/null
sched schedule remove >"$WORK/remove.out"
grep -q 'removed the scheduled backup (cron)' "$WORK/remove.out" || fail "$(cat "$WORK/remove.out")"
same_as_user || fail "remove changed the user's lines: $(cat "$WORK/crontab")"
sched --json schedule show >"$WORK/show.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert not d["installed"], d' \
  "$WORK/show.json" || fail "show after remove: $(cat "$WORK/show.json")"
echo ok
