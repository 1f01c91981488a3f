#!/usr/bin/env bash
# The benchmark harness (bench/run, issue 9) on a 20 MiB tree, one run: the
# table has every tool's column and every step's row, and every restore was
# verified. Also: the generator is deterministic (same seed, same tree,
# names, modes and times included), a different seed gives a different tree,
# and the mutator is deterministic and changes about the share asked for.
source "$(dirname "$0")/lib.sh"

: "${BENCH_TOOLS_DIR:=$BUILD_DIR/bench}"
gen=$BENCH_TOOLS_DIR/offsite-benchgen

# Every entry's name, type, size, mode, time and link target, then every
# file's SHA-256.
tree_manifest() {
  (
    cd "$1" || exit 1
    find . -printf '%P %y %s %m %T@ %l\n' | LC_ALL=C sort
    find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
  )
}

"$gen" generate --seed 3 --size 5M "$WORK/a" >"$WORK/a.json"
"$gen" generate --seed 3 --size 5M "$WORK/b" >/dev/null
"$gen" generate --seed 4 --size 5M "$WORK/c" >/dev/null
[[ $(tree_manifest "$WORK/a") == "$(tree_manifest "$WORK/b")" ]] ||
  fail "two generations with seed 3 differ"
[[ $(tree_manifest "$WORK/a") != "$(tree_manifest "$WORK/c")" ]] ||
  fail "seeds 3 and 4 gave the same tree"
python3 - "$WORK/a.json" <<'PY' || fail "generate's report: $(cat "$WORK/a.json")"
import json, sys
r = json.load(open(sys.argv[1]))
size = 5 << 20
assert 0.97 * size <= r["bytes"] <= size, r
assert 0.35 * size <= r["text_bytes"] <= 0.41 * size, r
assert 0.35 * size <= r["binary_bytes"] <= 0.41 * size, r
assert 0.17 * size <= r["small_bytes"] <= 0.21 * size, r
assert r["files"] > 200 and r["symlinks"] >= 3 and r["dirs"] > 10, r
assert r["duplicate_bytes"] > 0 and r["shared_version_bytes"] > 0, r
PY

cp -a "$WORK/a" "$WORK/m1"
cp -a "$WORK/a" "$WORK/m2"
"$gen" mutate --seed 1 --percent 5 "$WORK/m1" >"$WORK/mutate.json"
"$gen" mutate --seed 1 --percent 5 "$WORK/m2" >/dev/null
[[ $(tree_manifest "$WORK/m1") == "$(tree_manifest "$WORK/m2")" ]] ||
  fail "two mutations with seed 1 of the same tree differ"
# The changed share, measured from the trees themselves: new and deleted
# files count whole, appends and same-size overwrites by the bytes that
# differ, other edits (insertions in text) by the lines they added.
python3 - "$WORK/a" "$WORK/m1" <<'PY' || fail "mutate changed the wrong share: $(cat "$WORK/mutate.json")"
import difflib, os, sys

def files(root):
    out = {}
    for d, _, names in os.walk(root):
        for n in names:
            p = os.path.join(d, n)
            if os.path.isfile(p) and not os.path.islink(p):
                out[os.path.relpath(p, root)] = p
    return out

before, after = files(sys.argv[1]), files(sys.argv[2])
total = sum(os.path.getsize(p) for p in before.values())
changed = 0
for rel in set(before) | set(after):
    if rel not in after:
        changed += os.path.getsize(before[rel])
        continue
    if rel not in before:
        changed += os.path.getsize(after[rel])
        continue
    old, new = open(before[rel], "rb").read(), open(after[rel], "rb").read()
    if old == new:
        continue
    if new.startswith(old):
        changed += len(new) - len(old)
    elif len(new) == len(old):
        changed += sum(1 for x, y in zip(old, new) if x != y)
    else:
        a, b = old.splitlines(True), new.splitlines(True)
        for tag, _, _, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
            if tag in ("replace", "insert"):
                changed += sum(len(line) for line in b[j1:j2])
share = 100 * changed / total
print(f"mutate --percent 5 changed {share:.2f}% of the tree")
assert 4.0 <= share <= 7.0, share
PY

"$SOURCE_DIR/bench/run" --size 20M --runs 1 --build "$BUILD_DIR" --work "$WORK/bench" \
  --output "$WORK/results.md" --limit-seconds 0.5 --address-octet 150 >"$WORK/bench.out" \
  2>"$WORK/bench.err" || fail "bench/run failed: $(tail -n 30 "$WORK/bench.err")"
grep -qx '| step | metric | offsite | restic | restic-rest | borg | offsite / best peer |' \
  "$WORK/bench.out" || fail "no table header with every tool: $(cat "$WORK/bench.out")"
for step in "first backup" "unchanged" "5% changed" "restore"; do
  for metric in "wall s" "CPU s (client)" "CPU s (server)" "client peak RSS MiB" \
    "server peak RSS MiB" "stored MiB"; do
    grep -qF "| $step | $metric | " "$WORK/bench.out" || fail "no row for $step, $metric"
  done
done
grep -qx 'All 4 restores verified against the changed tree.' "$WORK/bench.out" ||
  fail "the restores were not verified"
grep -qF '| **limit: the slowest' "$WORK/bench.out" || fail "no machine limit in the report"
cmp -s "$WORK/bench.out" "$WORK/results.md" || fail "--output differs from what was printed"
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert len(d["runs"]) == 1' \
  "$WORK/results.json" || fail "no JSON results next to --output"
[[ ! -e $WORK/bench ]] || fail "bench/run left its work directory without --keep"
