#pragma once
// The one factory of the data centre's store: every offsited command that
// touches the store (init, serve, accounts, account set, invite,
// fingerprint) opens it here, so they can never disagree about where the
// accounts and repositories live.

#include <filesystem>
#include <memory>

#include "core/store/store.hpp"
#include "server/store/store_location.hpp"

namespace offsite::server {

// Opens the store at `location` (`data` is the data directory, for
// Kind::data_dir). No request is sent yet. A file:// store must exist (a
// missing one is more likely an unmounted file system than a new store:
// init creates it); DIR/store is created when missing, as it always was.
// Throws Error(Code::config) for missing or unsafe S3 credentials or a
// missing file:// directory.
std::unique_ptr<core::Store> open_store(const StoreLocation& location,
                                        const std::filesystem::path& data);

// The store the data directory uses: DIR/store.json as `offsited init`
// recorded it, else DIR/store. Throws as read_store_config and open_store.
std::unique_ptr<core::Store> open_data_store(const std::filesystem::path& data);

} // namespace offsite::server
