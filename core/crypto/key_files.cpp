#include "core/crypto/key_files.hpp"

#include <iterator>

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "core/common/crash_point.hpp"
#include "core/common/error.hpp"
#include "core/common/host.hpp"

namespace offsite::core {
namespace {

constexpr std::string_view k_prefix = "keys/";
constexpr std::string_view k_export_hint =
    "restore access from your key export with \"offsite key passwd --from-export FILE\"";

std::string string_or_empty(const nlohmann::json& j, const char* name) {
  const auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool same_key(const MasterKey& a, const MasterKey& b) {
  return a.encryption == b.encryption && a.id_mac == b.id_mac && a.chunker == b.chunker;
}

} // namespace

std::vector<KeyFileInfo> list_key_files(Store& store) {
  std::vector<KeyFileInfo> out;
  for (const auto& object : list_all(store, k_prefix)) {
    KeyFileInfo info;
    info.name = object.key;
    info.id = object.key.substr(k_prefix.size());
    if (const auto data = store.get(object.key, 0, std::nullopt)) {
      const auto j = nlohmann::json::parse(as_string(*data), nullptr, false);
      if (j.is_object()) {
        info.created = string_or_empty(j, "created");
        info.host = string_or_empty(j, "host");
        info.user = string_or_empty(j, "user");
      }
    } else {
      continue; // removed meanwhile by a key change elsewhere
    }
    out.push_back(std::move(info));
  }
  return out;
}

OpenedKeyFile find_key_file(Store& store, std::string_view passphrase) {
  const auto keys = list_all(store, k_prefix);
  if (keys.empty()) {
    if (!store.head("config"))
      throw Error(Code::config, "the storage location holds no repository",
                  "create one with offsite init (or offsite register)");
    throw Error(Code::integrity, "the repository has no key files", std::string(k_export_hint));
  }
  std::vector<SkippedKeyFile> skipped;
  std::size_t tried = 0; // intact files the passphrase did not open
  for (auto it = keys.begin(); it != keys.end(); ++it) {
    const auto& object = *it;
    const auto data = store.get(object.key, 0, std::nullopt);
    if (!data) continue; // removed meanwhile by a key change elsewhere: it opens nothing
    try {
      MasterKey key = unwrap_master_key(as_string(*data), passphrase);
      // Damage is named wherever the file sorts, so the user hears of it
      // before the key that works is the last one left. Reading the fields
      // costs no scrypt.
      for (auto rest = std::next(it); rest != keys.end(); ++rest) {
        const auto other = store.get(rest->key, 0, std::nullopt);
        if (!other) continue;
        try {
          (void)read_key_file(as_string(*other));
        } catch (const Error& damaged) {
          if (damaged.code() != Code::integrity) throw;
          skipped.push_back({rest->key, damaged.what()});
        }
      }
      return {object.key, key, std::move(skipped)};
    } catch (const Error& e) {
      if (e.code() == Code::integrity)
        skipped.push_back({object.key, e.what()});
      else if (e.code() == Code::wrong_passphrase)
        ++tried;
      else
        throw;
    }
  }
  std::string damage;
  for (const auto& s : skipped)
    damage += fmt::format("{}damaged key file {}: {}", damage.empty() ? "" : "; ",
                          util::printable(s.name, k_key_in_messages), s.reason);
  if (tried == 0 && !skipped.empty())
    throw Error(Code::integrity, damage, std::string(k_export_hint));
  if (tried == 0) // every file vanished while we read them
    throw Error(Code::integrity, "the repository has no key files", std::string(k_export_hint));
  if (!skipped.empty())
    throw Error(Code::wrong_passphrase,
                fmt::format("wrong passphrase: it opens none of the intact key files ({})", damage),
                fmt::format("if the passphrase belongs to the damaged key file, {}; otherwise "
                            "check where the passphrase comes from",
                            k_export_hint));
  throw Error(Code::wrong_passphrase,
              "wrong passphrase: the passphrase does not open this repository",
              "check where the passphrase comes from: what you typed, --password-file, "
              "--password-command, OFFSITE_PASSWORD or OFFSITE_PASSWORD_FILE");
}

std::string labelled_key_file(const MasterKey& key, std::string_view passphrase,
                              const crypto::ScryptParams& params) {
  // Host and user help `key list` tell the files apart, as restic's do.
  auto j = nlohmann::ordered_json::parse(wrap_master_key(key, passphrase, params));
  j["host"] = local_host_name();
  j["user"] = local_user_name();
  return j.dump(2) + "\n";
}

std::string add_key_file(Store& store, const MasterKey& key, std::string_view passphrase,
                         const crypto::ScryptParams& params) {
  const std::string text = labelled_key_file(key, passphrase, params);

  std::string name;
  for (int attempt = 0;; ++attempt) {
    name = std::string(k_prefix) + to_hex(crypto::random_bytes(8));
    if (store.put(name, as_bytes(text))) break;
    if (attempt == 3) throw Error(Code::generic, "a new key file name collided; run it again");
  }
  // Read back what the store kept: the old key is removed only once this
  // one is known to open.
  const auto stored = store.get(name, 0, std::nullopt);
  bool opens = false;
  if (stored) {
    try {
      opens = same_key(unwrap_master_key(as_string(*stored), passphrase), key);
    } catch (const Error&) {
      opens = false;
    }
  }
  if (!opens) {
    store.remove(name);
    throw Error(Code::integrity,
                fmt::format("the new key file {} did not read back intact",
                            util::printable(name, k_key_in_messages)),
                "nothing was changed; run the command again, or check the storage");
  }
  return name;
}

PassphraseChange change_passphrase(Store& store, const MasterKey& key, const std::string& old_name,
                                   std::string_view new_passphrase,
                                   const crypto::ScryptParams& params) {
  PassphraseChange change;
  change.added = add_key_file(store, key, new_passphrase, params);
  change.removed = old_name;
  crash_point("client-key-passwd");
  try {
    store.remove(old_name);
  } catch (const Error& e) {
    throw Error(e.code(),
                fmt::format("the new passphrase is set ({}), but the old key file {} could not "
                            "be removed: {}",
                            change.added.substr(k_prefix.size()),
                            util::printable(old_name, k_key_in_messages), e.what()),
                "both passphrases open the repository until that file is removed (on an "
                "append-only account only the operator can remove it)");
  }
  return change;
}

} // namespace offsite::core
