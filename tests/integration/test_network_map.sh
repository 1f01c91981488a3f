#!/usr/bin/env bash
# Network-map updates: a map the data centre announces is saved and used
# from then on; a map naming an address outside the known subnets is
# refused with a warning and changes nothing.
source "$(dirname "$0")/lib.sh"

start_pair 127.239.112.65 127.239.113.65
client=(--config-dir "$WORK/cfg")
offsite "${client[@]}" register "${REGISTER_ARGS[@]}" >/dev/null
mkdir -p "$WORK/data"
printf 'some data\n' >"$WORK/data/file"

config_value() {
  python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))[sys.argv[2]]))' \
    "$WORK/cfg/config.json" "$1"
}

# restart_pair SERVE_OPTIONS...: both servers again, with other announcements.
restart_pair() {
  kill_server primary
  kill_server alternate
  start_offsited primary "$DC" "$PRIMARY" --assign "$PRIMARY,$ALTERNATE" "$@"
  start_offsited alternate "$DC" "$ALTERNATE" --assign "$PRIMARY,$ALTERNATE" "$@"
}
subnets=(--subnet 127.239.112.0/24 --subnet 127.239.113.0/24)

# A new registration pair inside the subnets: saved at the next command.
restart_pair --registration-pair 127.239.112.66:16384,127.239.113.66:16384 "${subnets[@]}"
offsite "${client[@]}" backup "$WORK/data" 2>"$WORK/backup1.err"
[[ $(config_value registration) == '["127.239.112.66:16384", "127.239.113.66:16384"]' ]] ||
  fail "the new registration pair was not saved: $(config_value registration)"

# A map pointing outside the known subnets: refused, warned, nothing saved.
before=$(cat "$WORK/cfg/config.json")
restart_pair --registration-pair 10.1.2.3:16384,127.239.113.66:16384 "${subnets[@]}"
offsite "${client[@]}" backup "$WORK/data" 2>"$WORK/backup2.err"
grep -q "ignored the network map.*10.1.2.3" "$WORK/backup2.err" ||
  fail "no warning about the refused map: $(cat "$WORK/backup2.err")"
[[ $(cat "$WORK/cfg/config.json") == "$before" ]] || fail "a refused map changed the config"

# Renumbering step one: a third subnet announced is added to the known ones.
restart_pair --registration-pair 127.239.112.66:16384,127.239.113.66:16384 "${subnets[@]}" \
  --subnet 127.239.114.0/24
offsite "${client[@]}" snapshots >/dev/null
[[ $(config_value subnets) == *127.239.114.0/24* ]] ||
  fail "the announced subnet was not saved: $(config_value subnets)"
# The operator moves the account to another storage pair: the client learns
# it at its next login, saves it, and uses it once the old pair is gone.
account=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["account_id"])' \
  "$WORK/cfg/credentials.json")
"$OFFSITED_BIN" account set --data "$DC" "$account" \
  --assign 127.239.112.66:16384,127.239.113.66:16384 >/dev/null
start_offsited new-primary "$DC" 127.239.112.66:16384 --registration-pair \
  127.239.112.66:16384,127.239.113.66:16384 "${subnets[@]}" --subnet 127.239.114.0/24
start_offsited new-alternate "$DC" 127.239.113.66:16384 --registration-pair \
  127.239.112.66:16384,127.239.113.66:16384 "${subnets[@]}" --subnet 127.239.114.0/24
offsite "${client[@]}" snapshots >/dev/null
[[ $(config_value storage) == '["127.239.112.66:16384", "127.239.113.66:16384"]' ]] ||
  fail "the new storage pair was not saved: $(config_value storage)"
kill_server primary
kill_server alternate
offsite "${client[@]}" restore latest --target "$WORK/restore" >/dev/null ||
  fail "restore from the new pair failed"
cmp "$WORK/data/file" "$WORK/restore$WORK/data/file"
echo OK
