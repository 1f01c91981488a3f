#include "server/store/datacentre_record.hpp"

#include <fmt/format.h>

#include "core/common/error.hpp"
#include "transport/tls/identity.hpp"
#include "util/printable.hpp"

namespace offsite::server {

std::optional<std::string> recorded_fingerprint(core::Store& store) {
  const auto bytes = store.get(k_fingerprint_key);
  if (!bytes) return std::nullopt;
  std::string text(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  if (text.ends_with('\n')) text.pop_back();
  const auto canonical = transport::normalize_fingerprint(text);
  if (!canonical || *canonical != text)
    throw Error(Code::integrity,
                fmt::format("the store's {} is not a fingerprint: {}", k_fingerprint_key,
                            util::printable(text, {.max_chars = 100, .quoted = false})),
                "it should hold the data centre's fingerprint, sha256:HEX, as offsited "
                "fingerprint prints it on a front-end that serves");
  return text;
}

std::string record_fingerprint(core::Store& store, const std::string& fingerprint) {
  if (const auto recorded = recorded_fingerprint(store)) return *recorded;
  if (store.put(k_fingerprint_key, as_bytes(fingerprint + "\n"))) return fingerprint;
  // Another front-end recorded its own between our get and put.
  if (const auto recorded = recorded_fingerprint(store)) return *recorded;
  throw Error(Code::generic, fmt::format("the store refused to record {} and does not hold it",
                                         k_fingerprint_key));
}

Error identity_mismatch(const std::string& ours, const std::string& theirs,
                        std::string_view store_name, std::string_view data) {
  return Error(
      Code::config,
      fmt::format("this front-end's identity {} is not the data centre's: the store {} belongs "
                  "to {}, which clients pin, so they would refuse this server",
                  ours, store_name, theirs),
      fmt::format("serve with the data centre's identity: mv {0}/identity {0}/identity.other && "
                  "scp -rp FRONT-END:DIR/identity {0}/ (FRONT-END: a machine that serves {1}, "
                  "DIR: its data directory)",
                  data, theirs));
}

} // namespace offsite::server
