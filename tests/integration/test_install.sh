#!/usr/bin/env bash
# `cmake --install` puts what a user runs and reads where their system looks:
# both programs in bin (they run and name their version), the four man pages
# in share/man (each renders with man -l without a warning), and the bash,
# zsh and fish completions in the shells' vendor directories; the installed
# bash completion, sourced as bash-completion does, completes "offsite fir" to
# firewall-rules. DESTDIR stages the same tree under another root.
source "$(dirname "$0")/lib.sh"
build=${BUILD_DIR:?run through ctest, or set BUILD_DIR}

prefix=$WORK/prefix
cmake --install "$build" --prefix "$prefix" >"$WORK/install.log" 2>&1 ||
  fail "cmake --install failed: $(cat "$WORK/install.log")"

expected=(
  bin/offsite
  bin/offsited
  share/man/man1/offsite.1
  share/man/man5/offsite-format.5
  share/man/man7/offsite-protocol.7
  share/man/man8/offsited.8
  share/bash-completion/completions/offsite
  share/zsh/vendor-completions/_offsite
  share/fish/vendor_completions.d/offsite.fish
)
for file in "${expected[@]}"; do
  [[ -f $prefix/$file ]] || fail "not installed: $file (installed: $(cd "$prefix" && find . -type f))"
done
[[ -x $prefix/bin/offsite && -x $prefix/bin/offsited ]] || fail "the programs are not executable"

version=$(sed -n 's/^project(offsite VERSION \([0-9.]*\).*/\1/p' "${SOURCE_DIR:?}/CMakeLists.txt")
out=$("$prefix/bin/offsite" --version)
[[ $out == "offsite $version" ]] || fail "installed offsite --version: $out"
out=$("$prefix/bin/offsited" --version)
[[ $out == "offsited $version" ]] || fail "installed offsited --version: $out"

# The installed pages are the sources' pages, and each renders cleanly: man
# hands groff -ww, so any warning (a table too wide, an unknown macro) shows
# on stderr. A fixed width keeps the result the same on every terminal.
for page in offsite.1 offsite-format.5 offsite-protocol.7 offsited.8; do
  installed=$prefix/share/man/man${page##*.}/$page
  cmp -s "$installed" "$SOURCE_DIR/man/$page" || fail "installed $page differs from man/$page"
  if command -v man >/dev/null; then
    MANWIDTH=80 man --warnings -l "$installed" >"$WORK/page.txt" 2>"$WORK/page.err" ||
      fail "man -l $page failed: $(cat "$WORK/page.err")"
    [[ ! -s $WORK/page.err ]] || fail "man -l $page warns: $(cat "$WORK/page.err")"
    grep -q NAME "$WORK/page.txt" || fail "man -l $page rendered nothing useful"
  fi
done
# man finds the page by name in the prefix, as it would in /usr/local.
if command -v man >/dev/null; then
  MANWIDTH=80 man -M "$prefix/share/man" 1 offsite 2>/dev/null | grep -q 'EXIT STATUS' ||
    fail "man -M PREFIX/share/man offsite does not find the page"
fi

# bash: the installed file, sourced after bash-completion's own library.
bash_lib=/usr/share/bash-completion/bash_completion
[[ -f $bash_lib ]] || fail "bash-completion is missing (scripts/install-deps --test installs it)"
result=$(bash -c '
  source "$1"
  source "$2"
  COMP_WORDS=(offsite fir); COMP_CWORD=1; COMP_LINE="offsite fir"; COMP_POINT=${#COMP_LINE}
  _offsite offsite fir offsite
  printf "%s\n" "${COMPREPLY[@]}"' _ "$bash_lib" "$prefix/share/bash-completion/completions/offsite")
[[ $result == firewall-rules ]] || fail "installed bash completion of 'offsite fir' gave: $result"
# bash-completion loads a command's file by the command's name on first use.
result=$(bash -c '
  source "$1"
  complete -p offsite >/dev/null 2>&1 && exit 3
  BASH_COMPLETION_USER_DIR=$2 __load_completion offsite || exit 4
  complete -p offsite' _ "$bash_lib" "$prefix/share/bash-completion")
[[ $result == *_offsite* ]] || fail "bash-completion does not load the installed file: $result"

# zsh and fish: the files parse (scripts/install-deps --test installs both).
command -v zsh >/dev/null || fail "zsh is not installed (run scripts/install-deps --test)"
command -v fish >/dev/null || fail "fish is not installed (run scripts/install-deps --test)"
zsh -n "$prefix/share/zsh/vendor-completions/_offsite" || fail "zsh cannot parse _offsite"
fish -n "$prefix/share/fish/vendor_completions.d/offsite.fish" || fail "fish cannot parse offsite.fish"

# DESTDIR: the same tree, staged under another root for packaging.
DESTDIR=$WORK/stage cmake --install "$build" --prefix /usr/local >"$WORK/stage.log" 2>&1 ||
  fail "cmake --install with DESTDIR failed: $(cat "$WORK/stage.log")"
for file in "${expected[@]}"; do
  [[ -f $WORK/stage/usr/local/$file ]] || fail "not staged under DESTDIR: $file"
done
out=$("$WORK/stage/usr/local/bin/offsite" --version)
[[ $out == "offsite $version" ]] || fail "staged offsite --version: $out"
echo ok
