#!/usr/bin/env bash
# Memory stays bounded by the pipeline, not by file size: backing up and
# restoring a 2 GiB file (sparse, so the test needs no disk) keeps the
# client's peak RSS far below the file's size.
source "$(dirname "$0")/lib.sh"

repo=(--repo "$WORK/repo")
mkdir -p "$WORK/data"
truncate -s 2G "$WORK/data/big.img"
head -c 5000000 /dev/urandom | dd of="$WORK/data/big.img" bs=1M seek=1000 conv=notrunc status=none
offsite "${repo[@]}" init >/dev/null

# Peak RSS of a child, in MiB, measured by the kernel (ru_maxrss).
peak_rss_mib() {
  python3 - "$@" <<'PY'
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)
PY
}

rss=$(peak_rss_mib "$OFFSITE_BIN" --password-file "$WORK/passphrase" "${repo[@]}" backup "$WORK/data")
echo "backup peak RSS: $rss MiB"
(( rss < 384 )) || fail "backup of a 2 GiB file used $rss MiB"

rss=$(peak_rss_mib "$OFFSITE_BIN" --password-file "$WORK/passphrase" "${repo[@]}" restore latest --target "$WORK/restore")
echo "restore peak RSS: $rss MiB"
(( rss < 384 )) || fail "restore of a 2 GiB file used $rss MiB"
cmp "$WORK/data/big.img" "$WORK/restore$WORK/data/big.img"
echo ok
