#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>

#include <sys/stat.h>

#include "cli/config/client_config.hpp"
#include "core/common/error.hpp"
#include "tests/unit/scoped_env.hpp"
#include "tests/unit/temp_dir.hpp"

using nlohmann::json;
using offsite::Code;
using offsite::Error;
using offsite::cli::apply_network_map;
using offsite::cli::ClientConfig;
using offsite::cli::Credentials;
using offsite::cli::MapUpdate;
using offsite::cli::parse_pair;
using offsite::transport::Cidr;
using offsite::transport::Endpoint;
namespace cli = offsite::cli;
namespace fs = std::filesystem;

namespace {

using offsite::test::ScopedEnv;

// None of the overrides: what a fresh shell without OFFSITE_* sees.
struct CleanEnv {
  ScopedEnv registration{"OFFSITE_REGISTRATION", std::nullopt};
  ScopedEnv subnets{"OFFSITE_SUBNETS", std::nullopt};
  ScopedEnv fingerprint{"OFFSITE_FINGERPRINT", std::nullopt};
};

const std::string k_fp = "sha256:" + std::string(64, 'a');

std::string pair_error(std::string_view text) {
  std::string error;
  CHECK_FALSE(parse_pair(text, &error));
  return error;
}

std::string config_error(const fs::path& dir) {
  try {
    cli::load_config(dir);
  } catch (const Error& e) {
    CHECK(e.code() == Code::config);
    CHECK_FALSE(e.hint().empty());
    return e.what();
  }
  FAIL("load_config accepted a bad file");
  return {};
}

void write(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

unsigned mode_of(const fs::path& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

Cidr cidr(const char* text) { return *Cidr::parse(text); }

// A client on the loopback stand-in data centre of the tests.
ClientConfig loopback_config() {
  ClientConfig config;
  config.subnets = {cidr("127.239.112.0/24"), cidr("127.239.113.0/24")};
  config.registration = *parse_pair("127.239.112.10,127.239.113.10");
  config.account_id = "0123456789abcdef";
  config.storage = *parse_pair("127.239.112.20,127.239.113.20");
  config.network_map_version = 1;
  return config;
}

json map_of(json subnets, json registration, std::uint64_t version = 1) {
  return {{"version", version},
          {"subnets", std::move(subnets)},
          {"port", 16384},
          {"registration", std::move(registration)},
          {"storage", json::array({"1.2.3.4:16384", "5.6.7.8:16384"})}};
}

} // namespace

TEST_SUITE_BEGIN("cli::client_config");

TEST_CASE("given no environment, when defaults are built, then they are the service's facts") {
  CleanEnv clean;
  const ClientConfig config = cli::default_config();
  CHECK(config.schema == 1);
  CHECK(config.registration.to_string() == "193.239.112.10:16384,193.239.113.10:16384");
  REQUIRE(config.subnets.size() == 2);
  CHECK(config.subnets[0].to_string() == "193.239.112.0/24");
  CHECK(config.subnets[1].to_string() == "193.239.113.0/24");
  CHECK_FALSE(config.account_id);
  CHECK_FALSE(config.storage);
  CHECK(config.network_map_version == 0);
  CHECK(config.transport == json::object());
  CHECK(config.fingerprint == cli::built_in_config().fingerprint);
  CHECK_FALSE(cli::outside_subnets(config.registration.both(), config.subnets));
}

TEST_CASE("given OFFSITE_* variables, when defaults are built, then they override the facts") {
  CleanEnv clean;
  ScopedEnv registration("OFFSITE_REGISTRATION", "127.239.112.10:7000, 127.239.113.10");
  ScopedEnv subnets("OFFSITE_SUBNETS", "127.239.112.0/24 127.239.113.0/24,,10.0.0.0/8");
  ScopedEnv fingerprint("OFFSITE_FINGERPRINT", "SHA256:" + std::string(64, 'B'));
  const ClientConfig config = cli::default_config();
  CHECK(config.registration.to_string() == "127.239.112.10:7000,127.239.113.10:16384");
  REQUIRE(config.subnets.size() == 3);
  CHECK(config.subnets[2].to_string() == "10.0.0.0/8");
  CHECK(config.fingerprint == "sha256:" + std::string(64, 'b'));
}

TEST_CASE("given a bad OFFSITE_* variable, when defaults are built, then the error names it") {
  CleanEnv clean;
  const char* name = nullptr;
  std::string value;
  SUBCASE("registration") {
    name = "OFFSITE_REGISTRATION";
    value = "backup.example.com,127.0.0.1";
  }
  SUBCASE("subnets") {
    name = "OFFSITE_SUBNETS";
    value = "127.239.112.5/24";
  }
  SUBCASE("fingerprint") {
    name = "OFFSITE_FINGERPRINT";
    value = "sha256:abc";
  }
  ScopedEnv bad(name, value);
  try {
    cli::default_config();
    FAIL("accepted " << name << "=" << value);
  } catch (const Error& e) {
    CHECK(e.code() == Code::config);
    CHECK(std::string(e.what()).find(name) != std::string::npos);
    CHECK(e.hint().find("unset it") != std::string::npos);
  }
}

TEST_CASE("given pair texts, when parsed, then ports default and IPv6 is canonical") {
  auto pair = parse_pair("193.239.112.10,193.239.113.10:1234");
  REQUIRE(pair);
  CHECK(pair->primary == Endpoint{"193.239.112.10", 16384});
  CHECK(pair->alternate == Endpoint{"193.239.113.10", 1234});
  CHECK(pair->both() == std::vector<Endpoint>{pair->primary, pair->alternate});
  CHECK(pair->to_string() == "193.239.112.10:16384,193.239.113.10:1234");
  CHECK(parse_pair(pair->to_string()) == pair);

  auto v6 = parse_pair(" [2001:DB8::1]:99 , ::1 ");
  REQUIRE(v6);
  CHECK(v6->primary == Endpoint{"2001:db8::1", 99});
  CHECK(v6->alternate == Endpoint{"::1", 16384});
  CHECK(v6->to_string() == "[2001:db8::1]:99,[::1]:16384");
  // Same address, different ports: two servers (loopback tests do this).
  CHECK(parse_pair("127.0.0.1:1,127.0.0.1:2"));
}

TEST_CASE("given bad pair texts, when parsed, then the error says what is wrong") {
  CHECK(pair_error("").find("got nothing") != std::string::npos);
  CHECK(pair_error("193.239.112.10").find("expected two servers") != std::string::npos);
  CHECK(pair_error("1.1.1.1,2.2.2.2,3.3.3.3").find("got 3") != std::string::npos);
  CHECK(pair_error(",2.2.2.2").find("the primary server is empty") != std::string::npos);
  const auto name = pair_error("1.1.1.1,backup.example.com");
  CHECK(name.find("the alternate server \"backup.example.com\"") != std::string::npos);
  CHECK(name.find("never by name") != std::string::npos);
  CHECK(pair_error("1.1.1.1:0,2.2.2.2").find("port") != std::string::npos);
  CHECK(pair_error("1.1.1.1,1.1.1.1:16384").find("same server (1.1.1.1:16384)") !=
        std::string::npos);
  CHECK(pair_error("1.1.1.1,256.1.1.1").find("alternate") != std::string::npos);
  CHECK_FALSE(parse_pair("1.1.1.1,2.2.2.2:99999"));
}

TEST_CASE("given fingerprints as users paste them, when normalized, then one canonical form") {
  const std::string hex(64, 'c');
  std::string colons;
  for (int i = 0; i < 32; ++i)
    colons += std::string(i == 0 ? "" : ":") + "CC";
  CHECK(cli::normalize_fingerprint("sha256:" + hex) == "sha256:" + hex);
  CHECK(cli::normalize_fingerprint("SHA256:" + colons) == "sha256:" + hex);
  CHECK(cli::normalize_fingerprint(colons) == "sha256:" + hex);
  CHECK(cli::normalize_fingerprint(" " + hex + "\n") == "sha256:" + hex);
  CHECK_FALSE(cli::normalize_fingerprint(hex.substr(1)));
  CHECK_FALSE(cli::normalize_fingerprint("md5:" + hex));
  CHECK_FALSE(cli::normalize_fingerprint(""));
  CHECK_FALSE(cli::normalize_fingerprint("sha256:" + std::string(64, 'g')));
}

TEST_CASE("given a full config, when saved and loaded, then it round-trips with safe modes") {
  offsite::test::TempDir tmp;
  const fs::path dir = tmp / "xdg" / "offsite";
  CHECK_FALSE(cli::load_config(dir));
  ClientConfig config = loopback_config();
  config.fingerprint = k_fp;
  config.subnets.push_back(cidr("2001:db8::/48"));
  config.network_map_version = 7;
  config.transport = {{"proxy", "socks5://proxy:1080"}, {"source_ports", {1024, 5000}}};
  const mode_t old_umask = ::umask(0);
  cli::save_config(dir, config);
  ::umask(old_umask);
  CHECK(mode_of(dir) == 0700);
  CHECK(mode_of(dir.parent_path()) == 0700);
  CHECK(mode_of(cli::config_file(dir)) == 0600);
  CHECK(cli::config_file(dir) == dir / "config.json");
  const auto loaded = cli::load_config(dir);
  REQUIRE(loaded);
  CHECK(*loaded == config);
  // No temporary files left behind.
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);

  // Saving again replaces the file; an unregistered config has no account keys.
  const ClientConfig fresh = loopback_config();
  ClientConfig unregistered = fresh;
  unregistered.account_id.reset();
  unregistered.storage.reset();
  cli::save_config(dir, unregistered);
  CHECK(cli::load_config(dir) == unregistered);
  std::ifstream in(cli::config_file(dir));
  const json doc = json::parse(in);
  CHECK_FALSE(doc.contains("account_id"));
  CHECK(doc.at("registration") == json::array({"127.239.112.10:16384", "127.239.113.10:16384"}));
}

TEST_CASE("given a hand-written minimal config, when loaded, then missing keys are built in") {
  CleanEnv clean;
  offsite::test::TempDir dir;
  write(cli::config_file(dir.path()),
        R"({"schema": 1, "registration": "127.0.0.1,127.0.0.2", "storage": null,
            "fingerprint": ")" +
            std::string(64, 'D') + "\"}");
  const auto config = cli::load_config(dir.path());
  REQUIRE(config);
  CHECK(config->registration.to_string() == "127.0.0.1:16384,127.0.0.2:16384");
  CHECK(config->subnets == cli::built_in_config().subnets);
  CHECK(config->fingerprint == "sha256:" + std::string(64, 'd'));
  CHECK_FALSE(config->storage);
}

TEST_CASE("given a malformed config file, when loaded, then the error names file and problem") {
  offsite::test::TempDir dir;
  const std::string file = cli::config_file(dir.path()).string();
  SUBCASE("not JSON") {
    write(file, "{\"schema\": 1,\n  \"subnets\": [oops]}");
    const auto message = config_error(dir.path());
    CHECK(message.find(file + " is not valid JSON") != std::string::npos);
    CHECK(message.find("line 2") != std::string::npos);
  }
  SUBCASE("unknown schema") {
    write(file, R"({"schema": 2})");
    CHECK(config_error(dir.path()).find("has schema 2") != std::string::npos);
  }
  SUBCASE("no schema") {
    write(file, R"({"registration": "1.1.1.1,2.2.2.2"})");
    CHECK(config_error(dir.path()).find("\"schema\"") != std::string::npos);
  }
  SUBCASE("not an object") {
    write(file, "[1, 2]");
    CHECK(config_error(dir.path()).find("expected a JSON object") != std::string::npos);
  }
  SUBCASE("several bad values: one line each") {
    write(file, R"({"schema": 1, "subnets": ["10.0.0.1/8", 5], "registration": ["1.1.1.1"],
                   "fingerprint": "sha256:12", "storage": "a.example,1.1.1.1",
                   "network_map_version": -1, "transport": [], "subnet": []})");
    const auto message = config_error(dir.path());
    CHECK(message.find(file + ": \"subnets\"[0]: \"10.0.0.1/8\"") != std::string::npos);
    CHECK(message.find("did you mean 10.0.0.0/8?") != std::string::npos);
    CHECK(message.find("\"subnets\"[1]: expected a CIDR string") != std::string::npos);
    CHECK(message.find("\"registration\": expected two servers") != std::string::npos);
    CHECK(message.find("\"fingerprint\" is not a SHA-256 fingerprint") != std::string::npos);
    CHECK(message.find("\"storage\": the primary server \"a.example\"") != std::string::npos);
    CHECK(message.find("\"network_map_version\"") != std::string::npos);
    CHECK(message.find("\"transport\": expected a JSON object") != std::string::npos);
    CHECK(message.find("unknown key \"subnet\"; did you mean \"subnets\"?") != std::string::npos);
    CHECK(std::count(message.begin(), message.end(), '\n') == 7);
  }
  SUBCASE("empty subnets") {
    write(file, R"({"schema": 1, "subnets": []})");
    CHECK(config_error(dir.path()).find("refuse every server") != std::string::npos);
  }
  // The bad file is left as it was.
  CHECK(fs::exists(file));
}

TEST_CASE("given credentials, when saved and loaded, then 0600 and the same values") {
  offsite::test::TempDir tmp;
  const fs::path dir = tmp / "new";
  CHECK_FALSE(cli::load_credentials(dir));
  const Credentials saved{"0123456789abcdef", std::string(64, '7')};
  const mode_t old_umask = ::umask(0);
  cli::save_credentials(dir, saved);
  ::umask(old_umask);
  CHECK(mode_of(dir) == 0700);
  CHECK(mode_of(cli::credentials_file(dir)) == 0600);
  const auto loaded = cli::load_credentials(dir);
  REQUIRE(loaded);
  CHECK(loaded->account_id == saved.account_id);
  CHECK(loaded->secret == saved.secret);
  CHECK_THROWS_AS(cli::save_credentials(dir, {"id", ""}), Error);
  CHECK_THROWS_AS(cli::save_credentials(dir, {"../x", "s"}), Error);
}

TEST_CASE("given credentials readable by others, when loaded, then refused like ssh does") {
  offsite::test::TempDir dir;
  const std::string secret = "S3CRET-" + std::string(57, 'x');
  cli::save_credentials(dir.path(), {"0123456789abcdef", secret});
  const fs::path file = cli::credentials_file(dir.path());
  for (const mode_t mode : {0644, 0640, 0604, 0620}) {
    CAPTURE(mode);
    REQUIRE(::chmod(file.c_str(), mode) == 0);
    try {
      cli::load_credentials(dir.path());
      FAIL("accepted mode " << mode);
    } catch (const Error& e) {
      CHECK(e.code() == Code::config);
      CHECK(std::string(e.what()).find(file.string()) != std::string::npos);
      CHECK(e.hint() == "run \"chmod 600 " + file.string() + "\"");
      CHECK(std::string(e.what()).find("S3CRET") == std::string::npos);
    }
  }
  REQUIRE(::chmod(file.c_str(), 0600) == 0);
  CHECK(cli::load_credentials(dir.path()));
}

TEST_CASE("given malformed credentials, when loaded, then the secret is never in the message") {
  offsite::test::TempDir dir;
  const fs::path file = cli::credentials_file(dir.path());
  std::string text;
  SUBCASE("broken JSON around the secret") { text = R"({"account_id": "ab", "secret": S3CRET})"; }
  SUBCASE("secret of the wrong type") { text = R"({"account_id": "ab", "secret": ["S3CRET"]})"; }
  SUBCASE("no account id") { text = R"({"secret": "S3CRET"})"; }
  SUBCASE("secret with a control character") {
    text = R"({"account_id":"ab","secret":"S3\u0001"})";
  }
  SUBCASE("misspelt key") { text = R"({"account_id": "ab", "secrte": "S3CRET"})"; }
  write(file, text);
  REQUIRE(::chmod(file.c_str(), 0600) == 0);
  try {
    cli::load_credentials(dir.path());
    FAIL("accepted " << text);
  } catch (const Error& e) {
    CHECK(e.code() == Code::config);
    CHECK(std::string(e.what()).find(file.string()) != std::string::npos);
    // mkdtemp's random name may itself hold "S3": only the rest must not.
    const auto without_path = [&](std::string shown) {
      for (auto at = shown.find(file.string()); at != std::string::npos;
           at = shown.find(file.string()))
        shown.erase(at, file.string().size());
      return shown;
    };
    CHECK(without_path(e.what()).find("S3") == std::string::npos);
    CHECK(without_path(e.hint()).find("S3") == std::string::npos);
  }
}

TEST_CASE("given endpoints, when checked against subnets, then the first outside is named") {
  const std::vector<Cidr> subnets = {cidr("127.239.112.0/24"), cidr("127.239.113.0/24")};
  CHECK_FALSE(cli::outside_subnets({{"127.239.112.10", 1}, {"127.239.113.254", 2}}, subnets));
  CHECK_FALSE(cli::outside_subnets({{"::ffff:127.239.112.9", 1}}, subnets));
  const auto message = cli::outside_subnets(
      {{"127.239.112.10", 1}, {"127.239.114.10", 16384}, {"8.8.8.8", 1}}, subnets);
  REQUIRE(message);
  CHECK(*message == "the server address 127.239.114.10:16384 is outside the known server subnets "
                    "(127.239.112.0/24, 127.239.113.0/24)");
  CHECK(cli::outside_subnets({{"backup.example.com", 1}}, subnets));
  CHECK(cli::outside_subnets({{"127.239.112.10", 1}}, {})->find("none are configured") !=
        std::string::npos);
}

TEST_CASE("given a map within the known subnets, when applied, then it is accepted") {
  const ClientConfig config = loopback_config();
  const json storage = json::array({"127.239.113.30:16384", "127.239.112.30"});
  const auto update =
      apply_network_map(config,
                        map_of({"127.239.112.0/24", "127.239.113.0/24", "127.239.114.0/24"},
                               {"127.239.112.11:16384", "127.239.113.11:16384"}, 2),
                        storage);
  CHECK(update.outcome == MapUpdate::Outcome::accepted);
  CHECK(update.reason.empty());
  CHECK(update.config.network_map_version == 2);
  CHECK(update.config.subnets.size() == 3);
  CHECK(update.config.registration.to_string() == "127.239.112.11:16384,127.239.113.11:16384");
  REQUIRE(update.config.storage);
  CHECK(update.config.storage->to_string() == "127.239.113.30:16384,127.239.112.30:16384");
  CHECK(update.config.account_id == config.account_id);

  // Second step of a renumbering: addresses move into the announced subnet.
  const auto moved = apply_network_map(
      update.config, map_of({"127.239.114.0/24"}, {"127.239.114.10", "127.239.114.11"}, 3),
      json::array({"127.239.114.20", "127.239.114.21"}));
  CHECK(moved.outcome == MapUpdate::Outcome::accepted);
  CHECK(moved.config.subnets == std::vector<Cidr>{cidr("127.239.114.0/24")});
}

TEST_CASE("given the same map again or an older one, when applied, then nothing changes") {
  const ClientConfig config = loopback_config();
  const json same = map_of({"127.239.112.0/24", "127.239.113.0/24"},
                           {"127.239.112.10:16384", "127.239.113.10:16384"}, 1);
  auto update = apply_network_map(config, same, nullptr);
  CHECK(update.outcome == MapUpdate::Outcome::unchanged);
  CHECK(update.config == config);
  // What today's offsited sends: no registration pair, its own storage default.
  update = apply_network_map(config, map_of(json::array(), json::array(), 1), nullptr);
  CHECK(update.outcome == MapUpdate::Outcome::unchanged);
  CHECK(update.config == config);

  ClientConfig newer = config;
  newer.network_map_version = 5;
  update = apply_network_map(newer, map_of({"127.239.112.0/24"}, json::array(), 4),
                             json::array({"127.239.112.99", "127.239.112.98"}));
  CHECK(update.outcome == MapUpdate::Outcome::unchanged);
  CHECK(update.config == newer);
  CHECK(update.reason.find("version 4") != std::string::npos);
  CHECK(update.reason.find("version 5") != std::string::npos);
}

TEST_CASE("given a map moving the client outside its subnets, when applied, then refused") {
  const ClientConfig config = loopback_config();
  SUBCASE("registration outside, even if the map adds its subnet") {
    const auto update = apply_network_map(
        config, map_of({"127.239.112.0/24", "10.9.0.0/16"}, {"127.239.112.10", "10.9.0.1"}, 2),
        nullptr);
    CHECK(update.outcome == MapUpdate::Outcome::refused);
    CHECK(update.config == config);
    CHECK(update.reason.find("10.9.0.1:16384 is outside") != std::string::npos);
  }
  SUBCASE("account storage outside") {
    const auto update = apply_network_map(config, map_of(json::array(), json::array(), 2),
                                          json::array({"127.239.112.20:16384", "192.0.2.1:16384"}));
    CHECK(update.outcome == MapUpdate::Outcome::refused);
    CHECK(update.reason.find("192.0.2.1:16384") != std::string::npos);
  }
  SUBCASE("subnets dropped while the client's servers are still in them") {
    const auto update =
        apply_network_map(config, map_of({"127.239.114.0/24"}, json::array(), 2), nullptr);
    CHECK(update.outcome == MapUpdate::Outcome::refused);
    CHECK(update.reason.find("once the network map's subnets replace them") != std::string::npos);
  }
  SUBCASE("a subnet as wide as the internet") {
    const auto update = apply_network_map(config, map_of({"0.0.0.0/0"}, json::array(), 2), nullptr);
    CHECK(update.outcome == MapUpdate::Outcome::refused);
    CHECK(update.reason.find("broader than /8") != std::string::npos);
  }
  // The map's default storage for new accounts is never taken.
  const auto ignored = apply_network_map(config, map_of(json::array(), json::array(), 2), nullptr);
  CHECK(ignored.outcome == MapUpdate::Outcome::accepted);
  CHECK(ignored.config.storage == config.storage);
}

TEST_CASE("given hostile or misshapen maps, when applied, then refused without echoing bytes") {
  const ClientConfig config = loopback_config();
  const std::string hostile = "\x1b[2J\xff\xfe" + std::string(5000, 'A');
  json map = map_of({"127.239.112.0/24", "127.239.113.0/24"}, {"127.239.112.10", "127.239.113.10"});
  json storage = nullptr;
  std::string expected;
  SUBCASE("not an object") {
    map = json::array({1, 2});
    expected = "not a JSON object";
  }
  SUBCASE("no version") {
    map.erase("version");
    expected = "\"version\"";
  }
  SUBCASE("negative version") {
    map["version"] = -3;
    expected = "\"version\"";
  }
  SUBCASE("version as text") {
    map["version"] = "2";
    expected = "\"version\"";
  }
  SUBCASE("port out of range") {
    map["port"] = 70000;
    expected = "\"port\"";
  }
  SUBCASE("subnets not a list") {
    map["subnets"] = {{"a", 1}};
    expected = "\"subnets\" is a JSON object";
  }
  SUBCASE("hostile subnet") {
    map["subnets"] = json::array({hostile});
    expected = "\"subnets\"[0] is a 5006-byte string";
  }
  SUBCASE("too many subnets") {
    map["subnets"] = json::array();
    for (int i = 0; i < 1000; ++i)
      map["subnets"].push_back("127.239.112.0/24");
    expected = "1000 subnets";
  }
  SUBCASE("hostile registration address") {
    map["registration"] = json::array({"127.239.112.10", hostile});
    expected = "the alternate server a 5006-byte string";
  }
  SUBCASE("registration by name") {
    map["registration"] = json::array({"127.239.112.10", "dc.example.com"});
    expected = "never by name";
  }
  SUBCASE("three registration servers") {
    map["registration"] = json::array({"127.239.112.10", "127.239.112.11", "127.239.112.12"});
    expected = "a list of 3";
  }
  SUBCASE("same server twice") {
    map["registration"] = json::array({"127.239.112.10", "127.239.112.10:16384"});
    expected = "same server";
  }
  SUBCASE("storage pair of numbers") {
    storage = json::array({1, 2});
    expected = "the account's storage pair";
  }
  SUBCASE("storage pair as one text") {
    storage = "127.239.112.10,127.239.113.10";
    expected = "the account's storage pair: expected two servers";
  }
  const auto update = apply_network_map(config, map, storage);
  CHECK(update.outcome == MapUpdate::Outcome::refused);
  CHECK(update.config == config);
  CHECK(update.reason.find(expected) != std::string::npos);
  CHECK(update.reason.find("AAAAAAAA") == std::string::npos);
  CHECK(update.reason.find('\x1b') == std::string::npos);
}

TEST_SUITE_END();
