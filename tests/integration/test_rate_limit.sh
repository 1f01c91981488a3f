#!/usr/bin/env bash
# --limit-upload and --limit-download (KiB/s), as flags and as config.json
# keys: a 32 MiB backup moves at the rate asked (within 10 %), a restore
# too; bad values are usage errors, also for schedule install.
source "$(dirname "$0")/lib.sh"

start_pair 127.239.112.182 127.239.113.182
cfg=(--config-dir "$WORK/cfg")
offsite "${cfg[@]}" register "${REGISTER_ARGS[@]}" >/dev/null
mkdir -p "$WORK/src"
head -c $((32 << 20)) /dev/urandom >"$WORK/src/random.bin"
last_json() { tail -n 1 "$1" | python3 -c "import json,sys; print(json.load(sys.stdin)['$2'])"; }
# within_10_percent RATE WANT: both in bytes per second.
within_10_percent() { python3 -c "import sys; r,w=float('$1'),float('$2'); sys.exit(0 if abs(r-w) <= 0.1*w else 1)"; }
mib() { python3 -c "print(f'{float(\"$1\") / 1048576:.2f} MiB/s')"; }

# Upload: the stored bytes (all new, incompressible) over the backup's time.
offsite "${cfg[@]}" --limit-upload 2048 --json backup "$WORK/src" >"$WORK/backup.json" ||
  fail "limited backup: $(cat "$WORK/backup.json")"
added=$(last_json "$WORK/backup.json" bytes_added)
seconds=$(last_json "$WORK/backup.json" duration_seconds)
((added > 32 << 20)) || fail "the backup stored only $added bytes"
rate=$(python3 -c "print($added / $seconds)")
within_10_percent "$rate" $((2048 << 10)) ||
  fail "--limit-upload 2048 moved $(mib "$rate") ($added bytes in $seconds s), not 2 MiB/s"
echo "--limit-upload 2048: $(mib "$rate")"

# Download: the restore's wall time, including its start (key, index).
start=$(date +%s.%N)
offsite "${cfg[@]}" --limit-download 4096 restore latest --target "$WORK/restored" >/dev/null
end=$(date +%s.%N)
cmp "$WORK/src/random.bin" "$WORK/restored$WORK/src/random.bin" || fail "the restore differs"
rate=$(python3 -c "print($added / ($end - $start))")
within_10_percent "$rate" $((4096 << 10)) ||
  fail "--limit-download 4096 moved $(mib "$rate"), not 4 MiB/s"
echo "--limit-download 4096: $(mib "$rate")"

# config.json's key applies when no flag is given (config show says so);
# --limit-upload 0 lifts it.
offsite "${cfg[@]}" config set limit_upload 1024
offsite "${cfg[@]}" config show >"$WORK/show.out"
grep -qE '^  limit_upload +1024$' "$WORK/show.out" || fail "config show: $(cat "$WORK/show.out")"
grep -q "upload at most 1024 KiB/s" "$WORK/show.out" || fail "config show: $(cat "$WORK/show.out")"
head -c $((3 << 20)) /dev/urandom >"$WORK/src/more.bin"
offsite "${cfg[@]}" --json backup "$WORK/src" >"$WORK/b2.json"
seconds=$(last_json "$WORK/b2.json" duration_seconds)
python3 -c "import sys; sys.exit(0 if $seconds >= 2.5 else 1)" ||
  fail "3 MiB at 1024 KiB/s took only $seconds s"
head -c $((3 << 20)) /dev/urandom >"$WORK/src/more2.bin"
offsite "${cfg[@]}" --limit-upload 0 --json backup "$WORK/src" >"$WORK/b3.json"
seconds=$(last_json "$WORK/b3.json" duration_seconds)
python3 -c "import sys; sys.exit(0 if $seconds < 2.5 else 1)" ||
  fail "--limit-upload 0 did not lift the limit: 3 MiB took $seconds s"

# Bad values: usage errors that say what is allowed.
expect_exit 2 offsite "${cfg[@]}" --limit-upload 10 snapshots
offsite "${cfg[@]}" --limit-upload 10 snapshots 2>"$WORK/bad.err" || true
grep -q "outside 32 to" "$WORK/bad.err" || fail "--limit-upload 10: $(cat "$WORK/bad.err")"
expect_exit 2 offsite "${cfg[@]}" --limit-download 2MB snapshots
expect_exit 2 offsite "${cfg[@]}" config set limit_download fast
expect_exit 2 offsite "${cfg[@]}" --limit-upload 1 schedule install --daily 02:30 \
  --password-file "$WORK/passphrase" "$WORK/src"
echo ok
