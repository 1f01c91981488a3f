#!/usr/bin/env bash
# check on a data-centre account: one flipped bit in one stored pack on the
# server's disk passes the structure check, and check --read-data fails with
# the integrity exit code naming the pack, the affected snapshots and the
# file, in text and in JSON. A deleted pack is found by the plain check.
source "$(dirname "$0")/lib.sh"

start_pair 127.239.112.94 127.239.113.94
cfg=(--config-dir "$WORK/cfg")
offsite "${cfg[@]}" register "${REGISTER_ARGS[@]}" >"$WORK/register.out"
account=$(sed -n 's/^registered account \([0-9a-f]*\) .*/\1/p' "$WORK/register.out")
repo=$DC/store/accounts/$account/repo
json_field() { python3 -c 'import json,sys; print(json.loads(sys.stdin.readlines()[-1])[sys.argv[1]])' "$1"; }
packs() { find "$repo/data" -type f -printf '%f\n' | sort; }

data=$WORK/data
mkdir -p "$data"
head -c 5000000 /dev/urandom >"$data/big.bin"
printf 'small\n' >"$data/small.txt"
snap1=$(offsite "${cfg[@]}" --json backup "$data" | json_field snapshot_id)
[[ $(packs | wc -l) == 2 ]] || fail "expected a pack of data and one of trees: $(packs)"
largest() { find "$repo/data" -type f -printf '%s %f\n' | grep -v " $1\$" | sort -n | tail -n1 | cut -d' ' -f2; }
pack1=$(largest none) # the data
# Large enough to fill one 16 MiB pack with its data alone; the trees go
# to a pack of their own.
head -c 18000000 /dev/urandom >"$data/other.bin"
snap2=$(offsite "${cfg[@]}" --json backup "$data" | json_field snapshot_id)
pack2=$(largest "$pack1")
(($(packs | wc -l) >= 4)) || fail "expected new packs of data and trees after the second backup: $(packs)"

offsite "${cfg[@]}" check
offsite "${cfg[@]}" check --read-data

# Bit rot in the middle of the first data pack: inside big.bin's data, which both
# snapshots use (trees are a few hundred bytes of its 5 MB).
pack1_path=$repo/data/${pack1:0:2}/$pack1
flip() {
  python3 - "$1" <<'PY'
import os, sys
path = sys.argv[1]
with open(path, "r+b") as f:
    f.seek(os.path.getsize(path) // 2)
    b = f.read(1)
    f.seek(-1, 1)
    f.write(bytes([b[0] ^ 0x04]))
PY
}
flip "$pack1_path"

offsite "${cfg[@]}" check >"$WORK/structure.out" 2>&1 ||
  fail "the structure check failed on a same-size pack: $(cat "$WORK/structure.out")"

expect_exit 8 offsite "${cfg[@]}" check --read-data
offsite "${cfg[@]}" check --read-data >"$WORK/read.out" 2>&1 || true
for want in "pack $pack1 is damaged" "snapshot ${snap1:0:8}: $data/big.bin" \
  "snapshot ${snap2:0:8}: $data/big.bin" "check found 1 problem" "offsite forget"; do
  grep -qF -- "$want" "$WORK/read.out" || fail "check --read-data did not say \"$want\": $(cat "$WORK/read.out")"
done
grep -qF "small.txt" "$WORK/read.out" && fail "an intact file was named: $(cat "$WORK/read.out")"

expect_exit 8 offsite "${cfg[@]}" --json check --read-data
offsite "${cfg[@]}" --json check --read-data >"$WORK/read.json" || true
python3 - "$WORK/read.json" "$pack1" "$snap1" "$snap2" "$data/big.bin" <<'PY' || fail "check --read-data JSON: $(cat "$WORK/read.json")"
import json, sys
path, pack, snap1, snap2, file = sys.argv[1:]
lines = [json.loads(l) for l in open(path)]
assert all("type" in l for l in lines), lines
problems = [l for l in lines if l["type"] == "problem"]
assert len(problems) == 1, problems
p = problems[0]
assert p["kind"] == "pack_damaged" and p["pack"] == pack, p
assert {(a["snapshot_id"], a["path"]) for a in p["affected"]} == {(snap1, file), (snap2, file)}, p
s, e = lines[-2:]
assert s["type"] == "summary" and s["ok"] is False and s["errors"] == 1, s
assert e["type"] == "error" and e["code"] == "integrity_error" and e["exit_code"] == 8, e
assert s["damaged_packs"] == [pack] and sorted(s["affected_snapshots"]) == sorted([snap1, snap2]), s
PY

# Subsets: n/m groups packs by the leading digits of their names, so the
# group without the damaged pack passes and the one with it fails.
group=$((0x${pack1:0:8} % 2 + 1))
offsite "${cfg[@]}" check --read-data-subset "$((3 - group))/2"
expect_exit 8 offsite "${cfg[@]}" check --read-data-subset "$group/2"
expect_exit 8 offsite "${cfg[@]}" check --read-data-subset 100%
expect_exit 2 offsite "${cfg[@]}" check --read-data-subset 0/3

# Undo the damage; then a deleted pack is found by the plain check.
flip "$pack1_path"
offsite "${cfg[@]}" check --read-data
rm "$repo/data/${pack2:0:2}/$pack2"
expect_exit 8 offsite "${cfg[@]}" check
offsite "${cfg[@]}" check >"$WORK/missing.out" 2>&1 || true
for want in "pack $pack2 is missing" "snapshot ${snap2:0:8}: $data/other.bin"; do
  grep -qF -- "$want" "$WORK/missing.out" || fail "check did not say \"$want\": $(cat "$WORK/missing.out")"
done
offsite "${cfg[@]}" --json check >"$WORK/missing.json" || true
python3 - "$WORK/missing.json" "$pack2" "$snap2" "$data/other.bin" <<'PY' || fail "check JSON: $(cat "$WORK/missing.json")"
import json, sys
path, pack, snap2, file = sys.argv[1:]
lines = [json.loads(l) for l in open(path)]
missing = [l for l in lines if l["type"] == "problem" and l["kind"] == "pack_missing"]
assert len(missing) == 1 and missing[0]["pack"] == pack, lines
assert {"snapshot_id": snap2, "path": file} in missing[0]["affected"], missing
assert lines[-2]["type"] == "summary" and lines[-2]["ok"] is False, lines[-2]
assert lines[-1]["type"] == "error" and lines[-1]["code"] == "integrity_error", lines[-1]
PY
echo "ok"
