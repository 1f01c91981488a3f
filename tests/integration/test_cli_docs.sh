#!/usr/bin/env bash
# Flags, help, man page and completions agree, command by command. The
# program's own spec (`offsite __cli-spec`: every command, nested command and
# option it declares) is the reference:
#   - every command's --help shows an example of that very command;
#   - man/offsite.1 has a section for each command, and each option is in the
#     section of its command (global options under GLOBAL OPTIONS, a nested
#     command's under its parent, which names it as "key list" and so on);
#   - JSON OUTPUT has a "$ offsite --json ..." example of every command,
#     and names test-connection among the JSON Lines commands; EXAMPLES has
#     firewall-rules in every --format the program lists and behind an HTTP
#     proxy; SEE ALSO names every other page in man/; the schedule section
#     describes the cron log's closing "== TIME exit STATUS" line;
#   - bash, zsh and fish complete each command, nested command and option in
#     the right place: the completion functions are run, not grepped (zsh's
#     with stand-ins for _arguments and friends that print what they get);
#   - the four man pages pass `mandoc -Tlint` with no message at all, STYLE
#     included, and zsh and fish parse their files. zsh and fish are test
#     dependencies (scripts/install-deps --test): missing is a failure.
source "$(dirname "$0")/lib.sh"
src=${SOURCE_DIR:?}

command -v zsh >/dev/null || fail "zsh is not installed (scripts/install-deps --test)"
command -v fish >/dev/null || fail "fish is not installed (scripts/install-deps --test)"
[[ -r /usr/share/bash-completion/bash_completion ]] ||
  fail "bash-completion is not installed (scripts/install-deps --test)"

# The man pages render without any warning.
for page in "$src"/man/*.[0-9]; do
  out=$(mandoc -Tlint "$page" 2>&1 || true)
  [[ -z $out ]] || fail "mandoc -Tlint $page: $out"
done

# The completion files parse.
zsh -n "$src/completions/_offsite" || fail "zsh cannot parse completions/_offsite"
fish --no-config -n "$src/completions/offsite.fish" || fail "fish cannot parse offsite.fish"

# Each shell's completion, run for one command line: prints the candidates.
cat >"$WORK/complete-bash" <<'SH'
#!/usr/bin/env bash
# complete-bash SRC WORD...: what bash offers for the last WORD.
src=$1
shift
source /usr/share/bash-completion/bash_completion
source "$src/completions/offsite.bash"
COMP_WORDS=(offsite "$@")
COMP_CWORD=$#
COMP_LINE="offsite $*"
COMP_POINT=${#COMP_LINE}
_offsite offsite "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
printf '%s\n' "${COMPREPLY[@]}"
SH
cat >"$WORK/complete-fish" <<'SH'
#!/usr/bin/env bash
# complete-fish SRC LINE: what fish offers at the end of LINE.
exec fish --no-config -c 'source $argv[1]/completions/offsite.fish; complete -C $argv[2]' "$1" "$2"
SH
cat >"$WORK/complete-zsh" <<'SH'
#!/usr/bin/env zsh
# complete-zsh SRC WORD...: runs _offsite as if WORD... followed "offsite"
# and the cursor were after the last word. The first _arguments call (the
# global one, with ->command and ->argument states) sets the state the way
# zsh's would; every later _arguments, _describe and _values call prints
# the specs or values it was given, one per line.
src=$1
shift
typeset -g state
typeset -ga test_words=("$@")
_arguments() {
  if (( ${@[(I)1:command:->command]} )); then
    if (( ${#test_words} <= 1 )); then
      print -rl -- "$@" # the global options: offered before the command only
      state=command
      return 1
    fi
    state=argument
    words=("${test_words[@]}")
    CURRENT=${#test_words}
    return 1
  fi
  print -rl -- "$@"
}
_describe() { print -rl -- "${(@P)${@[-1]}}"; }
_values() { shift; print -rl -- "$@"; }
_files() { :; }
_directories() { :; }
_command_names() { :; }
source "$src/completions/_offsite"
SH
chmod +x "$WORK"/complete-*

"$OFFSITE_BIN" __cli-spec >"$WORK/spec.json"
if python3 - "$WORK" "$src" "$OFFSITE_BIN" <<'PY'
import json, re, subprocess, sys

work, src, offsite = sys.argv[1:]
spec = json.load(open(f"{work}/spec.json"))
problems = []

def run(*argv):
    r = subprocess.run(argv, capture_output=True, text=True)
    if r.returncode != 0:
        problems.append(f"{' '.join(argv)} failed ({r.returncode}): {r.stderr.strip()[:300]}")
    return r.stdout

# Command paths and their options, from the program itself.
paths = {(): spec["global"]}
for command, options in spec["commands"].items():
    paths[(command,)] = options
for parent, subs in spec["subcommands"].items():
    for name, options in subs.items():
        paths[(parent, name)] = options
def wanted(options):
    return [o for o in options if o not in ("-h", "--help")]

# --- --help: an example of the command itself ------------------------------
for path in paths:
    if not path:
        continue
    text = run(offsite, *path, "--help")
    words = r"\s+".join(map(re.escape, path))
    # Global options (with a value) may stand between "offsite" and the command.
    example = re.compile(rf"^\s*offsite(?:\s+-\S+(?:\s+[^\s-]\S*)?)*\s+{words}(?:\s|$)", re.M)
    if "Example" not in text or not example.search(text):
        problems.append(f'"offsite {" ".join(path)} --help" shows no example of it:\n{text[-400:]}')

# --- man/offsite.1: the right section -----------------------------------
def plain(roff):
    roff = re.sub(r"\\f[BIRP]|\\f\(..|\\&|\\e", "", roff).replace("\\-", "-")
    roff = re.sub(r'^\.[A-Z]{1,2}\b ?', "", roff, flags=re.M).replace('"', "")
    return re.sub(r"\s+", " ", roff)
man = open(f"{src}/man/offsite.1").read()
sections = {}   # first word of each .SS of COMMANDS -> its text
for m in re.finditer(r"^\.SS (.*)\n((?:(?!\.S[SH] ).*\n)*)", man, re.M):
    title = m.group(1).strip('"').replace("\\-", "-")
    sections[title.split()[0]] = plain(m.group(1) + "\n" + m.group(2))
m = re.search(r"^\.SH GLOBAL OPTIONS\n((?:(?!\.SH ).*\n)*)", man, re.M)
sections[""] = plain(m.group(1)) if m else ""

def has_option(text, name):
    return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text) is not None

for path, options in paths.items():
    where = " ".join(path) or "global options"
    section = sections.get(path[0] if path else "")
    if section is None:
        problems.append(f"man page: no .SS section for {path[0]}")
        continue
    if len(path) == 2 and " ".join(path) not in section:
        problems.append(f'man page: the {path[0]} section never names "{" ".join(path)}"')
    for name in wanted(options):
        if not has_option(section, name):
            problems.append(f"man page: {name} ({where}) is not in the {path[0] if path else 'GLOBAL OPTIONS'} section")

# --- man/offsite.1: what each command prints, and where to read on ----------
def section_of(heading):
    m = re.search(rf"^\.SH {heading}\n((?:(?!\.SH ).*\n)*)", man, re.M)
    return m.group(1) if m else ""
json_section = section_of("JSON OUTPUT").replace("\\-", "-")
commands_with_subs = set(spec["subcommands"])
for path in paths:
    if not path or (len(path) == 1 and path[0] in commands_with_subs):
        continue
    words = r"\s+".join(map(re.escape, path))
    if not re.search(rf"^\$ offsite\b.*\s--json\b.*\s{words}(?![\w-])", json_section, re.M):
        problems.append(f'man page: JSON OUTPUT has no "$ offsite --json {" ".join(path)}" example')
long_sentence = plain(json_section.split("Long commands", 1)[-1].split("Whenever", 1)[0])
for command in ("backup", "restore", "check", "prune", "test-connection"):
    if not has_option(long_sentence, command):
        problems.append(f"man page: the JSON Lines commands under JSON OUTPUT omit {command}")
examples = plain(section_of("EXAMPLES"))
hint = subprocess.run([offsite, "firewall-rules", "--format", "?"], capture_output=True,
                      text=True).stderr
formats = re.search(r"choose one of: (.*)", hint).group(1).split(", ")
for fmt in formats:
    if fmt not in ("text", "json") and f"firewall-rules --format {fmt}" not in examples:
        problems.append(f"man page: EXAMPLES has no firewall-rules --format {fmt}")
if not re.search(r"(--proxy|set proxy) http://\S+.*firewall-rules", examples):
    problems.append("man page: EXAMPLES has no HTTP CONNECT proxy with firewall-rules")
see_also = plain(section_of("SEE ALSO"))
import glob, os
for page in sorted(glob.glob(f"{src}/man/*.[0-9]")):
    name, number = os.path.basename(page).rsplit(".", 1)
    if name != "offsite" and f"{name} ({number})" not in see_also:
        problems.append(f"man page: SEE ALSO lacks {name}({number})")
schedule = sections.get("schedule", "")
for needed in ("offsite-backup.log", "== TIME exit STATUS", "last run"):
    if needed not in schedule:
        problems.append(f'man page: the schedule section does not say "{needed}"')

# --- completions: run each shell's for each command line ---------------------
def candidates(shell, words):
    """What `shell` offers after "offsite WORDS", the last word being typed."""
    if shell == "bash":
        out = run(f"{work}/complete-bash", src, *words)
        return set(out.split())
    if shell == "fish":
        out = run(f"{work}/complete-fish", src, "offsite " + " ".join(words))
        return {line.split("\t")[0] for line in out.splitlines()}
    out = run("zsh", "-f", f"{work}/complete-zsh", src, *words)
    found = set()
    for line in out.splitlines():
        # _arguments specs: (exclusions)*-o[...]:..., -o+, --opt=...; or plain values.
        spec_match = re.match(r"^(?:\([^)]*\))?\*?(-{1,2}[A-Za-z0-9][A-Za-z0-9-]*)", line)
        if spec_match:
            found.add(spec_match.group(1))
        else:
            found.add(line.split(":")[0].split("[")[0])
    return found

for shell in ("bash", "zsh", "fish"):
    # The commands, and each command's nested commands.
    offered = candidates(shell, [""])
    for command in spec["commands"]:
        if command not in offered:
            problems.append(f"{shell}: \"offsite <TAB>\" does not offer {command}")
    for parent, subs in spec["subcommands"].items():
        offered = candidates(shell, [parent, ""])
        for name in subs:
            if name not in offered:
                problems.append(f'{shell}: "offsite {parent} <TAB>" does not offer {name}')
    # Each path's options, where they belong.
    for path, options in paths.items():
        opts = wanted(options)
        if not opts:
            continue
        offered = candidates(shell, [*path, "-"])
        for name in opts:
            if name not in offered:
                problems.append(f'{shell}: "offsite {" ".join(path + ("-",))}<TAB>" does not offer {name}')

for p in problems:
    print(p, file=sys.stderr)
sys.exit(1 if problems else 0)
PY
then :; else fail "help, man page and completions disagree (above)"; fi

# offsited: every option of every command is in offsited(8) (an operator's
# program, typed rarely: it has no completions).
: "${OFFSITED_BIN:?run through ctest, or set OFFSITED_BIN}"
for command in init fingerprint invite accounts "account set" serve; do
  # shellcheck disable=SC2086 # "account set" is two words
  options=$("$OFFSITED_BIN" $command --help | grep -oE '^  (-h,)?--[a-z0-9-]+' | sed 's/^ *\(-h,\)\?//')
  for option in $options; do
    [[ $option == --help ]] && continue
    grep -qF -- "${option//-/\\-}" "$src/man/offsited.8" ||
      fail "offsited $command $option is not in man/offsited.8"
  done
done

# Completing a prefix gives the one command it names.
result=$("$WORK/complete-bash" "$src" ba)
[[ $result == backup ]] || fail "bash completion of 'offsite ba' gave: $result"
result=$("$WORK/complete-bash" "$src" fir)
[[ $result == firewall-rules ]] || fail "bash completion of 'offsite fir' gave: $result"
echo ok
