#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "cli/app.hpp"
#include "cli/config/client_config.hpp"
#include "cli/network/transport_settings.hpp"
#include "core/common/error.hpp"
#include "tests/unit/scoped_env.hpp"
#include "tests/unit/temp_dir.hpp"
#include "tests/unit/test_transport_helpers.hpp"
#include "transport/tls/tls.hpp"

using nlohmann::json;
using offsite::Code;
using offsite::Error;
using offsite::cli::parse_no_proxy;
using offsite::cli::parse_port_map;
using offsite::cli::parse_proxy_url;
using offsite::cli::ProxyUrl;
using offsite::cli::TransportFlags;
using offsite::cli::TransportSettings;
using offsite::transport::Endpoint;
namespace cli = offsite::cli;
namespace fs = std::filesystem;

namespace {

const std::string k_secret = "s3cr3t-Pa55";
const std::string k_fp = "sha256:" + std::string(64, 'a');

ProxyUrl url_of(std::string_view text) {
  std::string error;
  auto url = parse_proxy_url(text, &error);
  INFO(error);
  REQUIRE(url);
  return *url;
}

std::string url_error(std::string_view text) {
  std::string error;
  CHECK_FALSE(parse_proxy_url(text, &error));
  CHECK_FALSE(error.empty());
  return error;
}

// A made-up environment: only what the test puts in it.
struct FakeEnv {
  std::map<std::string, std::string> vars;
  cli::EnvLookup lookup() const {
    return [this](const std::string& name) -> std::optional<std::string> {
      const auto it = vars.find(name);
      if (it == vars.end() || it->second.empty()) return std::nullopt;
      return it->second;
    };
  }
};

TransportSettings resolve(const TransportFlags& flags, const json& config, const FakeEnv& env) {
  return cli::resolve_transport(flags, config, env.lookup());
}

// The Error a call throws (FAIL when it throws none).
template <class F> Error error_of(F body) {
  try {
    body();
  } catch (const Error& e) {
    return e;
  }
  FAIL("no error was thrown");
  return Error(Code::generic, "");
}

cli::SecretPrompt no_terminal() {
  return [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
}

void write(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// offsite ARGS... in this process, as main would run it.
int run_offsite(std::vector<std::string> args) {
  args.insert(args.begin(), "offsite");
  std::vector<char*> argv;
  for (auto& arg : args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  return cli::run(static_cast<int>(args.size()), argv.data());
}

// What `body` prints on stdout (through a file; restored even if it throws).
template <class F> std::string capture_stdout(F body) {
  offsite::test::TempDir dir;
  const auto path = dir / "stdout";
  std::fflush(stdout);
  struct Restore {
    int saved = ::dup(STDOUT_FILENO);
    ~Restore() {
      std::fflush(stdout);
      ::dup2(saved, STDOUT_FILENO);
      ::close(saved);
    }
  } restore;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  REQUIRE(fd >= 0);
  ::dup2(fd, STDOUT_FILENO);
  ::close(fd);
  body();
  std::fflush(stdout);
  return read(path);
}

using offsite::test::ScopedEnv;

} // namespace

TEST_SUITE_BEGIN("cli::transport_settings");

// --- proxy URLs -------------------------------------------------------------

TEST_CASE("given SOCKS and HTTP URLs, when parsed, then kind, host and port are as curl reads "
          "them") {
  auto url = url_of("socks5://proxy.example");
  CHECK(url.scheme->name == "socks5");
  CHECK(url.proxy == Endpoint{"proxy.example", 1080});
  CHECK_FALSE(url.username);
  CHECK(url_of("SOCKS5H://10.0.0.1:1081/").scheme->name == "socks5");
  CHECK(url_of("socks5h://10.0.0.1:1081/").proxy == Endpoint{"10.0.0.1", 1081});
  CHECK(url_of("socks4://10.0.0.1").scheme->name == "socks4");
  CHECK(url_of("socks4a://10.0.0.1").scheme->name == "socks4a");
  // HTTP proxies default to 1080 as in curl; a bare HOST:PORT is HTTP.
  CHECK(url_of("http://proxy.example").proxy == Endpoint{"proxy.example", 1080});
  auto bare = url_of("proxy.example:3128");
  CHECK(bare.scheme->name == "http");
  CHECK(bare.proxy.port == 3128);
}

TEST_CASE("given every scheme of the table, when a URL of it is parsed, then it gets that row, "
          "its default port and its canonical name") {
  for (const auto& row : offsite::transport::proxy_schemes()) {
    for (const auto name : {row.name, row.alias}) {
      if (name.empty()) continue;
      CAPTURE(name);
      const auto url = url_of(std::string(name) + "://proxy.example");
      CHECK(url.scheme == &row);
      CHECK(url.proxy.port == row.default_port);
      CHECK(url.redacted() ==
            std::string(row.name) + "://proxy.example" + (row.takes_port() ? ":1080" : ""));
      CHECK(url.describe().rfind(std::string(row.label) + " proxy.example", 0) == 0);
    }
  }
}

TEST_CASE("given an IPv6 proxy, when parsed, then it must be in brackets") {
  CHECK(url_of("socks5://[2001:db8::1]:1080").proxy == Endpoint{"2001:db8::1", 1080});
  CHECK(url_of("socks5://[::1]").proxy == Endpoint{"::1", 1080});
  CHECK(url_of("socks5://[::1]").redacted() == "socks5://[::1]:1080");
  CHECK(url_error("socks5://2001:db8::1:1080").find("brackets") != std::string::npos);
}

TEST_CASE("given a user with and without a password, when parsed, then both are decoded") {
  auto user_only = url_of("socks5://alice@proxy.example:1080");
  CHECK(user_only.username == "alice");
  CHECK_FALSE(user_only.password);
  CHECK(user_only.wants_password());

  auto with = url_of("http://al%40ice:p%3Ass@wd@proxy.example:3128");
  CHECK(with.username == "al@ice");
  CHECK(with.password == "p:ss@wd");
  CHECK(with.proxy == Endpoint{"proxy.example", 3128});
  CHECK(url_of("socks4://bob@10.0.0.1").wants_password() == false);
}

TEST_CASE("given bad proxy URLs, when parsed, then each error names the problem") {
  CHECK(url_error("").find("empty") != std::string::npos);
  CHECK(url_error("ftp://proxy.example").find("\"ftp\" is not a proxy scheme") !=
        std::string::npos);
  CHECK(url_error("https://proxy.example").find("not supported") != std::string::npos);
  // The lists of schemes come from the table, in its order.
  CHECK(url_error("ftp://proxy.example") ==
        "\"ftp\" is not a proxy scheme: use socks5://, socks4://, socks4a://, http:// or "
        "mapped://");
  CHECK(url_error("socks://proxy.example") ==
        "\"socks\" proxy scheme is not supported: use socks5://, socks4://, socks4a://, http:// "
        "(HTTP CONNECT; the tunnel carries TLS anyway) or mapped://");
  CHECK(url_error("socks5://").find("no host") != std::string::npos);
  CHECK(url_error("socks5://proxy.example:1080/path").find("without a path") != std::string::npos);
  CHECK(url_error("socks5://proxy.example:0").find("port") != std::string::npos);
  CHECK(url_error("socks5://proxy.example:65536").find("port") != std::string::npos);
  CHECK(url_error("socks5://bad_host!:1080").find("host name") != std::string::npos);
  CHECK(url_error("socks5://@proxy.example").find("user name") != std::string::npos);
  CHECK(url_error("socks5://a%zz@proxy.example").find("%-escape") != std::string::npos);
  CHECK(url_error("mapped://fw.example:4000").find("takes no port") != std::string::npos);
  CHECK(url_error("mapped://alice@fw.example").find("no user name") != std::string::npos);
}

TEST_CASE("given a URL with a password, when it is shown or refused, then the password never "
          "appears") {
  const auto url = url_of("socks5://alice:" + k_secret + "@proxy.example:1080");
  CHECK(url.password == k_secret);
  CHECK(url.redacted() == "socks5://alice@proxy.example:1080");
  CHECK(url.describe() == "SOCKS5 proxy proxy.example:1080 (user alice)");
  for (const std::string& bad :
       {"socks5://alice:" + k_secret + "@bad host", "socks5://alice:" + k_secret + "@host:99999",
        "alice:" + k_secret + "://x@y", "socks5://alice:" + k_secret + "%zz@host"})
    CHECK(url_error(bad).find(k_secret) == std::string::npos);
}

TEST_CASE("given each kind, when described, then the text names the layer") {
  CHECK(url_of("socks4a://bob@10.0.0.1:1080").describe() ==
        "SOCKS4a proxy 10.0.0.1:1080 (user id bob)");
  CHECK(url_of("http://proxy:3128").describe() == "HTTP proxy proxy:3128");
  CHECK(url_of("mapped://fw.example").describe() == "mapped firewall fw.example");
  CHECK(url_of("mapped://fw.example").redacted() == "mapped://fw.example");
}

// --- maps and NO_PROXY ---------------------------------------------------------

TEST_CASE("given map entries, when parsed, then servers are IP literals with port 16384 by "
          "default") {
  std::string error;
  auto map = parse_port_map("193.239.112.10=40001, 193.239.113.10:7000=40002 [::1]=40003", &error);
  REQUIRE(map);
  CHECK(map->size() == 3);
  CHECK(map->at(Endpoint{"193.239.112.10", 16384}) == 40001);
  CHECK(map->at(Endpoint{"193.239.113.10", 7000}) == 40002);
  CHECK(map->at(Endpoint{"::1", 16384}) == 40003);

  CHECK_FALSE(parse_port_map("server.example=40001", &error));
  CHECK(error.find("never by name") != std::string::npos);
  CHECK_FALSE(parse_port_map("193.239.112.10", &error));
  CHECK(error.find("SERVER_IP=PORT") != std::string::npos);
  CHECK_FALSE(parse_port_map("193.239.112.10=0", &error));
  CHECK_FALSE(parse_port_map("193.239.112.10=1,193.239.112.10:16384=2", &error));
  CHECK(error.find("twice") != std::string::npos);
  CHECK_FALSE(parse_port_map(" ", &error));
}

TEST_CASE("given NO_PROXY lists, when parsed, then addresses are canonical and junk is strict "
          "only from the user") {
  auto list = parse_no_proxy("*, 10.0.0.0/8 [2001:DB8::1] .Example.com,localhost", true);
  REQUIRE(list);
  CHECK(*list ==
        std::vector<std::string>{"*", "10.0.0.0/8", "2001:db8::1", ".example.com", "localhost"});
  std::string error;
  CHECK_FALSE(parse_no_proxy("10.0.0.1/8", true, &error));
  CHECK(error.find("10.0.0.0/8") != std::string::npos);
  CHECK_FALSE(parse_no_proxy("host:8080", true, &error));
  // The environment is shared with other programs: what we cannot match stays harmless.
  CHECK(parse_no_proxy("host:8080,10.1.2.3", false)->back() == "10.1.2.3");
}

// --- precedence ---------------------------------------------------------------

TEST_CASE("given a flag, the environment and config.json, when resolved, then the flag wins") {
  FakeEnv env{{{"ALL_PROXY", "socks5://env.example"}}};
  const json config = {{"proxy", "http://config.example:3128"}};
  TransportFlags flags;
  flags.proxy = "socks4://flag.example";
  auto settings = resolve(flags, config, env);
  REQUIRE(settings.proxy);
  CHECK(settings.proxy->proxy.host == "flag.example");
  CHECK(settings.proxy_origin == "--proxy");

  settings = resolve({}, config, env);
  CHECK(settings.proxy->proxy.host == "env.example");
  CHECK(settings.proxy_origin == "ALL_PROXY");

  settings = resolve({}, config, FakeEnv{});
  CHECK(settings.proxy->proxy.host == "config.example");
  CHECK(settings.proxy_origin == "config.json");

  settings = resolve({}, json::object(), FakeEnv{});
  CHECK_FALSE(settings.proxy);
  CHECK(settings.describe() == "direct");
}

TEST_CASE("given several proxy variables, when resolved, then curl's order decides") {
  FakeEnv env{{{"ALL_PROXY", "socks5://a"},
               {"all_proxy", "socks5://b"},
               {"HTTPS_PROXY", "http://c:3128"},
               {"https_proxy", "http://d:3128"},
               {"HTTP_PROXY", "http://never:3128"}}};
  CHECK(resolve({}, {}, env).proxy->proxy.host == "d");
  env.vars.erase("https_proxy");
  CHECK(resolve({}, {}, env).proxy->proxy.host == "c");
  env.vars["HTTPS_PROXY"] = ""; // empty counts as unset, as in curl
  CHECK(resolve({}, {}, env).proxy->proxy.host == "b");
  env.vars.erase("all_proxy");
  CHECK(resolve({}, {}, env).proxy->proxy.host == "a");
  env.vars.erase("ALL_PROXY");
  CHECK_FALSE(resolve({}, {}, env).proxy);
}

TEST_CASE("given --no-proxy, when resolved, then the environment is ignored and config.json "
          "still applies") {
  FakeEnv env{{{"ALL_PROXY", "socks5://env.example"}, {"NO_PROXY", "10.0.0.0/8"}}};
  TransportFlags flags;
  flags.no_proxy = true;
  CHECK_FALSE(resolve(flags, json::object(), env).proxy);
  auto settings =
      resolve(flags, {{"proxy", "socks5://cfg.example"}, {"no_proxy", {"192.0.2.0/24"}}}, env);
  CHECK(settings.proxy->proxy.host == "cfg.example");
  CHECK(settings.no_proxy == std::vector<std::string>{"192.0.2.0/24"});

  TransportFlags direct;
  direct.proxy = "direct";
  CHECK_FALSE(resolve(direct, {{"proxy", "socks5://cfg.example"}}, env).proxy);
}

TEST_CASE("given NO_PROXY in the environment and in config.json, when resolved, then the "
          "environment's list is used, lower case first") {
  FakeEnv env{{{"NO_PROXY", "127.239.113.0/24"}, {"no_proxy", "127.239.112.10"}}};
  const json config = {{"proxy", "socks5://p"}, {"no_proxy", {"192.0.2.1"}}};
  auto settings = resolve({}, config, env);
  CHECK(settings.no_proxy == std::vector<std::string>{"127.239.112.10"});
  CHECK(settings.no_proxy_origin == "no_proxy");
  CHECK(settings.describe() == "SOCKS5 proxy p:1080; not for 127.239.112.10");
  env.vars.erase("no_proxy");
  CHECK(resolve({}, config, env).no_proxy == std::vector<std::string>{"127.239.113.0/24"});
  CHECK(resolve({}, config, FakeEnv{}).no_proxy == std::vector<std::string>{"192.0.2.1"});
}

TEST_CASE("given source ports in a flag and in config.json, when resolved, then the flag wins "
          "and a bad range is a usage error") {
  TransportFlags flags;
  flags.source_ports = "1024-5000";
  const json config = {{"source_ports", "6000-7000"}};
  CHECK(resolve(flags, config, {}).source_ports->to_string() == "1024-5000");
  CHECK(resolve({}, config, {}).source_ports->to_string() == "6000-7000");
  CHECK(resolve({}, config, {}).describe() == "direct; source ports 6000-7000");
  flags.source_ports = "5000-1024";
  const auto e = error_of([&] { resolve(flags, config, {}); });
  CHECK(e.code() == Code::usage);
  CHECK(std::string(e.what()).find("--source-ports") != std::string::npos);
}

// --- mapped proxy firewalls --------------------------------------------------------

TEST_CASE("given mapped:// with --map, when resolved, then the map is the flags' and "
          "replaces config.json's") {
  TransportFlags flags;
  flags.proxy = "mapped://fw.example";
  flags.map = {"127.239.112.10=40001", "127.239.113.10=40002"};
  const json config = {{"map", {{"127.239.112.99:16384", 1}}}};
  auto settings = resolve(flags, config, {});
  REQUIRE(settings.proxy);
  CHECK(settings.proxy->scheme->name == "mapped");
  CHECK(settings.map.size() == 2);
  CHECK(settings.map.at(Endpoint{"127.239.113.10", 16384}) == 40002);
  CHECK(settings.describe() == "mapped firewall fw.example (2 servers mapped)");

  flags.map.clear();
  CHECK(resolve(flags, config, {}).map.at(Endpoint{"127.239.112.99", 16384}) == 1);
}

TEST_CASE("given a mapped proxy without a map, or a map without a mapped proxy, when resolved, "
          "then it is refused") {
  TransportFlags flags;
  flags.proxy = "mapped://fw.example";
  auto e = error_of([&] { resolve(flags, json::object(), {}); });
  CHECK(e.code() == Code::usage);
  CHECK(std::string(e.what()).find("needs the firewall's port") != std::string::npos);
  CHECK(e.hint().find("--map") != std::string::npos);

  e = error_of([&] { resolve({}, {{"proxy", "mapped://fw.example"}}, {}); });
  CHECK(e.code() == Code::config);

  TransportFlags map_only;
  map_only.map = {"127.239.112.10=40001"};
  e = error_of([&] { resolve(map_only, json::object(), {}); });
  CHECK(e.code() == Code::usage);
  CHECK(std::string(e.what()).find("--map is for a mapped proxy firewall") != std::string::npos);

  flags.map = {"fw-name.example=40001"};
  e = error_of([&] { resolve(flags, json::object(), {}); });
  CHECK(e.code() == Code::usage);
  CHECK(std::string(e.what()).find("never by name") != std::string::npos);
}

// --- bad input from each source ----------------------------------------------------

TEST_CASE("given a bad proxy variable, when resolved, then Error(config) names the variable "
          "without its password") {
  FakeEnv env{{{"https_proxy", "gopher://alice:" + k_secret + "@proxy"}}};
  const auto e = error_of([&] { resolve({}, json::object(), env); });
  CHECK(e.code() == Code::config);
  CHECK(std::string(e.what()).find("https_proxy") != std::string::npos);
  CHECK(std::string(e.what()).find(k_secret) == std::string::npos);
  CHECK(e.hint().find("--no-proxy") != std::string::npos);
}

TEST_CASE("given a bad --proxy, when resolved, then it is a usage error without the password") {
  TransportFlags flags;
  flags.proxy = "socks5://alice:" + k_secret + "@";
  const auto e = error_of([&] { resolve(flags, json::object(), {}); });
  CHECK(e.code() == Code::usage);
  CHECK(std::string(e.what()).find("--proxy") != std::string::npos);
  CHECK(std::string(e.what()).find(k_secret) == std::string::npos);
}

TEST_CASE("given config.json's transport with three problems, when resolved, then each gets a "
          "line") {
  const json config = {{"proxy", "socks5://alice:" + k_secret + "@p"},
                       {"map", {{"name.example:16384", 40001}}},
                       {"source_port", "1024-5000"}};
  const auto e = error_of([&] { resolve({}, config, {}); });
  const std::string message = e.what();
  CHECK(e.code() == Code::config);
  CHECK(message.find("holds a password") != std::string::npos);
  CHECK(message.find("never by name") != std::string::npos);
  CHECK(message.find("\"source_port\" is not a transport setting") != std::string::npos);
  CHECK(std::count(message.begin(), message.end(), '\n') == 3);
  CHECK(message.find(k_secret) == std::string::npos);
}

// --- the proxy password ----------------------------------------------------------

TEST_CASE("given every password source, when resolved, then they count in the documented "
          "order") {
  offsite::test::TempDir dir;
  write(dir / "flag-file", "from-flag-file\n");
  write(dir / "config-file", "from-config-file\r\nsecond line\n");
  FakeEnv env{{{"ALL_PROXY", "socks5://alice:from-url@proxy"},
               {"OFFSITE_PROXY_PASSWORD", "from-variable"}}};
  const json config = {{"proxy_password_file", (dir / "config-file").string()}};
  TransportFlags flags;
  flags.proxy_password_file = (dir / "flag-file").string();
  int prompts = 0;
  const cli::SecretPrompt prompt = [&](std::string_view) -> std::optional<std::string> {
    ++prompts;
    return "from-prompt";
  };
  auto password = [&] {
    auto settings = resolve(flags, config, env);
    cli::resolve_proxy_password(settings, env.lookup(), prompt);
    return settings.proxy->password.value_or("(none)");
  };
  CHECK(password() == "from-flag-file");
  flags.proxy_password_file.clear();
  CHECK(password() == "from-url");
  env.vars["ALL_PROXY"] = "socks5://alice@proxy";
  CHECK(password() == "from-variable");
  env.vars.erase("OFFSITE_PROXY_PASSWORD");
  CHECK(password() == "from-config-file");
  CHECK(prompts == 0);
  env.vars["ALL_PROXY"] = "http://alice@proxy:3128";
  CHECK(resolve(flags, json::object(), env).proxy->password == std::nullopt);
  auto settings = resolve(flags, json::object(), env);
  cli::resolve_proxy_password(settings, env.lookup(), prompt);
  CHECK(settings.proxy->password == "from-prompt");
  CHECK(prompts == 1);
}

TEST_CASE("given a proxy user and no password source nor terminal, when resolved, then "
          "passphrase_required says how to give it") {
  FakeEnv env{{{"ALL_PROXY", "socks5://alice@proxy.example"}}};
  auto settings = resolve({}, json::object(), env);
  const auto e =
      error_of([&] { cli::resolve_proxy_password(settings, env.lookup(), no_terminal()); });
  CHECK(e.code() == Code::passphrase_required);
  CHECK(std::string(e.what()).find("SOCKS5 proxy proxy.example:1080 (user alice)") !=
        std::string::npos);
  CHECK(std::string(e.what()).find("ALL_PROXY") != std::string::npos);
  CHECK(e.hint().find("OFFSITE_PROXY_PASSWORD") != std::string::npos);
  CHECK(e.hint().find("--proxy-password-file") != std::string::npos);
}

TEST_CASE("given proxies that need no password, when resolved, then nobody is asked") {
  const cli::SecretPrompt refuse = [](std::string_view) -> std::optional<std::string> {
    FAIL("asked for a password");
    return std::nullopt;
  };
  for (const char* proxy :
       {"socks4://alice@p", "socks4a://alice@p", "socks5://p", "http://p:3128"}) {
    FakeEnv env{{{"ALL_PROXY", proxy}}};
    auto settings = resolve({}, json::object(), env);
    cli::resolve_proxy_password(settings, env.lookup(), refuse);
    CHECK_FALSE(settings.proxy->password);
  }
  FakeEnv everything_direct{{{"ALL_PROXY", "socks5://alice@p"}, {"NO_PROXY", "*"}}};
  auto settings = resolve({}, json::object(), everything_direct);
  cli::resolve_proxy_password(settings, everything_direct.lookup(), refuse);
}

TEST_CASE("given an empty or missing password file, when resolved, then the error names the "
          "file") {
  offsite::test::TempDir dir;
  write(dir / "empty", "");
  FakeEnv env{{{"ALL_PROXY", "socks5://alice@p"}}};
  TransportFlags flags;
  flags.proxy_password_file = (dir / "empty").string();
  auto settings = resolve(flags, json::object(), env);
  auto e = error_of([&] { cli::resolve_proxy_password(settings, env.lookup(), no_terminal()); });
  CHECK(e.code() == Code::usage);
  CHECK(std::string(e.what()).find("is empty") != std::string::npos);

  settings = resolve({}, {{"proxy_password_file", (dir / "missing").string()}}, env);
  e = error_of([&] { cli::resolve_proxy_password(settings, env.lookup(), no_terminal()); });
  CHECK(e.code() == Code::config);
  CHECK(std::string(e.what()).find("missing") != std::string::npos);
}

TEST_CASE("given a resolved password, when described, then the password is not in the text") {
  FakeEnv env{
      {{"ALL_PROXY", "http://alice:" + k_secret + "@proxy:3128"}, {"NO_PROXY", "10.0.0.1"}}};
  TransportFlags flags;
  flags.source_ports = "1024-5000";
  auto settings = resolve(flags, json::object(), env);
  cli::resolve_proxy_password(settings, env.lookup(), no_terminal());
  CHECK(settings.proxy->password == k_secret);
  CHECK(settings.describe() ==
        "HTTP proxy proxy:3128 (user alice); not for 10.0.0.1; source ports 1024-5000");
}

// --- --proxy on the command line ------------------------------------------------------

TEST_CASE("given a password in --proxy, when argv is scrubbed, then only the password is "
          "masked and a warning is due") {
  std::string a0 = "offsite", a1 = "--proxy", a2 = "socks5://alice:" + k_secret + "@p:1080",
              a3 = "--proxy=http://bob:pw@q", a4 = "snapshots";
  char* argv[] = {a0.data(), a1.data(), a2.data(), a3.data(), a4.data(), nullptr};
  TransportFlags flags;
  flags.proxy = a2;
  CHECK(cli::argv_password_warning(flags));
  cli::scrub_argv_password(5, argv);
  CHECK(std::string(argv[2]) == "socks5://alice:" + std::string(k_secret.size(), '*') + "@p:1080");
  CHECK(std::string(argv[3]) == "--proxy=http://bob:**@q");
  CHECK(std::string(argv[4]) == "snapshots");
  flags.proxy = "socks5://alice@p";
  CHECK_FALSE(cli::argv_password_warning(flags));
}

// --- config.json keys ------------------------------------------------------------

TEST_CASE("given transport keys, when set and unset, then values are validated and "
          "canonical") {
  json transport = json::object();
  transport = cli::set_transport_key(transport, "proxy", "SOCKS5H://alice@proxy.example");
  CHECK(transport["proxy"] == "socks5://alice@proxy.example:1080");
  transport = cli::set_transport_key(transport, "map", "127.239.112.10=40001");
  transport = cli::set_transport_key(transport, "map", "127.239.112.10=40003,127.239.113.10=40002");
  CHECK(transport["map"] == json{{"127.239.112.10:16384", 40003}, {"127.239.113.10:16384", 40002}});
  transport = cli::set_transport_key(transport, "source_ports", "1024-5000");
  transport = cli::set_transport_key(transport, "no_proxy", "10.0.0.0/8, 192.0.2.1");
  CHECK(transport["no_proxy"] == json{"10.0.0.0/8", "192.0.2.1"});
  transport = cli::set_transport_key(transport, "proxy_password_file", "relative/pw");
  CHECK(fs::path(transport["proxy_password_file"].get<std::string>()).is_absolute());

  transport = cli::unset_transport_key(transport, "map", "127.239.112.10");
  CHECK(transport["map"] == json{{"127.239.113.10:16384", 40002}});
  transport = cli::unset_transport_key(transport, "map", "127.239.113.10");
  CHECK_FALSE(transport.contains("map"));
  transport = cli::unset_transport_key(transport, "proxy");
  CHECK_FALSE(transport.contains("proxy"));

  for (auto [key, value] :
       std::vector<std::pair<std::string, std::string>>{{"proxy", "ftp://x"},
                                                        {"proxy", "direct"},
                                                        {"map", "name.example=1"},
                                                        {"source_ports", "1-0"},
                                                        {"no_proxy", "a b/c"},
                                                        {"nope", "x"}}) {
    INFO(key << " " << value);
    CHECK(error_of([&] { cli::set_transport_key(transport, key, value); }).code() == Code::usage);
  }
  CHECK(error_of([&] { cli::unset_transport_key(transport, "map", "127.0.0.9"); }).code() ==
        Code::usage);
}

TEST_CASE("given a password in the proxy URL, when saved to config.json, then it is refused") {
  const auto e = error_of([&] {
    cli::set_transport_key(json::object(), "proxy", "socks5://alice:" + k_secret + "@p");
  });
  CHECK(e.code() == Code::usage);
  CHECK(std::string(e.what()).find(k_secret) == std::string::npos);
  CHECK(e.hint().find("OFFSITE_PROXY_PASSWORD") != std::string::npos);
}

TEST_CASE("given offsite config set and unset, when run, then config.json changes atomically and "
          "holds no password") {
  offsite::test::TempDir dir;
  const std::string config_dir = (dir / "cfg").string();
  CHECK(run_offsite({"--config-dir", config_dir, "config", "set", "proxy",
                     "socks5://alice@proxy.example", "source-ports", "1024-5000", "map",
                     "127.239.112.10=40001"}) == 0);
  auto saved = cli::load_config(config_dir);
  REQUIRE(saved);
  CHECK(saved->transport["proxy"] == "socks5://alice@proxy.example:1080");
  CHECK(saved->transport["source_ports"] == "1024-5000");
  CHECK(saved->registration == cli::built_in_config().registration);

  // Any bad value leaves the file as it was.
  const std::string before = read(cli::config_file(config_dir));
  CHECK(run_offsite({"--config-dir", config_dir, "config", "set", "proxy",
                     "socks5://alice:" + k_secret + "@p"}) == 2);
  CHECK(run_offsite({"--config-dir", config_dir, "config", "set", "source_ports", "1024-5000",
                     "proxy"}) == 2);
  CHECK(run_offsite({"--config-dir", config_dir, "config", "set", "proxi", "socks5://p"}) == 2);
  CHECK(run_offsite({"--config-dir", config_dir, "config", "set", "account_id", "x"}) == 2);
  CHECK(run_offsite({"--config-dir", config_dir, "config", "set", "subnets", "10.0.0.0/8"}) == 2);
  CHECK(read(cli::config_file(config_dir)) == before);
  CHECK(before.find(k_secret) == std::string::npos);

  // Subnets and the registration pair move together.
  CHECK(run_offsite({"--config-dir", config_dir, "config", "set", "subnets",
                     "127.239.112.0/24,127.239.113.0/24", "registration",
                     "127.239.112.10,127.239.113.10", "fingerprint", k_fp}) == 0);
  saved = cli::load_config(config_dir);
  CHECK(saved->registration.to_string() == "127.239.112.10:16384,127.239.113.10:16384");
  CHECK(saved->fingerprint == k_fp);

  CHECK(run_offsite({"--config-dir", config_dir, "config", "unset", "map", "127.239.112.10",
                     "proxy"}) == 0);
  saved = cli::load_config(config_dir);
  CHECK(saved->transport == json{{"source_ports", "1024-5000"}});
  const std::string shown = capture_stdout([&] {
    CHECK(run_offsite({"--config-dir", config_dir, "config", "show"}) == 0);
  });
  CHECK(shown.find("source_ports         1024-5000") != std::string::npos);
}

TEST_CASE("given a proxy password in the environment, when the config is shown as JSON, then "
          "the proxy is there and the password is not") {
  offsite::test::TempDir dir;
  const std::string config_dir = (dir / "cfg").string();
  REQUIRE(run_offsite({"--config-dir", config_dir, "config", "set", "no_proxy", "192.0.2.0/24"}) ==
          0);
  ScopedEnv proxy("ALL_PROXY", "socks5://alice:" + k_secret + "@proxy.example:1080");
  ScopedEnv no_proxy("NO_PROXY", "127.239.113.0/24");
  ScopedEnv https_lower("https_proxy", std::nullopt), https_upper("HTTPS_PROXY", std::nullopt),
      all_lower("all_proxy", std::nullopt), no_lower("no_proxy", std::nullopt);
  int status = -1;
  const std::string out = capture_stdout([&] {
    status = run_offsite({"--config-dir", config_dir, "--json", "config", "show"});
  });
  CHECK(status == 0);
  INFO(out);
  const json doc = json::parse(out);
  CHECK(doc["type"] == "config");
  CHECK(doc["config"]["transport"]["no_proxy"] == json{"192.0.2.0/24"});
  CHECK(doc["effective"]["proxy"] == "socks5://alice@proxy.example:1080");
  CHECK(doc["effective"]["proxy_origin"] == "ALL_PROXY");
  CHECK(doc["effective"]["no_proxy"] == json{"127.239.113.0/24"});
  CHECK(out.find(k_secret) == std::string::npos);

  const std::string text = capture_stdout([&] {
    run_offsite({"--config-dir", config_dir, "config", "show"});
  });
  CHECK(text.find("SOCKS5 proxy proxy.example:1080 (user alice)") != std::string::npos);
  CHECK(text.find(k_secret) == std::string::npos);
}

// --- the connector stack ----------------------------------------------------------

TEST_CASE("given each choice, when the stack is built, then its layers are exactly the "
          "documented ones") {
  auto layers = [](const TransportFlags& flags, const FakeEnv& env = {}) {
    auto settings = resolve(flags, json::object(), env);
    cli::resolve_proxy_password(settings, env.lookup(), no_terminal());
    const auto stack = cli::build_connector_stack(k_fp, settings);
    CHECK(dynamic_cast<offsite::transport::TlsConnector*>(stack.connector.get()));
    CHECK(stack.description == settings.describe());
    return stack.layers;
  };
  TransportFlags flags;
  CHECK(layers(flags) == "tls(tcp)");
  flags.source_ports = "1024-5000";
  CHECK(layers(flags) == "tls(tcp+ports 1024-5000)");
  flags.proxy = "socks5://alice:pw@proxy.example";
  CHECK(layers(flags) == "tls(routing(tcp+ports 1024-5000,socks5(tcp+names+ports 1024-5000)))");
  flags.source_ports.clear();
  flags.proxy = "socks4://proxy.example";
  CHECK(layers(flags) == "tls(routing(tcp,socks4(tcp+names)))");
  flags.proxy = "socks4a://proxy.example";
  CHECK(layers(flags) == "tls(routing(tcp,socks4a(tcp+names)))");
  flags.proxy = "http://proxy.example:3128";
  CHECK(layers(flags) == "tls(routing(tcp,http(tcp+names)))");
  flags.proxy = "mapped://fw.example";
  flags.map = {"127.239.112.10=40001"};
  CHECK(layers(flags) == "tls(routing(tcp,mapped(tcp+names)))");
  CHECK(layers({}, FakeEnv{{{"ALL_PROXY", "http://p:3128"}}}) ==
        "tls(routing(tcp,http(tcp+names)))");
}

TEST_CASE("given no fingerprint, when the stack is built, then Error(config) asks for one") {
  const auto e = error_of([] { cli::build_connector_stack("", TransportSettings{}); });
  CHECK(e.code() == Code::config);
  CHECK(e.hint().find("--fingerprint") != std::string::npos);
}

TEST_CASE("given credentials SOCKS5 cannot carry, when the stack is built, then Error(config) "
          "without the password") {
  TransportFlags flags;
  flags.proxy = "socks5://" + std::string(300, 'u') + ":" + k_secret + "@proxy.example";
  auto settings = resolve(flags, json::object(), {});
  const auto e = error_of([&] { cli::build_connector_stack(k_fp, settings); });
  CHECK(e.code() == Code::config);
  CHECK(std::string(e.what()).find(k_secret) == std::string::npos);
}

namespace {

using offsite::transport::Deadline;
using offsite::transport::test::Background;
using offsite::transport::test::listen_loopback;
using offsite::transport::test::soon;

std::vector<std::uint8_t> read_bytes(offsite::transport::Stream& stream, std::size_t n) {
  std::vector<std::uint8_t> buffer(n);
  stream.read_exact(buffer, soon());
  return buffer;
}

std::string text(const std::vector<std::uint8_t>& bytes) {
  return std::string(bytes.begin(), bytes.end());
}

std::uint16_t peer_port(int fd) {
  sockaddr_in peer{};
  socklen_t length = sizeof peer;
  REQUIRE(::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) == 0);
  return ntohs(peer.sin_port);
}

} // namespace

TEST_CASE("given a SOCKS5 proxy with a user, when connecting, then the proxy receives the "
          "user, the password and the server's IP address") {
  auto listener = listen_loopback();
  std::string user, password, destination;
  Background proxy([&] {
    auto client = listener->accept(soon());
    if (!client) return;
    try {
      const auto greeting = read_bytes(*client, 2);
      read_bytes(*client, greeting[1]);                           // the methods offered
      client->write_all(std::vector<std::uint8_t>{5, 2}, soon()); // username/password
      const auto version_and_length = read_bytes(*client, 2);
      user = text(read_bytes(*client, version_and_length[1]));
      password = text(read_bytes(*client, read_bytes(*client, 1)[0]));
      client->write_all(std::vector<std::uint8_t>{1, 0}, soon());
      const auto request = read_bytes(*client, 10); // 5 1 0 1 a b c d port
      destination = fmt::format("{}.{}.{}.{}:{}", request[4], request[5], request[6], request[7],
                                request[8] * 256 + request[9]);
    } catch (const std::exception&) {
    }
    // Then it hangs up: the connect fails, after the proxy saw everything.
  });
  FakeEnv env{{{"ALL_PROXY", "socks5h://alice@" + listener->local_endpoint().to_string()},
               {"OFFSITE_PROXY_PASSWORD", k_secret}}};
  auto settings = resolve({}, json::object(), env);
  cli::resolve_proxy_password(settings, env.lookup(), no_terminal());
  auto connector = cli::make_connector(k_fp, settings);
  try {
    connector->connect(Endpoint{"127.239.112.10", 16384}, soon());
    FAIL("the fake proxy cannot have completed TLS");
  } catch (const offsite::transport::TransportError& e) {
    CHECK(std::string(e.what()).find(k_secret) == std::string::npos);
  }
  proxy.join();
  CHECK(user == "alice");
  CHECK(password == k_secret);
  CHECK(destination == "127.239.112.10:16384");
}

TEST_CASE("given NO_PROXY naming the server and source ports, when connecting, then the "
          "server is dialled directly from a port in the range") {
  auto server = listen_loopback();
  auto dead_proxy = listen_loopback();
  const auto dead_endpoint = dead_proxy->local_endpoint();
  dead_proxy.reset(); // nothing listens there any more
  std::uint16_t source_port = 0;
  Background accept([&] {
    if (auto stream = server->accept(soon())) source_port = peer_port(stream->native_handle());
  });
  FakeEnv env{{{"ALL_PROXY", "socks5://" + dead_endpoint.to_string()}, {"NO_PROXY", "127.0.0.1"}}};
  TransportFlags flags;
  flags.source_ports = "41000-41999";
  auto connector = cli::make_connector(k_fp, resolve(flags, json::object(), env));
  CHECK_THROWS_AS(connector->connect(server->local_endpoint(), soon()),
                  offsite::transport::TransportError);
  accept.join();
  CHECK(source_port >= 41000);
  CHECK(source_port <= 41999);
}

TEST_SUITE_END();
