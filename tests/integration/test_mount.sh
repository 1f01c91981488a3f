#!/usr/bin/env bash
# offsite mount through a data-centre pair (issue 18): the layout (ids/,
# hosts/, tags/, latest), ls, cat, sha256sum, cp -a and diff -r of a tree
# with hostile names, sparse and larger files through the mount; a read in
# the middle of a 1.1 GiB file receives no more than its pack; a damaged blob fails that file with EIO (named
# on stderr) while the others still read; SIGTERM unmounts and exits 0, as
# do fusermount3 -u and SIGINT; a kill -9 of the primary during a read fails over.
source "$(dirname "$0")/lib.sh"

command -v fusermount3 >/dev/null || fail "fusermount3 is missing (Debian package fuse3)"
[[ -c /dev/fuse ]] || fail "/dev/fuse is missing"

start_pair 127.239.112.147 127.239.113.147
cfg=(--config-dir "$WORK/cfg")
offsite "${cfg[@]}" register "${REGISTER_ARGS[@]}" >/dev/null
data=$WORK/data
make_tree "$data"
head -c $((100 << 20)) /dev/urandom >"$data/large.bin"
# A file over 1 GiB in a snapshot of its own (the tree's is read whole below).
mkdir -p "$WORK/big"
head -c $((1100 << 20)) /dev/urandom >"$WORK/big/huge.bin"
offsite "${cfg[@]}" backup "$WORK/big" >/dev/null 2>&1 || fail "backup of the huge file"
offsite "${cfg[@]}" backup --tag nightly "$data" >/dev/null 2>&1 || fail "backup"
snapshot_of() { # PATH: the short ID of the snapshot of PATH
  offsite "${cfg[@]}" --json snapshots | python3 -c '
import json, sys
print([s for s in json.load(sys.stdin)["snapshots"] if s["paths"] == [sys.argv[1]]][0]["id"][:8])' "$1"
}
first=$(snapshot_of "$data")
big=$(snapshot_of "$WORK/big")

mnt=$WORK/mnt
mkdir -p "$mnt"
MOUNT_PID=
unmount_all() {
  if mountpoint -q "$mnt" 2>/dev/null; then fusermount3 -u "$mnt" 2>/dev/null || true; fi
  if [[ -n $MOUNT_PID ]]; then
    for _ in $(seq 50); do kill -0 "$MOUNT_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$MOUNT_PID" 2>/dev/null || true
    if mountpoint -q "$mnt" 2>/dev/null; then fusermount3 -u -z "$mnt" 2>/dev/null || true; fi
  fi
  cleanup
}
trap unmount_all EXIT

# start_mount: offsite mount in the background, until the kernel has it (bounded: 30 s).
start_mount() {
  "$OFFSITE_BIN" --password-file "$WORK/passphrase" "${cfg[@]}" mount "$mnt" \
    >"$WORK/mount.out" 2>"$WORK/mount.err" &
  MOUNT_PID=$!
  for _ in $(seq 300); do
    mountpoint -q "$mnt" && return 0
    kill -0 "$MOUNT_PID" 2>/dev/null || fail "mount exited early: $(cat "$WORK/mount.err")"
    sleep 0.1
  done
  fail "not mounted after 30 s: $(cat "$WORK/mount.err")"
}

# wait_mount_exit: until the process has exited (bounded: 20 s); its status.
wait_mount_exit() {
  for _ in $(seq 200); do
    kill -0 "$MOUNT_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$MOUNT_PID" 2>/dev/null && fail "offsite mount did not exit"
  local status=0
  wait "$MOUNT_PID" || status=$?
  MOUNT_PID=
  return "$status"
}

# Bad mount points: usage errors.
expect_exit 2 offsite "${cfg[@]}" mount "$WORK/no-such-dir"
expect_exit 2 offsite "${cfg[@]}" mount "$data/hello.txt"

start_mount
ls "$mnt" >"$WORK/top"
[[ $(cat "$WORK/top") == $'hosts\nids\nlatest\ntags' ]] || fail "top level: $(cat "$WORK/top")"
[[ $(readlink "$mnt/latest") == "ids/$first" ]] || fail "latest -> $(readlink "$mnt/latest")"
host_dir=$(find "$mnt/hosts" -mindepth 1 -maxdepth 1)
[[ -d $host_dir/$(readlink "$host_dir/latest") ]] || fail "hosts/<host>/latest: $(ls -l "$host_dir")"
[[ $(ls "$mnt/tags") == nightly ]] || fail "tags: $(ls "$mnt/tags")"
snap=$mnt/ids/$first$data
# A read in the middle of the 1.1 GiB file, first of all: it fetches only
# the blobs it covers. The bytes the mount's connections to the data centre
# received (ss) stay below one pack and a half (packs are 16 MiB).
net_received() {
  ss -tinpH state established '( dport = :16384 )' | awk -v pid="pid=$MOUNT_PID," '
    /users:/ { mine = index($0, pid) > 0 }
    mine && match($0, /bytes_received:[0-9]+/) { sum += substr($0, RSTART + 15, RLENGTH - 15) }
    END { print sum + 0 }'
}
before=$(net_received)
((before > 0)) || fail "no connection of the mount (pid $MOUNT_PID) to the data centre: $(ss -tinp)"
huge=$mnt/ids/$big$WORK/big/huge.bin
[[ $(stat -c %s "$huge") == $((1100 << 20)) ]] || fail "size of huge.bin: $(stat -c %s "$huge")"
cmp <(dd if="$huge" bs=4096 skip=140000 count=3 status=none) \
  <(dd if="$WORK/big/huge.bin" bs=4096 skip=140000 count=3 status=none) || fail "read in the middle"
read_bytes=$(($(net_received) - before))
((read_bytes > 0 && read_bytes < 24 << 20)) || fail "a 12 KiB read in the middle received $read_bytes bytes"
[[ $(cat "$snap/hello.txt") == "hello offsite" ]] || fail "cat hello.txt"
[[ $(sha256sum <"$snap/large.bin") == $(sha256sum <"$data/large.bin") ]] || fail "sha256 of large.bin"
[[ $(stat -c %a "$snap/sub") == 751 ]] || fail "mode of sub: $(stat -c %a "$snap/sub")"
[[ $(readlink "$snap/link-to-hello") == hello.txt ]] || fail "symlink target"
[[ $(stat -c %h "$snap/hello.txt") == 2 ]] || fail "hardlink count"
if getfattr -n user.offsite "$data/sub/random.bin" >/dev/null 2>&1; then
  [[ $(getfattr --only-values -n user.offsite "$snap/sub/random.bin") == "attribute value" ]] ||
    fail "xattr through the mount"
fi
# (diff compares no fifos or devices, only says what they are.)
diff -r --no-dereference -x fifo -x null-device "$data" "$snap" >"$WORK/diff.out" 2>&1 ||
  fail "diff -r: $(head "$WORK/diff.out")"
cp -a "$snap" "$WORK/copy"
compare_trees "$data" "$WORK/copy" --no-sparse
# Read-only.
if (echo x >"$snap/hello.txt") 2>/dev/null; then fail "a write through the mount succeeded"; fi

# SIGTERM unmounts, exit 0.
kill -TERM "$MOUNT_PID"
wait_mount_exit || fail "offsite mount exited $? after SIGTERM: $(cat "$WORK/mount.err")"
mountpoint -q "$mnt" && fail "still mounted after SIGTERM"

# Damage: a flipped byte in the pack of a newly backed-up file; reading it
# fails with EIO and names it, other files (older packs) still read.
account_dir=$(find "$DC/store/accounts" -mindepth 1 -maxdepth 1 -type d | head -n1)
find "$account_dir/repo/data" -type f | sort >"$WORK/packs.before"
head -c 3000000 /dev/urandom >"$data/victim.bin"
offsite "${cfg[@]}" backup "$data" >/dev/null 2>&1 || fail "second backup"
find "$account_dir/repo/data" -type f | sort >"$WORK/packs.after"
victim_pack=$(comm -13 "$WORK/packs.before" "$WORK/packs.after" | xargs ls -S | head -n1)
python3 - "$victim_pack" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0x01
open(p, "wb").write(bytes(b))
PY
start_mount
latest=$mnt/latest$data
if cat "$latest/victim.bin" >/dev/null 2>"$WORK/cat.err"; then fail "a damaged file read without error"; fi
grep -q "Input/output error" "$WORK/cat.err" || fail "not EIO: $(cat "$WORK/cat.err")"
grep -q "victim.bin.*damaged or missing" "$WORK/mount.err" || fail "damage not named: $(cat "$WORK/mount.err")"
cmp "$latest/sub/random.bin" "$data/sub/random.bin" || fail "an intact file next to the damage"

# A kill -9 of the primary during a read: the read goes on through the
# alternate, byte-identical.
sha256sum <"$latest/large.bin" >"$WORK/large.sha" &
reader=$!
sleep 0.3
kill -0 "$reader" 2>/dev/null || fail "the read ended before the primary was killed"
kill_server primary KILL
wait "$reader" || fail "the read during the failover failed: $(cat "$WORK/mount.err")"
grep -q "other server\|alternate\|127.239.113.147" "$WORK/mount.err" ||
  fail "no failover was reported: $(cat "$WORK/mount.err")"
[[ $(cat "$WORK/large.sha") == $(sha256sum <"$data/large.bin") ]] ||
  fail "the file read during the failover differs"

# fusermount3 -u ends the command, exit 0.
fusermount3 -u "$mnt"
wait_mount_exit || fail "offsite mount exited $? after fusermount3 -u: $(cat "$WORK/mount.err")"
mountpoint -q "$mnt" && fail "still mounted after fusermount3 -u"

# Ctrl-C (SIGINT) too, with only the alternate left.
start_mount
kill -INT "$MOUNT_PID"
wait_mount_exit || fail "offsite mount exited $? after SIGINT: $(cat "$WORK/mount.err")"
mountpoint -q "$mnt" && fail "still mounted after SIGINT"
echo "ok"
