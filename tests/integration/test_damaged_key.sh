#!/usr/bin/env bash
# A damaged key file is told apart from a wrong passphrase (issue 16,
# sections 1 and 3): the only key file cut short gives "damaged key file
# keys/<id>" with the integrity exit code (8) and names the way back (the
# key export), not "wrong passphrase"; a damaged or planted key file beside
# an intact one is skipped with a warning and the intact one still opens; a
# planted key file asking for 2 GiB of scrypt memory is never run (the
# command stays small and quick) and never opens, even with its own
# passphrase; the key export brings access back.
source "$(dirname "$0")/lib.sh"

repo=(--repo "$WORK/repo")
offsite "${repo[@]}" init >/dev/null
mkdir -p "$WORK/data"
printf 'keep me\n' >"$WORK/data/file.txt"
offsite "${repo[@]}" backup "$WORK/data" >/dev/null
offsite "${repo[@]}" key export --output "$WORK/export.json" >/dev/null
key=$(ls "$WORK/repo/keys")
cp "$WORK/repo/keys/$key" "$WORK/key.good"

# Planted beside the intact key (sorted first, so it is tried first): huge
# scrypt parameters, with a passphrase of its own.
python3 - "$WORK/key.good" "$WORK/repo/keys/0000000000000000" <<'EOF'
import json, sys
k = json.load(open(sys.argv[1]))
k["kdf"]["n"] = 1 << 21  # 2 GiB with r = 8
open(sys.argv[2], "w").write(json.dumps(k))
EOF
# Memory-bounded: running that scrypt would need 2 GiB.
(ulimit -v 1000000 && offsite "${repo[@]}" snapshots >"$WORK/planted.out" 2>"$WORK/planted.err") ||
  fail "the planted key file stopped the command: $(cat "$WORK/planted.err")"
grep -q '^1 snapshot$' "$WORK/planted.out" || fail "snapshots: $(cat "$WORK/planted.out")"
grep -q "key file keys/0000000000000000 was skipped.*scrypt" "$WORK/planted.err" ||
  fail "no warning for the planted file: $(cat "$WORK/planted.err")"
# A wrong passphrase is still a wrong passphrase (exit 6), naming the skipped file.
printf 'not it\n' >"$WORK/wrong"
out=$( (ulimit -v 1000000 && "$OFFSITE_BIN" --password-file "$WORK/wrong" "${repo[@]}" snapshots) 2>&1) &&
  fail "a wrong passphrase opened"
expect_exit 6 "$OFFSITE_BIN" --password-file "$WORK/wrong" "${repo[@]}" snapshots 2>/dev/null
[[ $out == *"wrong passphrase"*"keys/0000000000000000"* ]] || fail "wrong passphrase: $out"
rm "$WORK/repo/keys/0000000000000000"

# The only key file, cut short: damaged (exit 8), not a wrong passphrase.
head -c 100 "$WORK/key.good" >"$WORK/repo/keys/$key"
out=$(offsite "${repo[@]}" snapshots 2>&1) && fail "a damaged key file opened"
expect_exit 8 offsite "${repo[@]}" snapshots 2>/dev/null
[[ $out == *"damaged key file keys/$key: not valid JSON"* ]] || fail "damaged key: $out"
[[ $out != *"wrong passphrase"* ]] || fail "a damaged key file called a wrong passphrase: $out"
[[ $out == *"key passwd --from-export"* ]] || fail "no way out named: $out"
offsite "${repo[@]}" --json snapshots >"$WORK/damaged.json" 2>/dev/null && fail "JSON: opened"
python3 -c 'import json,sys; d=[json.loads(l) for l in open(sys.argv[1])][-1]
assert d["type"] == "error" and d["code"] == "integrity_error", d' "$WORK/damaged.json" ||
  fail "damaged key JSON: $(cat "$WORK/damaged.json")"

# Missing field, bad hex: damaged too.
python3 - "$WORK/key.good" "$WORK/repo/keys/$key" <<'EOF'
import json, sys
k = json.load(open(sys.argv[1]))
k["data"] = "zz" + k["data"][2:]
open(sys.argv[2], "w").write(json.dumps(k))
EOF
expect_exit 8 offsite "${repo[@]}" snapshots 2>/dev/null

# The export brings access back; the damaged file is then skipped with a warning.
"$OFFSITE_BIN" "${repo[@]}" key passwd --from-export "$WORK/export.json" \
  --new-password-file "$WORK/passphrase" </dev/null >/dev/null
offsite "${repo[@]}" snapshots >"$WORK/back.out" 2>"$WORK/back.err" ||
  fail "the export did not bring access back: $(cat "$WORK/back.err")"
grep -q "damaged key file keys/$key was skipped" "$WORK/back.err" ||
  fail "the damaged file is not named: $(cat "$WORK/back.err")"
echo "ok"
