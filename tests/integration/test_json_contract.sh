#!/usr/bin/env bash
# The --json contract, for every command the program has (enumerated from the
# program itself, so a new command without a case here fails this test): a
# run that succeeds and a run made to fail each print only JSON on stdout
# (one document, or JSON Lines for the long commands), every object has a
# "type" and a "schema", a failure ends with {"type":"error","code",
# "message","exit_code"} whose exit_code is the process's exit status and the
# status man/offsite.1 documents for that code, and the human text of the
# error goes to stderr. Also: backup with no terminal and no passphrase
# source fails at once with passphrase_required.
source "$(dirname "$0")/lib.sh"

start_pair 127.239.112.95 127.239.113.95
export HOME=$WORK/home XDG_STATE_HOME=$WORK/state
mkdir -p "$HOME"

# schedule's seams (as in test_schedule.sh): a crontab kept in a file, and a
# systemctl that never reaches a user manager. FAKE_CRONTAB_BROKEN makes
# crontab fail the way a missing cron daemon does.
cat >"$WORK/fake-crontab" <<'SH'
#!/bin/bash
[[ -z ${FAKE_CRONTAB_BROKEN:-} ]] || { echo "crontab: cannot connect to cron" >&2; exit 2; }
if [[ $1 == -l ]]; then
  [[ -f $FAKE_CRONTAB_FILE ]] || { echo "no crontab for tester" >&2; exit 1; }
  exec cat "$FAKE_CRONTAB_FILE"
fi
cp "$1" "$FAKE_CRONTAB_FILE"
SH
cat >"$WORK/fake-systemctl" <<'SH'
#!/bin/bash
echo "Failed to connect to bus" >&2
exit 1
SH
chmod +x "$WORK/fake-crontab" "$WORK/fake-systemctl"
export OFFSITE_CRONTAB=$WORK/fake-crontab FAKE_CRONTAB_FILE=$WORK/crontab
export OFFSITE_SYSTEMCTL=$WORK/fake-systemctl

printf 'not the passphrase\n' >"$WORK/wrong"
printf 'the new passphrase\n' >"$WORK/new-passphrase"
pw=(--password-file "$WORK/passphrase")
wrong=(--password-file "$WORK/wrong")
repo=(--repo "$WORK/repo")
account=(--config-dir "$WORK/account")
mkdir -p "$WORK/data/sub"
printf 'first\n' >"$WORK/data/a.txt"
head -c 200000 /dev/urandom >"$WORK/data/sub/b.bin"

# jcase COMMAND EXPECT SHAPE [VAR=VALUE...] -- ARGS...: runs
# "offsite --json ARGS" with no terminal and stdin from /dev/null, and
# records the run for the checks at the end. COMMAND is the command path
# the case covers ("backup", "config set"); EXPECT is "ok" or the error code
# the run must end with; SHAPE is "doc" (one JSON document) or "lines".
CASE_N=0
jcase() {
  local command=$1 expect=$2 shape=$3 status=0
  shift 3
  local envs=()
  while [[ $1 != -- ]]; do envs+=("$1"); shift; done
  shift
  CASE_N=$((CASE_N + 1))
  local out=$WORK/case-$CASE_N
  env "${envs[@]}" timeout 60 setsid -w "${wrap[@]}" "$OFFSITE_BIN" --json "$@" \
    </dev/null >"$out.out" 2>"$out.err" || status=$?
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$CASE_N" "$command" "$expect" "$shape" "$status" "$*" \
    >>"$WORK/cases.tsv"
}
wrap=()

# --- the data centre --------------------------------------------------------
jcase register ok doc -- "${account[@]}" "${pw[@]}" register "${REGISTER_ARGS[@]}"
jcase register config_error doc -- "${account[@]}" "${pw[@]}" register "${REGISTER_ARGS[@]}"
jcase test-connection ok lines -- "${account[@]}" test-connection --timeout 5
# Nothing listens on 16399 at either registration address.
jcase test-connection no_server_reachable lines OFFSITE_FINGERPRINT="$FINGERPRINT" \
  OFFSITE_REGISTRATION=127.239.112.95:16399,127.239.113.95:16399 \
  OFFSITE_SUBNETS=127.239.112.0/24,127.239.113.0/24 \
  -- --config-dir "$WORK/blank" test-connection --timeout 2
jcase firewall-rules ok doc -- "${account[@]}" firewall-rules
jcase firewall-rules usage doc -- "${account[@]}" firewall-rules --format no-such-format

# A throwaway account for unregister.
"$OFFSITE_BIN" "${pw[@]}" --config-dir "$WORK/throwaway" register "${REGISTER_ARGS[@]}" \
  >/dev/null 2>&1 || fail "registering the throwaway account failed"
jcase unregister usage doc -- --config-dir "$WORK/throwaway" "${pw[@]}" unregister
jcase unregister ok doc -- --config-dir "$WORK/throwaway" "${pw[@]}" unregister --yes

# --- a local repository -----------------------------------------------------
jcase init ok doc -- "${repo[@]}" "${pw[@]}" init
jcase init config_error doc -- "${repo[@]}" "${pw[@]}" init
jcase backup ok lines -- "${repo[@]}" "${pw[@]}" backup "$WORK/data"
jcase backup not_found lines -- "${repo[@]}" "${pw[@]}" backup "$WORK/no-such-path"
printf 'second\n' >"$WORK/data/a.txt"
jcase backup ok lines -- "${repo[@]}" "${pw[@]}" backup "$WORK/data"

# No terminal and no passphrase source: fails at once, saying how to give one.
start=$SECONDS
jcase backup passphrase_required lines -- "${repo[@]}" backup "$WORK/data"
((SECONDS - start < 5)) || fail "backup without a passphrase source took $((SECONDS - start)) s"
err=$(cat "$WORK/case-$CASE_N.err")
[[ $err == *"no terminal"* && $err == *--password-file* ]] ||
  fail "the missing passphrase message does not say what to do: $err"

# A file backup cannot read: a partial snapshot. Root reads everything, so
# then the backup runs as nobody.
part=$WORK/partial
mkdir -p "$part/data"
printf 'readable\n' >"$part/data/readable.txt"
printf 'unreadable\n' >"$part/data/unreadable.txt"
cp "$WORK/passphrase" "$part/passphrase"
part_env=(XDG_CACHE_HOME="$part/cache" XDG_CONFIG_HOME="$part/config" HOME="$part")
if ((EUID == 0)); then
  chmod 711 "$WORK"
  chown -R 65534:65534 "$part"
  wrap=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fi
chmod 000 "$part/data/unreadable.txt"
env "${part_env[@]}" "${wrap[@]}" "$OFFSITE_BIN" --repo "$part/repo" \
  --password-file "$part/passphrase" init >/dev/null 2>&1 || fail "init as nobody failed"
jcase backup partial lines "${part_env[@]}" -- --repo "$part/repo" \
  --password-file "$part/passphrase" backup "$part/data"
wrap=()
# The readable file is in the snapshot: the directories above the data, which
# nobody may search but not list, are no obstacle.
python3 - "$WORK/case-$CASE_N.out" <<'PY' || fail "partial backup: $(cat "$WORK/case-$CASE_N.out")"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
s = [l for l in lines if l["type"] == "summary"][-1]
assert s["partial"] is True and s["files_new"] == 1 and s["files_failed"] == 1, s
warnings = [l for l in lines if l["type"] == "warning"]
assert [w["path"].rsplit("/", 1)[-1] for w in warnings] == ["unreadable.txt"], warnings
PY

snaps=$("$OFFSITE_BIN" "${repo[@]}" "${pw[@]}" --json snapshots)
first=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["snapshots"][0]["id"])' "$snaps")
jcase snapshots ok doc -- "${repo[@]}" "${pw[@]}" snapshots
jcase snapshots ok doc -- "${repo[@]}" "${pw[@]}" snapshots --group-by host,paths --compact
jcase snapshots wrong_passphrase doc -- "${repo[@]}" "${wrong[@]}" snapshots
jcase ls ok doc -- "${repo[@]}" "${pw[@]}" ls latest
jcase ls not_found doc -- "${repo[@]}" "${pw[@]}" ls deadbeef
jcase diff ok doc -- "${repo[@]}" "${pw[@]}" diff "$first" latest
jcase diff not_found doc -- "${repo[@]}" "${pw[@]}" diff "$first" deadbeef
jcase dump ok doc -- "${repo[@]}" "${pw[@]}" dump latest:/ --target "$WORK/dumped.tar"
jcase dump usage doc -- "${repo[@]}" "${pw[@]}" dump latest:/
# mount runs until unmounted: a "mounted" line, then the summary once
# fusermount3 -u ends it (jcase in the background: its case number is
# counted here).
mkdir -p "$WORK/mnt"
jcase mount ok lines -- "${repo[@]}" "${pw[@]}" mount "$WORK/mnt" &
mount_pid=$!
for _ in $(seq 300); do mountpoint -q "$WORK/mnt" && break; sleep 0.1; done
mountpoint -q "$WORK/mnt" || fail "offsite --json mount did not mount within 30 s"
fusermount3 -u "$WORK/mnt" || fail "fusermount3 -u failed"
wait "$mount_pid"
CASE_N=$((CASE_N + 1))
jcase mount usage doc -- "${repo[@]}" "${pw[@]}" mount "$WORK/no-such-mountpoint"
jcase find ok doc -- "${repo[@]}" "${pw[@]}" find "*.txt"
jcase find not_found doc -- "${repo[@]}" "${pw[@]}" find --snapshot deadbeef "*.txt"
jcase restore ok lines -- "${repo[@]}" "${pw[@]}" restore latest --target "$WORK/restored"
jcase restore not_found lines -- "${repo[@]}" "${pw[@]}" restore deadbeef --target "$WORK/r2"
jcase stats ok doc -- "${repo[@]}" "${pw[@]}" stats
jcase stats ok doc -- "${repo[@]}" "${pw[@]}" stats latest --mode raw-data
jcase stats usage doc -- "${repo[@]}" "${pw[@]}" stats --mode everything
jcase stats config_error doc -- --repo "$WORK/nothing-here" "${pw[@]}" stats
jcase check ok lines -- "${repo[@]}" "${pw[@]}" check --read-data
jcase unlock ok doc -- "${repo[@]}" "${pw[@]}" unlock
jcase unlock config_error doc -- --repo "$WORK/nothing-here" "${pw[@]}" unlock
[[ ! -e $WORK/nothing-here ]] || fail "a command on a mistyped --repo created the directory"

# key: list, export, and passwd on a copy (passwd changes the passphrase).
jcase "key list" ok doc -- "${repo[@]}" "${pw[@]}" key list
jcase "key list" wrong_passphrase doc -- "${repo[@]}" "${wrong[@]}" key list
jcase "key export" ok doc -- "${repo[@]}" "${pw[@]}" key export --output "$WORK/key.json"
jcase "key export" usage doc -- "${repo[@]}" "${pw[@]}" key export --output "$WORK/key.json"
cp -a "$WORK/repo" "$WORK/repo-key"
jcase "key passwd" ok doc -- --repo "$WORK/repo-key" "${pw[@]}" key passwd \
  --new-password-file "$WORK/new-passphrase"
jcase "key passwd" wrong_passphrase doc -- --repo "$WORK/repo-key" "${pw[@]}" key passwd \
  --new-password-file "$WORK/new-passphrase"
# key add and remove on another copy: the new passphrase removes the old key.
cp -a "$WORK/repo" "$WORK/repo-key2"
old_key=$("$OFFSITE_BIN" --repo "$WORK/repo-key2" "${pw[@]}" --json key list |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["keys"][0]["id"])')
jcase "key add" ok doc -- --repo "$WORK/repo-key2" "${pw[@]}" key add \
  --new-password-file "$WORK/new-passphrase"
jcase "key add" usage doc -- --repo "$WORK/repo-key2" "${pw[@]}" key add \
  --new-password-file "$WORK/passphrase"
jcase "key remove" not_found doc -- --repo "$WORK/repo-key2" --password-file \
  "$WORK/new-passphrase" key remove ffffffffffffffff
jcase "key remove" ok doc -- --repo "$WORK/repo-key2" --password-file "$WORK/new-passphrase" \
  key remove "$old_key"

# A damaged pack in a copy: check --read-data finds it.
cp -a "$WORK/repo" "$WORK/repo-bad"
pack=$(find "$WORK/repo-bad/data" -type f | head -n 1)
python3 - "$pack" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
data[len(data) // 2] ^= 0x01
open(sys.argv[1], "wb").write(data)
PY
jcase check integrity_error lines -- --repo "$WORK/repo-bad" "${pw[@]}" check --read-data

jcase tag ok doc -- "${repo[@]}" "${pw[@]}" tag --add contract latest
jcase tag usage doc -- "${repo[@]}" "${pw[@]}" tag latest
jcase copy ok lines -- "${account[@]}" "${pw[@]}" copy --from-repo "$WORK/repo" \
  --from-password-file "$WORK/passphrase"
jcase copy usage lines -- "${account[@]}" "${pw[@]}" copy
jcase forget ok doc -- "${repo[@]}" "${pw[@]}" forget --keep-last 1 --dry-run
jcase forget not_found doc -- "${repo[@]}" "${pw[@]}" forget deadbeef
jcase forget wrong_passphrase doc -- "${repo[@]}" "${wrong[@]}" forget --keep-last 1 --prune
jcase prune ok lines -- "${repo[@]}" "${pw[@]}" prune
jcase prune wrong_passphrase lines -- "${repo[@]}" "${wrong[@]}" prune
jcase forget ok lines -- "${repo[@]}" "${pw[@]}" forget --keep-last 1 --prune
jcase "repair index" ok lines -- "${repo[@]}" "${pw[@]}" repair index
jcase "repair index" wrong_passphrase lines -- "${repo[@]}" "${wrong[@]}" repair index
jcase "repair snapshots" ok lines -- "${repo[@]}" "${pw[@]}" repair snapshots --dry-run
jcase "repair snapshots" wrong_passphrase lines -- "${repo[@]}" "${wrong[@]}" repair snapshots

# --- local things -----------------------------------------------------------
jcase version ok doc -- version
jcase version usage doc -- version --no-such-flag
cp -a "$WORK/account" "$WORK/scratch"
scratch=(--config-dir "$WORK/scratch")
jcase "config show" ok doc -- "${account[@]}" config show
jcase "config set" ok doc -- "${scratch[@]}" config set source_ports 20000-30000
jcase "config set" usage doc -- "${scratch[@]}" config set no_such_key 1
jcase "config unset" ok doc -- "${scratch[@]}" config unset source_ports
jcase "config unset" usage doc -- "${scratch[@]}" config unset no_such_key
mkdir -p "$WORK/broken-config"
printf '{"not json' >"$WORK/broken-config/config.json"
jcase "config show" config_error doc -- --config-dir "$WORK/broken-config" config show

jcase "schedule install" ok doc -- "${account[@]}" schedule install --daily 02:30 \
  --method cron --password-file "$WORK/passphrase" "$WORK/data"
jcase "schedule install" usage doc -- "${account[@]}" schedule install --daily 25:00 \
  --method cron --password-file "$WORK/passphrase" "$WORK/data"
jcase "schedule show" ok doc -- "${account[@]}" schedule show
jcase "schedule show" error doc FAKE_CRONTAB_BROKEN=1 -- "${account[@]}" schedule show
jcase "schedule remove" error doc FAKE_CRONTAB_BROKEN=1 -- "${account[@]}" schedule remove
jcase "schedule remove" ok doc -- "${account[@]}" schedule remove
[[ ! -s $WORK/crontab ]] || fail "schedule remove left a line: $(cat "$WORK/crontab")"

# --- the checks ---------------------------------------------------------------
"$OFFSITE_BIN" __cli-spec >"$WORK/spec.json"
python3 - "$WORK" "${SOURCE_DIR:?}/man/offsite.1" <<'PY' || fail "the JSON contract is broken (cases in $WORK)"
import json, re, sys

work, man_path = sys.argv[1:]
spec = json.load(open(f"{work}/spec.json"))

# The documented table: "STATUS<tab>CODE<tab>meaning" rows of EXIT STATUS,
# plus the codes a meaning names with "also CODE".
man = open(man_path).read().replace("\\-", "-")
table_text = man.split(".SH EXIT STATUS", 1)[1].split(".TE", 1)[0]
documented = {}
rows = re.split(r"\n(?=\d+\t)", table_text)
for row in rows:
    m = re.match(r"(\d+)\t(\S+)\t", row)
    if not m:
        continue
    status, code = int(m.group(1)), m.group(2)
    if code != "-":
        documented[code] = status
    for alias in re.findall(r"also (\w+)", row):
        documented[alias] = status
assert documented.get("usage") == 2 and documented.get("interrupted") == 130, documented

problems = []
covered = {}
for line in open(f"{work}/cases.tsv"):
    n, command, expect, shape, status, args = line.rstrip("\n").split("\t")
    status = int(status)
    where = f"case {n} ({command}, expect {expect}: offsite --json {args})"
    out = open(f"{work}/case-{n}.out", encoding="utf-8", errors="replace").read()
    err = open(f"{work}/case-{n}.err", encoding="utf-8", errors="replace").read()
    def bad(what):
        problems.append(f"{where}: {what}\n  exit {status}\n  stdout: {out[:600]!r}\n  stderr: {err[:600]!r}")
    try:
        if shape == "doc":
            objects = [json.loads(out)]
        else:
            objects = [json.loads(l) for l in out.splitlines()]
    except ValueError as e:
        bad(f"stdout is not {'one JSON document' if shape == 'doc' else 'JSON Lines'}: {e}")
        continue
    if not objects:
        bad("no JSON on stdout")
        continue
    if any(not isinstance(o, dict) or "type" not in o or o.get("schema") != 1 for o in objects):
        bad("an object lacks \"type\" or \"schema\": 1")
        continue
    last = objects[-1]
    covered.setdefault(command, set()).add("ok" if expect == "ok" else "failure")
    if expect == "ok":
        if status != 0:
            bad("should succeed")
        elif any(o["type"] == "error" for o in objects):
            bad("succeeded but printed an error object")
        elif shape == "lines" and last["type"] != "summary":
            bad(f"JSON Lines should end with a summary, not {last['type']}")
        continue
    if last["type"] != "error":
        bad(f"a failure should end with an error object, not {last['type']}")
        continue
    missing = [k for k in ("code", "message", "exit_code") if k not in last]
    if missing:
        bad(f"the error object lacks {missing}")
        continue
    if last["code"] != expect:
        bad(f"error code {last['code']}, expected {expect}")
    if last["code"] not in documented:
        bad(f"error code {last['code']} is not in man/offsite.1 EXIT STATUS")
    elif not (last["exit_code"] == status == documented[last["code"]]):
        bad(f"exit_code {last['exit_code']}, process status {status}, "
            f"documented {documented[last['code']]}: they must agree")
    if f"offsite: error: {last['message']}" not in err:
        bad("stderr does not carry the error's text")
    if any(o["type"] == "error" for o in objects[:-1]):
        bad("more than one error object")

# Every command the program has, nested ones by their full path, has a case
# that succeeds and one that fails.
wanted = set()
for command in spec["commands"]:
    nested = spec.get("subcommands", {}).get(command, {})
    wanted |= {f"{command} {sub}" for sub in nested} if nested else {command}
for command in sorted(wanted):
    for outcome in ("ok", "failure"):
        if outcome not in covered.get(command, set()):
            problems.append(f"no {outcome} case for \"{command}\": add one to test_json_contract.sh")
for command in sorted(set(covered) - wanted):
    problems.append(f"a case for \"{command}\", which the program does not have")
for p in problems:
    print(p, file=sys.stderr)
sys.exit(1 if problems else 0)
PY
echo ok
