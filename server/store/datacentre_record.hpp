#pragma once
// What the store records about the data centre itself: the fingerprint of
// its identity, in one object, `datacentre/fingerprint` ("sha256:HEX\n"),
// written create-only by the first init (or the first serve of a data
// directory older than this record) and never changed.
//
// Why: every front-end of one store must serve with the same identity,
// since clients pin one fingerprint and must pass the pin on failover. The
// CA key never goes into the store (whoever reads the bucket could then
// impersonate the data centre); the operator copies DIR/identity from an
// existing front-end, and this record lets a front-end with another
// identity notice and refuse.
//
// The key cannot collide with anything a client names: clients reach only
// accounts/<id>/repo/ and accounts/<id>/leases/ through a PrefixStore, and
// the registry keeps accounts/, invites/ and invites-used/.

#include <optional>
#include <string>
#include <string_view>

#include "core/common/error.hpp"
#include "core/store/store.hpp"

namespace offsite::server {

inline constexpr std::string_view k_fingerprint_key = "datacentre/fingerprint";

// The recorded fingerprint ("sha256:HEX"), or nullopt when none is.
// Throws Error(Code::integrity) when the object is not a fingerprint.
std::optional<std::string> recorded_fingerprint(core::Store& store);

// Records `fingerprint` when the store records none (create-only, so of
// two racing front-ends one wins) and returns what the store records then.
std::string record_fingerprint(core::Store& store, const std::string& fingerprint);

// Error(Code::config) for a front-end whose identity `ours` is not the one
// `theirs` the store records: names both fingerprints and the store
// (`store_name`), and the hint says how to copy the data centre's identity
// into `data`.
Error identity_mismatch(const std::string& ours, const std::string& theirs,
                        std::string_view store_name, std::string_view data);

} // namespace offsite::server
