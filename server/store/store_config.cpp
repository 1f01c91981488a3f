#include "server/store/store_config.hpp"

#include <fstream>
#include <iterator>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/common/atomic_file.hpp"
#include "core/common/error.hpp"
#include "util/printable.hpp"

namespace offsite::server {

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

constexpr int k_version = 1;

StoreLocation from_json(const Json& j) {
  if (j.at("version").get<int>() != k_version) throw std::runtime_error("unknown version");
  StoreLocation location;
  const auto kind = j.at("kind").get<std::string>();
  if (kind == "file") {
    location.kind = StoreLocation::Kind::directory;
    location.directory = j.at("path").get<std::string>();
    if (!location.directory.is_absolute()) throw std::runtime_error("a relative path");
  } else if (kind == "s3") {
    // The same checks as the command line, so a hand-edited file cannot
    // smuggle in what init would refuse.
    S3Flags flags{j.at("endpoint").get<std::string>(), j.at("region").get<std::string>(),
                  std::nullopt};
    if (const auto file = j.at("credentials_file").get<std::string>(); !file.empty())
      flags.credentials_file = file;
    auto prefix = j.at("prefix").get<std::string>();
    location =
        parse_store_location("s3://" + j.at("bucket").get<std::string>() + "/" + prefix, flags);
  } else {
    throw std::runtime_error("unknown kind");
  }
  return location;
}

} // namespace

fs::path store_config_path(const fs::path& data) { return data / "store.json"; }

StoreLocation read_store_config(const fs::path& data) {
  const auto path = store_config_path(data);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (!fs::exists(path)) return {};
    throw Error(Code::config, fmt::format("cannot read {}", util::printable(path.string())),
                "check that offsited may read it");
  }
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  try {
    return from_json(Json::parse(text));
  } catch (const std::exception&) { // JSON, a missing field, or a value init refuses
    throw Error(
        Code::config,
        fmt::format("{} is not a store record this offsited wrote", util::printable(path.string())),
        fmt::format("copy it from another front-end of the store (it holds no key), or remove "
                    "it and run offsited init --data {} --store ... with the store's flags",
                    util::printable(data.string())));
  }
}

void write_store_config(const fs::path& data, const StoreLocation& location) {
  Json j{{"version", k_version}};
  switch (location.kind) {
  case StoreLocation::Kind::data_dir:
    throw Error(Code::generic, "the data directory's own store is not recorded");
  case StoreLocation::Kind::directory:
    j["kind"] = "file";
    j["path"] = location.directory.string();
    break;
  case StoreLocation::Kind::s3:
    j["kind"] = "s3";
    j["endpoint"] = location.s3.endpoint;
    j["bucket"] = location.s3.bucket;
    j["prefix"] = location.s3.prefix;
    j["region"] = location.s3.region;
    j["credentials_file"] = location.credentials_file.string();
    break;
  }
  core::write_file_atomically(store_config_path(data), j.dump(2) + "\n", 0600);
}

} // namespace offsite::server
