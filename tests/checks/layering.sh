#!/usr/bin/env bash
# The layers are enforced, not hoped for (restic's depguard):
#   util/       knows nothing of offsite: no includes of core/, transport/, cli/, server/
#   core/       never touches sockets, TLS, HTTP or transport/
#   transport/  never sees a file tree (<filesystem>) nor core/
#   server/     never reaches into the client (cli/), and the client never into server/
# and every source file lives in one of the rooms the README's architecture
# table names, so a newcomer finds it in one hop.
set -euo pipefail
cd "${SOURCE_DIR:?}"
status=0
fail() {
  echo "$1 (above)" >&2
  status=1
}
sources() { find "$@" -name '*.cpp' -o -name '*.hpp'; }

if sources util | xargs -r grep -nE '#include *"(core|transport|cli|server)/'; then
  fail "util/ must not include offsite's own libraries"
fi
if sources core | xargs grep -nE \
  '#include *[<"](sys/socket\.h|netinet/|arpa/inet\.h|netdb\.h|openssl/ssl\.h|curl/|transport/|cli/|server/)'; then
  fail "core/ must not include socket, TLS, HTTP, transport, cli or server headers"
fi
if sources transport | xargs grep -nE '#include *[<"](filesystem|core/|cli/|server/)'; then
  fail "transport/ must not include <filesystem>, core/, cli/ or server/"
fi
if sources server | xargs grep -nE '#include *"cli/'; then
  fail "server/ must not include the client (cli/)"
fi
if sources cli | xargs grep -nE '#include *"server/'; then
  fail "cli/ must not include the server (server/)"
fi

# Every folder holding sources is named in the README's architecture table.
mapfile -t rooms < <(sources cli core transport server util 2>/dev/null | xargs -n1 dirname | sort -u)
for room in "${rooms[@]}"; do
  if ! grep -qE "^\| \`$room/\`" README.md; then
    echo "$room/ holds sources but has no row in README.md's architecture table" >&2
    status=1
  fi
done
exit $status
