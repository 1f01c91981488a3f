// Snapshot documents (core/format/snapshot.cpp). Mode (see test_key.hpp):
//   plaintext: the rest is the JSON text; snapshot_from_json on it, and what
//              decodes must encode into a document that decodes to the same.
//   sealed:    the rest is stored as snapshots/<its SHA-256> in a repository
//              opened with the test key and loaded as every command does.
// Failures may only be Error(integrity).
#include <cstddef>
#include <cstdint>
#include <optional>

#include <nlohmann/json.hpp>

#include "core/common/error.hpp"
#include "core/crypto/crypto.hpp"
#include "core/format/snapshot.hpp"
#include "tests/fuzz/fuzz_check.hpp"
#include "tests/fuzz/memory_store.hpp"

using namespace offsite;
using namespace offsite::core;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const ByteView rest(data + 1, size - 1);
  std::optional<Snapshot> snapshot;
  try {
    if (offsite::fuzz::sealed_mode(data[0])) {
      static offsite::fuzz::TestRepository repository;
      const std::string id = to_hex(crypto::sha256(rest));
      repository.store.put("snapshots/" + id, rest);
      try {
        (void)repository.repo->load_snapshot(id);
      } catch (...) {
        repository.store.remove("snapshots/" + id);
        throw;
      }
      repository.store.remove("snapshots/" + id);
    } else {
      const auto doc = nlohmann::json::parse(rest.begin(), rest.end(), nullptr, false);
      if (doc.is_discarded()) return 0;
      snapshot = snapshot_from_json(doc, "fuzz");
    }
  } catch (const Error& e) {
    FUZZ_CHECK(e.code() == Code::integrity);
  }
  if (!snapshot) return 0;
  // Outside the try: what was read must be written and read back as it was.
  const Snapshot again = snapshot_from_json(snapshot_to_json(*snapshot), "fuzz");
  FUZZ_CHECK(again.time_ns == snapshot->time_ns && again.host == snapshot->host &&
             again.user == snapshot->user && again.paths == snapshot->paths &&
             again.tags == snapshot->tags && again.excludes == snapshot->excludes &&
             again.tree == snapshot->tree && again.parent == snapshot->parent &&
             again.program_version == snapshot->program_version);
  return 0;
}
