#!/usr/bin/env bash
# Flags, man page and completions agree: every subcommand and option the
# program declares appears in man/offsite.1 and in each completion file, and
# bash completion works when sourced.
source "$(dirname "$0")/lib.sh"
src=${SOURCE_DIR:?}

"$OFFSITE_BIN" __cli-spec >"$WORK/spec.json"
python3 - "$WORK/spec.json" "$src" <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))
src = sys.argv[2]
man = open(f"{src}/man/offsite.1").read().replace("\\-", "-").replace("\\&", "")
files = {"bash": open(f"{src}/completions/offsite.bash").read(),
         "zsh": open(f"{src}/completions/_offsite").read(),
         "fish": open(f"{src}/completions/offsite.fish").read()}
missing = []
def check(name, where):
    if name in ("--help", "-h"):
        return
    if name not in man:
        missing.append(f"man page lacks {name} ({where})")
    for shell, text in files.items():
        token = name
        if shell == "fish":  # fish spells options as -l long / -s x
            token = f"-l {name[2:]}" if name.startswith("--") else f"-s {name[1:]}"
        if token not in text and name not in text:
            missing.append(f"{shell} completion lacks {name} ({where})")
for name in spec["global"]:
    check(name, "global")
for command, options in spec["commands"].items():
    if f".SS {command}" not in man and f'.SS "{command}' not in man:
        missing.append(f"man page has no section for {command}")
    for shell, text in files.items():
        if command not in text:
            missing.append(f"{shell} completion lacks command {command}")
    for name in options:
        check(name, command)
for m in missing:
    print(m, file=sys.stderr)
sys.exit(1 if missing else 0)
PY

# The man pages render without warnings.
for page in "$src"/man/*.[0-9]; do
  out=$(mandoc -Tlint "$page" 2>&1 | grep -v 'STYLE:' || true)
  [[ -z $out ]] || fail "mandoc -Tlint $page: $out"
done

# bash completion: "offsite ba<TAB>" yields backup.
result=$(bash -c '
  source /usr/share/bash-completion/bash_completion
  source "$1/completions/offsite.bash"
  COMP_WORDS=(offsite ba); COMP_CWORD=1; COMP_LINE="offsite ba"; COMP_POINT=${#COMP_LINE}
  _offsite offsite ba offsite
  printf "%s\n" "${COMPREPLY[@]}"' _ "$src")
[[ $result == backup ]] || fail "bash completion of 'offsite ba' gave: $result"
result=$(bash -c '
  source /usr/share/bash-completion/bash_completion
  source "$1/completions/offsite.bash"
  COMP_WORDS=(offsite fi); COMP_CWORD=1; COMP_LINE="offsite fi"; COMP_POINT=${#COMP_LINE}
  _offsite offsite fi offsite
  printf "%s\n" "${COMPREPLY[@]}"' _ "$src")
[[ $result == firewall-rules ]] || fail "bash completion of 'offsite fi' gave: $result"
echo ok
