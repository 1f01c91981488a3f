#!/usr/bin/env bash
# offsite dump through a data-centre pair (issue 18): a file larger than
# 1 GiB streams to stdout byte-identical in bounded memory (peak RSS under
# 256 MiB); a directory as a tar unpacks to a tree equal to the original
# (bytes, modes, mtimes, symlinks, hardlinks), as a zip to the same bytes; a
# --stdin backup round-trips through dump; bad references get usage errors;
# damaged data stops the dump of one file naming it, never a wrong byte; an
# archive goes on past damaged files of any size, naming each.
source "$(dirname "$0")/lib.sh"

start_pair 127.239.112.45 127.239.113.45
cfg=(--config-dir "$WORK/cfg")
offsite "${cfg[@]}" register "${REGISTER_ARGS[@]}" >/dev/null
data=$WORK/data
make_tree "$data"
mkdir -p "$data/big"
head -c $((1100 << 20)) /dev/urandom >"$data/big/huge.bin"
# Over the 32 MiB an archive entry is read whole at: read twice instead.
head -c $((40 << 20)) /dev/urandom >"$data/big/large.bin"
offsite "${cfg[@]}" backup "$data" >/dev/null 2>&1 || fail "backup"

# A file over 1 GiB: identical bytes, peak RSS under 256 MiB.
/usr/bin/time -f '%M' -o "$WORK/rss" "$OFFSITE_BIN" --password-file "$WORK/passphrase" "${cfg[@]}" \
  dump "latest:$data/big/huge.bin" | sha256sum >"$WORK/dumped.sha"
[[ $(cut -d' ' -f1 "$WORK/dumped.sha") == $(sha256sum <"$data/big/huge.bin" | cut -d' ' -f1) ]] ||
  fail "the dumped 1.1 GiB file differs from the original"
rss_kib=$(tail -n1 "$WORK/rss")
((rss_kib < 256 * 1024)) || fail "dump of a 1.1 GiB file peaked at $rss_kib KiB"
rm "$data/big/huge.bin"
offsite "${cfg[@]}" backup "$data" >/dev/null 2>&1 || fail "second backup"

# The second form (SNAPSHOT PATH) gives the same bytes.
offsite "${cfg[@]}" dump latest "$data/sub/random.bin" | cmp - "$data/sub/random.bin" ||
  fail "dump latest PATH differs"

# A directory as tar: a tree equal to the original.
offsite "${cfg[@]}" dump "latest:$data" >"$WORK/data.tar" || fail "dump as tar"
mkdir -p "$WORK/untar"
tar --xattrs -xpf "$WORK/data.tar" -C "$WORK/untar" || fail "tar could not read the dump"
compare_trees "$data" "$WORK/untar/data" --no-sparse

# zip: the same bytes for every regular file.
offsite "${cfg[@]}" dump "latest:$data" --archive zip --target "$WORK/data.zip" || fail "dump as zip"
python3 - "$WORK/data.zip" "$data" <<'PY' || fail "zip contents differ"
import os, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
# Raw name bytes: zipfile decodes names without the UTF-8 flag as cp437.
names = {(i.filename.encode("utf-8") if i.flag_bits & 0x800 else i.filename.encode("cp437")): i
         for i in z.infolist()}
root = os.fsencode(sys.argv[2])
count = 0
for d, _, files in os.walk(root):
    for f in files:
        path = os.path.join(d, f)
        if os.path.islink(path) or not os.path.isfile(path):
            continue
        rel = b"data/" + os.path.relpath(path, root)
        assert rel in names, rel
        assert z.read(names[rel]) == open(path, "rb").read(), rel
        count += 1
assert count >= 10, count
PY

# --stdin round trip.
printf 'create table t (x int);\ninsert into t values (1);\n' >"$WORK/db.sql"
offsite "${cfg[@]}" backup --stdin --stdin-filename db.sql <"$WORK/db.sql" >/dev/null 2>&1
offsite "${cfg[@]}" dump latest:/db.sql | cmp - "$WORK/db.sql" || fail "--stdin round trip"

# Bad references: usage errors that say what to write.
expect_exit 2 offsite "${cfg[@]}" dump latest
expect_exit 2 offsite "${cfg[@]}" dump latest relative/path
expect_exit 9 offsite "${cfg[@]}" dump latest:/no/such/file
ln -sf /etc/hostname "$data/a-link"
offsite "${cfg[@]}" backup "$data" >/dev/null 2>&1
expect_exit 2 offsite "${cfg[@]}" dump "latest:$data/a-link" 2>"$WORK/link.err"
grep -q "symlink, which has no bytes to dump" "$WORK/link.err" || fail "symlink: $(cat "$WORK/link.err")"

# Damage: a flipped byte in every pack stops the dump with exit 8 naming the
# file; what reached stdout is a prefix of the original, never other bytes.
head -c 3000000 /dev/urandom >"$data/victim.bin"
offsite "${cfg[@]}" backup "$data" >/dev/null 2>&1
account_dir=$(find "$DC/store/accounts" -mindepth 1 -maxdepth 1 -type d | head -n1)
# Packs of file data only: a small pack at the end of a backup holds the
# last trees, and a flipped tree would hide the files below it (tested apart).
for pack in $(find "$account_dir/repo/data" -type f -size +1M); do
  python3 - "$pack" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0x01
open(p, "wb").write(bytes(b))
PY
done
expect_exit 8 offsite "${cfg[@]}" dump "latest:$data/victim.bin" >"$WORK/victim.out" 2>"$WORK/victim.err"
grep -q "dump stopped at .*victim.bin.*damaged or missing" "$WORK/victim.err" ||
  fail "damage not named: $(cat "$WORK/victim.err")"
cmp -n "$(stat -c %s "$WORK/victim.out")" "$WORK/victim.out" "$data/victim.bin" ||
  fail "dump wrote bytes that are not the original's"

# An archive goes on past damage: damaged files are left out and named, the
# archive is complete (tar reads it to the end) and holds only intact bytes.
expect_exit 8 offsite "${cfg[@]}" dump "latest:$data" >"$WORK/damaged.tar" 2>"$WORK/damaged.err"
grep -q "left out of the archive: its data is damaged or missing" "$WORK/damaged.err" ||
  fail "no file named as left out: $(cat "$WORK/damaged.err")"
grep -q "file.* left out of the archive because" "$WORK/damaged.err" || fail "no closing error: $(cat "$WORK/damaged.err")"
grep -q "big/large.bin.*: left out of the archive: its data is damaged" "$WORK/damaged.err" ||
  fail "a damaged file over 32 MiB is not left out by name: $(cat "$WORK/damaged.err")"
mkdir -p "$WORK/untar2"
tar -xf "$WORK/damaged.tar" -C "$WORK/untar2" 2>/dev/null || fail "the archive past damage is not complete"
python3 - "$data" "$WORK/untar2/data" "$WORK/damaged.err" <<'PY' || fail "the archive past damage holds other bytes"
import os, sys
data, out, err = sys.argv[1:]
left_out = {l.split(": left out of the archive")[0].split("warning: ", 1)[1]
            for l in open(err, errors="replace") if ": left out of the archive:" in l}
found = 0
for d, _, files in os.walk(out):
    for f in files:
        p = os.path.join(d, f)
        if os.path.islink(p) or not os.path.isfile(p):
            continue
        orig = os.path.join(data, os.path.relpath(p, out))
        assert open(p, "rb").read() == open(orig, "rb").read(), p
        assert orig not in left_out, orig
        found += 1
assert found > 0 and left_out, (found, left_out)
PY
echo "ok"
