#!/usr/bin/env bash
# schedule install/show/remove on a local pair. The real crontab and the
# real user's systemd are never touched: OFFSITE_CRONTAB and
# OFFSITE_SYSTEMCTL (documented seams) point at scripts that keep a crontab
# in a file and record systemctl calls, and HOME, XDG_CONFIG_HOME and
# XDG_STATE_HOME are in the test directory. The installed crontab line and
# the unit's ExecStart, run as they are in a bare environment, make a
# snapshot; each cron run ends its log with "== <UTC time> exit <status>" and
# keeps the backup's status as the job's, and `schedule show` reports the last
# run: succeeded, then failed (a wrong passphrase: exit 6, a removed
# passphrase file: exit 2), and the systemd unit's last result; remove leaves
# the user's other crontab lines as they were.
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
# Records calls; "reaches a user manager" only when FAKE_SYSTEMD=up. `show
# UNIT -p NAME...` prints NAME=$FAKE_SHOW_NAME for each property asked for.
echo "$*" >>"$FAKE_SYSTEMCTL_LOG"
[[ ${FAKE_SYSTEMD:-down} == up ]] || { echo "Failed to connect to bus" >&2; exit 1; }
if [[ $2 == show ]]; then
  shift 3
  while (($#)); do
    [[ $1 == -p ]] && { var=FAKE_SHOW_$2; printf '%s=%s\n' "$2" "${!var:-}"; shift; }
    shift
  done
fi
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
# Backup options are checked as backup checks them: no job that fails nightly.
for bad in "--compression 40" "--compression 0" "--compression abc" "--exclude-file $WORK/nope"; do
  # shellcheck disable=SC2086 # the flag and its value are two words
  out=$(sched schedule install --daily 02:30 --method cron --password-file "$passdir/pass file" \
    $bad "$data" 2>&1) && fail "installed a job with $bad"
  [[ $out == *"${bad%% *}"* ]] || fail "the refusal of $bad does not name the flag: $out"
  # shellcheck disable=SC2086
  expect_exit 2 offsite --repo "$WORK/none" backup $bad "$data"
done
same_as_user || fail "a refused install changed the crontab"

# A world-readable passphrase file is installed, with a warning.
chmod 644 "$passdir/pass file"
sched --json --limit-upload 2048 schedule install --daily 02:30 --method cron \
  --password-file "$passdir/pass file" --exclude '*.tmp' "$data" >"$WORK/install.json" \
  2>"$WORK/install.err"
grep -q 'readable by every user' "$WORK/install.err" || fail "no warning: $(cat "$WORK/install.err")"
chmod 600 "$passdir/pass file"
log=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
assert d["type"]=="schedule_install" and d["method"]=="cron" and d["daily"]=="02:30", d
print(d["log"])' "$WORK/install.json") || fail "install JSON: $(cat "$WORK/install.json")"
job=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["name"])' "$WORK/install.json")
[[ $log == "$XDG_STATE_HOME/offsite/$job.log" ]] || fail "log file: $log"

# The user's lines are kept; ours is one marker and one job line.
cmp -s <(head -n3 "$WORK/crontab") "$WORK/user-crontab" || fail "user lines changed"
[[ $(grep -c 'written by "offsite schedule install"' "$WORK/crontab") == 1 ]] || fail "markers"
line=$(tail -n1 "$WORK/crontab")
[[ $line == "30 2 * * * "* ]] || fail "crontab line: $line"
[[ $line == *" --limit-upload 2048 "* ]] || fail "the job lost --limit-upload: $line"

# run_job: our crontab line as cron runs it (crontab(5)): after the five time
# fields, \% is %, an unescaped % ends the command (the rest is its stdin,
# newlines for the other %s); /bin/sh -c in a bare environment. Whatever the
# job prints would be mailed: it must print nothing. Sets JOB_STATUS.
run_job() {
  local cron_line
  cron_line=$(tail -n1 "$WORK/crontab")
  JOB_STATUS=0
  python3 - "$cron_line" "$HOME" >"$WORK/job.mail" 2>&1 <<'PY' || JOB_STATUS=$?
import re, subprocess, sys
line, home = sys.argv[1:3]
command = re.match(r"\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+(.*)", line).group(1)
parts, part, i = [], "", 0
while i < len(command):
    if command[i] == "\\" and command[i + 1:i + 2] == "%":
        part, i = part + "%", i + 2
        continue
    if command[i] == "%":
        parts.append(part)
        part = ""
    else:
        part += command[i]
    i += 1
parts.append(part)
stdin = "\n".join(parts[1:]) + ("\n" if len(parts) > 1 else "")
env = {"HOME": home, "PATH": "/usr/bin:/bin", "LOGNAME": "tester", "SHELL": "/bin/sh"}
r = subprocess.run(["/bin/sh", "-c", parts[0]], env=env, input=stdin.encode())
sys.exit(r.returncode)
PY
  [[ ! -s $WORK/job.mail ]] || fail "the cron job printed (cron would mail it): $(cat "$WORK/job.mail")"
}
utc='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z'
# last_run_is STATUS: the log's last lines are this run's start ... exit STATUS,
# and `schedule show` (text and JSON) reports it.
last_run_is() {
  tail -n1 "$log" | grep -Eqx "== $utc exit $1" || fail "the log's last line: $(tail -n3 "$log")"
  [[ $(grep -E "^== $utc ($job start|exit [0-9]+)$" "$log" | tail -n2 | head -n1) =~ ^==\ $utc\ $job\ start$ ]] ||
    fail "the run's start line is missing: $(cat "$log")"
  sched schedule show >"$WORK/show.out"
  if (($1 == 0)); then
    grep -Eq "^  last run: succeeded \(exit 0\) at $utc$" "$WORK/show.out" || fail "show: $(cat "$WORK/show.out")"
  else
    grep -Eq "^  last run: FAILED \(exit $1\) at $utc; the log says why$" "$WORK/show.out" ||
      fail "show: $(cat "$WORK/show.out")"
  fi
  sched --json schedule show >"$WORK/show.json"
  python3 - "$WORK/show.json" "$1" <<'PY' || fail "show --json: $(cat "$WORK/show.json")"
import json, sys
run = json.load(open(sys.argv[1]))["jobs"][0]["last_run"]
status = int(sys.argv[2])
assert run["exit_status"] == status and run["succeeded"] == (status == 0), run
assert run["started"] <= run["finished"] and run["finished"].endswith("Z"), run
PY
}

sched --json schedule show >"$WORK/show.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["jobs"][0]["last_run"] is None, d' \
  "$WORK/show.json" || fail "a last run before any: $(cat "$WORK/show.json")"
sched schedule show >"$WORK/show.out"
grep -qx '  last run: none recorded yet' "$WORK/show.out" || fail "show before a run: $(cat "$WORK/show.out")"
run_job
[[ $JOB_STATUS == 0 ]] || fail "the cron job failed ($JOB_STATUS): $(cat "$log")"
grep -q 'snapshot [0-9a-f]* saved' "$log" || fail "the log lacks the backup: $(cat "$log")"
last_run_is 0
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
run_job
[[ $JOB_STATUS == 6 ]] || fail "the failing job exited $JOB_STATUS, not 6"
tail -n3 "$log" | grep -q 'passphrase does not open' || fail "the log does not say why: $(tail -n3 "$log")"
last_run_is 6
# The passphrase file gone: exit 2, in the log and in show; then a good run again.
rm "$passdir/pass file"
run_job
[[ $JOB_STATUS == 2 ]] || fail "the job without its passphrase file exited $JOB_STATUS, not 2"
tail -n3 "$log" | grep -q 'cannot read the password file' || fail "the log: $(tail -n3 "$log")"
last_run_is 2
cp "$WORK/passphrase" "$passdir/pass file"
chmod 600 "$passdir/pass file"
run_job
[[ $JOB_STATUS == 0 ]] || fail "the job failed again ($JOB_STATUS): $(tail -n5 "$log")"
last_run_is 0

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
offsite "${cfg[@]}" snapshots | grep -q '^3 snapshots$' || fail "ExecStart made no snapshot"

# show: the unit's last result as systemctl reports it.
export FAKE_SHOW_Result=exit-code FAKE_SHOW_ExecMainStatus=6 \
  FAKE_SHOW_ExecMainStartTimestamp="Wed 2026-12-02 02:30:00 UTC" \
  FAKE_SHOW_ExecMainExitTimestamp="Wed 2026-12-02 02:30:01 UTC"
sched schedule show >"$WORK/show-systemd.out"
grep -qx '  last run: FAILED (exit 6, exit-code) at Wed 2026-12-02 02:30:01 UTC; the log says why' \
  "$WORK/show-systemd.out" || fail "show under systemd: $(cat "$WORK/show-systemd.out")"
sched --json schedule show >"$WORK/show-systemd.json"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["jobs"][0]["last_run"]
assert r["exit_status"]==6 and r["result"]=="exit-code" and r["succeeded"] is False, r' \
  "$WORK/show-systemd.json" || fail "show --json under systemd: $(cat "$WORK/show-systemd.json")"
unset FAKE_SHOW_Result FAKE_SHOW_ExecMainStatus FAKE_SHOW_ExecMainStartTimestamp FAKE_SHOW_ExecMainExitTimestamp
sched schedule show >"$WORK/show-systemd.out"
grep -qx '  last run: none recorded yet' "$WORK/show-systemd.out" ||
  fail "show under systemd before a run: $(cat "$WORK/show-systemd.out")"

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
