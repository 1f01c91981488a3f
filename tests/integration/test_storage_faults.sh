#!/usr/bin/env bash
# Storage faults on a running offsited (README "Test-only hooks"): no
# acknowledged object is missing, no unacknowledged one is visible.
# 1. OFFSITE_TEST_FAULT fails one open, write, file fsync, directory fsync
#    (after the object got its name), link and mkdir of the primary. Puts
#    over the wire: each is acknowledged or refused; a refused one is not
#    there (head: not_found, nothing on disk) and its retry creates it (not
#    "already exists"); the refusal names no server path, and the server
#    logs the account, the key and the error.
# 2. fiu-run (libfiu, Debian's fiu-utils) fails fsync at random under real
#    backups: each run succeeds or fails with a clear error; after the
#    faults stop, a backup succeeds, check --read-data passes, the restore
#    is byte-identical, and every object on disk hashes to its name.
source "$(dirname "$0")/lib.sh"
command -v fiu-run >/dev/null || fail "fiu-run is missing: run scripts/install-deps --test"

start_pair 127.239.112.234 127.239.113.234
pair_args=(--assign "$PRIMARY,$ALTERNATE" --registration-pair "$PRIMARY,$ALTERNATE"
  --subnet 127.239.112.0/24 --subnet 127.239.113.0/24)

# restart_primary NAME [CMD...]: the primary again, as NAME, its program
# prefixed with CMD (env, fiu-run).
restart_primary() {
  local name=$1
  shift
  kill_server "$PRIMARY_NAME"
  PRIMARY_NAME=$name
  "$@" "$OFFSITED_BIN" serve --data "$DC" --listen "$PRIMARY" "${pair_args[@]}" \
    >"$WORK/$name.out" 2>"$WORK/$name.err" &
  local pid=$!
  STARTED_PIDS+=("$pid")
  echo "$pid" >"$WORK/$name.pid"
  for _ in $(seq 100); do
    grep -qx "listening on $PRIMARY" "$WORK/$name.out" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || fail "offsited $name exited: $(cat "$WORK/$name.err")"
    sleep 0.1
  done
  fail "offsited $name did not listen on $PRIMARY within 10 s"
}
PRIMARY_NAME=primary

# Every object of the data centre is complete: content-addressed ones hash
# to their name.
check_objects_on_disk() {
  local f name bad=0
  while IFS= read -r -d '' f; do
    name=$(basename "$f")
    [[ $f == */data/* || $f == */index/* || $f == */snapshots/* ]] || continue
    [[ $(sha256sum <"$f" | cut -d' ' -f1) == "$name" ]] || {
      echo "incomplete object: $f" >&2
      bad=1
    }
  done < <(find "$DC/store/accounts" -type f -print0)
  ((bad == 0)) || fail "objects on disk do not hash to their names"
}

# --- 1. one fault of each kind, put by put -----------------------------------
restart_primary faults env OFFSITE_TEST_FAULT=open:4,write:8,fsync:12,dirsync:16,rename:20,mkdir:6
python3 - "$PRIMARY" "$DC" "$WORK/faults.err" <<'PY' || fail "puts under faults (see above)"
import hashlib, os, sys
sys.path.insert(0, os.environ["TESTS_DIR"] + "/integration")
from offsite_wire import Conn, configure, register, REPLY_OK
server, dc, log = sys.argv[1:4]
configure(dc + "/identity/ca.pem")
account = register(server)
c = Conn(server)
c.auth(account)
repo = f"{dc}/store/accounts/{account['account_id']}/repo/"
acknowledged, refused = [], []
def object_under_00():
    """Random bytes whose name falls in data/00/: one directory, so that the
    Nth call of each operation is the same step of the same put every run."""
    base = os.urandom(50000)
    for n in range(1 << 20):
        data = base + n.to_bytes(4, "big")
        name = hashlib.sha256(data).hexdigest()
        if name.startswith("00"):
            return data, name
    raise AssertionError("no name under data/00/")
for i in range(40):
    data, name = object_under_00()
    key = f"data/{name[:2]}/{name}"
    for attempt in range(3):
        op, h, _ = c.call("put", {"key": key}, data)
        if op == REPLY_OK:
            # A retry after a refusal must create the object, never find it.
            assert h["created"] is True, (key, attempt, h)
            acknowledged.append(key)
            break
        refused.append(key)
        assert h["code"] in ("internal", "no_space"), h
        assert dc not in h["message"] and "/store/" not in h["message"], h["message"]
        assert key in h["message"], h["message"]
        # Nothing of the refused put is visible, to the protocol or on disk.
        assert c.error("head", {"key": key}) == "not_found", key
        assert not os.path.exists(repo + key), key
    else:
        raise AssertionError(f"{key} refused three times")
assert len(refused) >= 5, f"only {len(refused)} faults reached the puts: {refused}"
listed = c.keys("data/")
for key in acknowledged:
    assert key in listed, key
    with open(repo + key, "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == key.rsplit("/", 1)[1], key
text = open(log).read()
for key in refused:
    assert account["account_id"] in text and key in text, f"{key} is not in the server's log"
# Each kind of fault reached a put: mkdir, open (mkstemp), write, file fsync,
# link, and the directory fsync after the link (data/00/ existed by then).
for what in ("cannot create directory", "cannot create a file in", "cannot write",
             "cannot sync directory " + repo + "data/00:", "cannot sync " + repo + "data/00/",
             "cannot create " + repo + "data/00/"):
    assert what in text, f"no fault of the kind '{what}' in the server's log:\n{text}"
print(f"{len(acknowledged)} puts acknowledged, {len(refused)} refused and retried")
PY
grep -q "put data/.* failed: cannot" "$WORK/faults.err" ||
  fail "the server did not log the failed puts: $(cat "$WORK/faults.err")"
check_objects_on_disk

# --- 2. random fsync failures under real backups (libfiu) ---------------------
cfg=(--config-dir "$WORK/config")
offsite "${cfg[@]}" register "${REGISTER_ARGS[@]}" >/dev/null
mkdir -p "$WORK/src"
make_tree "$WORK/src"
for i in 1 2 3; do head -c 20000000 /dev/urandom >"$WORK/src/big-$i.bin"; done
restart_primary fiu fiu-run -x -f "" \
  -c "enable_random name=posix/io/sync/fsync,probability=0.2,failinfo=5" --
failed=0
for run in 1 2 3 4 5 6; do
  printf 'run %s\n' "$run" >>"$WORK/src/changing.txt"
  status=0
  offsite "${cfg[@]}" backup "$WORK/src" >"$WORK/fiu-$run.out" 2>&1 || status=$?
  if ((status != 0)); then
    # A clean failure: offsite's own error and exit code, never a crash.
    ((status < 128)) || fail "run $run: exit $status: $(cat "$WORK/fiu-$run.out")"
    grep -q '^offsite: error: ' "$WORK/fiu-$run.out" ||
      fail "run $run: no error message: $(cat "$WORK/fiu-$run.out")"
    failed=$((failed + 1))
  fi
  # The primary lives through the faults.
  kill -0 "$(cat "$WORK/fiu.pid")" || fail "offsited died under fsync faults: $(cat "$WORK/fiu.err")"
done
grep -q "failed: cannot sync" "$WORK/fiu.err" || fail "no fsync fault reached a put in 6 backups"
echo "$failed of 6 backups failed under fsync faults; the first error: $(grep -h -m1 '^offsite: error' "$WORK"/fiu-*.out 2>/dev/null | head -n1)"
check_objects_on_disk

# Without faults, the retried backup completes and everything reads back.
restart_primary plain env
offsite "${cfg[@]}" backup "$WORK/src" >"$WORK/final.out" 2>&1 ||
  fail "the backup after the faults failed: $(cat "$WORK/final.out")"
offsite "${cfg[@]}" check --read-data >"$WORK/check.out" 2>&1 ||
  fail "check --read-data after the faults: $(cat "$WORK/check.out")"
offsite "${cfg[@]}" restore latest --target "$WORK/restore" >/dev/null
compare_trees "$WORK/src" "$WORK/restore$WORK/src"
check_objects_on_disk
echo ok
