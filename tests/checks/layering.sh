#!/usr/bin/env bash
# The layers are enforced, not hoped for: core never touches sockets or TLS
# or transport/; transport never sees a file tree or core/.
set -euo pipefail
cd "${SOURCE_DIR:?}"
status=0
if grep -nE '#include *[<"](sys/socket\.h|netinet/|arpa/inet\.h|netdb\.h|openssl/ssl\.h|transport/)' \
  core/*.hpp core/*.cpp; then
  echo "core/ must not include socket, TLS or transport headers (above)" >&2
  status=1
fi
if grep -nE '#include *[<"](filesystem|core/)' transport/*.hpp transport/*.cpp 2>/dev/null; then
  echo "transport/ must not include <filesystem> or core/ (above)" >&2
  status=1
fi
exit $status
