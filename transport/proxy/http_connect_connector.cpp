// HTTP CONNECT as this client speaks it:
//
//   CONNECT 193.239.112.10:16384 HTTP/1.1\r\n      IPv6 as [2001:db8::1]:16384
//   Host: 193.239.112.10:16384\r\n
//   Proxy-Authorization: Basic base64(user:pass)\r\n   only with credentials
//   \r\n
//
// The answer is read one byte at a time up to its blank line (at most
// 16 KiB), because whatever follows a 2xx belongs to the tunnel: the
// server's TLS handshake must find every one of its bytes. Interim 1xx
// answers are skipped. On a refusal the body is not needed, except that a
// 5xx body (or Squid's X-Squid-Error errno) tells refused from unreachable
// from timed out; that is read briefly and best-effort.

#include "transport/proxy/http_connect_connector.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace offsite::transport {

namespace {

constexpr const char* k_connect_step = "http connect";
constexpr const char* k_http_config_step = "http proxy config";
constexpr std::size_t k_max_head = std::size_t{16} * 1024;
constexpr std::size_t k_max_body = std::size_t{8} * 1024;

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
    text.remove_suffix(1);
  return text;
}

std::string base64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                               reinterpret_cast<const unsigned char*>(data.data()),
                               static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(length));
  return out;
}

struct Response {
  std::string status_line;
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers; // names in lower case

  std::vector<std::string> all(std::string_view name) const {
    std::vector<std::string> values;
    for (const auto& [key, value] : headers)
      if (key == name) values.push_back(value);
    return values;
  }
};

// Reads one answer head, byte by byte, through its blank line. `budget` is
// what is left of the 16 KiB across interim answers.
std::string read_head(Stream& stream, Deadline deadline, const std::string& who,
                      std::size_t& budget) {
  static constexpr std::string_view k_http = "HTTP/";
  std::string head;
  std::array<std::uint8_t, 1> byte{};
  for (;;) {
    if (budget == 0) {
      throw TransportError(
          FailureKind::protocol, k_connect_step,
          fmt::format("{} sent an answer whose headers exceed {} KiB", who, k_max_head / 1024));
    }
    if (detail::proxy_read_some(stream, byte, deadline, k_connect_step, who) == 0) {
      throw TransportError(
          FailureKind::reset, k_connect_step,
          head.empty() ? fmt::format("{} closed the connection without answering the CONNECT "
                                     "request",
                                     who)
                       : fmt::format("{} closed the connection in the middle of its answer "
                                     "(\"{}\")",
                                     who, util::printable(head, detail::k_proxy_answer)));
    }
    --budget;
    head += static_cast<char>(byte[0]);
    // Not HTTP at all: say so now rather than wait for a blank line.
    if (head.size() <= k_http.size() && k_http.substr(0, head.size()) != head) {
      std::string guess;
      if (byte[0] == 0x05 || byte[0] == 0x00 || byte[0] == 0x04)
        guess = ": it looks like a SOCKS proxy; use socks5:// or socks4a://";
      throw TransportError(FailureKind::protocol, k_connect_step,
                           fmt::format("{} did not answer in HTTP (its answer starts with byte "
                                       "0x{:02x}){}",
                                       who, byte[0], guess));
    }
    if (head.ends_with("\r\n\r\n") || head.ends_with("\n\n")) return head;
  }
}

Response parse_head(const std::string& head, const std::string& who) {
  Response response;
  std::size_t line_end = head.find('\n');
  response.status_line = std::string(trim(std::string_view(head).substr(0, line_end)));
  // "HTTP/1.1 200 Connection established"
  const std::string& line = response.status_line;
  auto space = line.find(' ');
  bool valid = space != std::string::npos && line.size() >= space + 4;
  if (valid) {
    for (std::size_t i = space + 1; i < space + 4; ++i)
      valid = valid && std::isdigit(static_cast<unsigned char>(line[i]));
    valid = valid && (line.size() == space + 4 || line[space + 4] == ' ');
  }
  if (!valid) {
    throw TransportError(FailureKind::protocol, k_connect_step,
                         fmt::format("{} sent a malformed status line: \"{}\"", who,
                                     util::printable(line, detail::k_proxy_answer)));
  }
  response.status = std::stoi(line.substr(space + 1, 3));
  response.reason = line.size() > space + 5 ? line.substr(space + 5) : std::string();

  std::string_view rest = std::string_view(head).substr(line_end + 1);
  while (!rest.empty()) {
    auto end = rest.find('\n');
    std::string_view header = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    auto colon = header.find(':');
    if (colon == std::string_view::npos) continue;
    response.headers.emplace_back(lower(trim(header.substr(0, colon))),
                                  std::string(trim(header.substr(colon + 1))));
  }
  return response;
}

// Best effort: up to 8 KiB of a refusal's body, when its end is known (a
// Content-Length, or the proxy closing after it), waiting at most a second.
std::string read_some_body(Stream& stream, const Response& response, Deadline deadline) {
  std::size_t wanted = 0;
  auto length = response.all("content-length");
  if (!length.empty()) {
    try {
      wanted = std::min<std::size_t>(k_max_body, std::stoul(length.front()));
    } catch (const std::exception&) {
    }
  } else {
    for (const auto& value : response.all("connection"))
      if (lower(value).find("close") != std::string::npos) wanted = k_max_body;
  }
  Deadline brief = deadline.earliest(Deadline::after(std::chrono::seconds(1)));
  std::string body;
  std::vector<std::uint8_t> buffer(1024);
  try {
    while (body.size() < wanted) {
      std::size_t got = stream.read_some(
          MutableSpan(buffer).first(std::min(buffer.size(), wanted - body.size())), brief);
      if (got == 0) break;
      body.append(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(got));
    }
  } catch (const TransportError&) {
  }
  return body;
}

// What a proxy that could not reach the server says about why: Squid's
// "X-Squid-Error: ERR_CONNECT_FAIL 111" carries errno; tinyproxy and others
// print strerror() in the body.
struct Evidence {
  FailureKind kind;
  std::string words;
};

std::optional<Evidence> connect_evidence(const Response& response, Stream& stream,
                                         Deadline deadline) {
  for (const auto& value : response.all("x-squid-error")) {
    auto space = value.rfind(' ');
    if (space == std::string::npos) continue;
    std::string code = value.substr(space + 1);
    if (code == "111") return Evidence{FailureKind::refused, "connection refused"};
    if (code == "110") return Evidence{FailureKind::timeout, "connection timed out"};
    if (code == "113" || code == "101") return Evidence{FailureKind::unreachable, "no route"};
  }
  const std::string text =
      lower(response.reason + "\n" + read_some_body(stream, response, deadline));
  if (text.find("refused") != std::string::npos)
    return Evidence{FailureKind::refused, "connection refused"};
  if (text.find("timed out") != std::string::npos || text.find("timeout") != std::string::npos)
    return Evidence{FailureKind::timeout, "connection timed out"};
  if (text.find("no route") != std::string::npos || text.find("unreachable") != std::string::npos)
    return Evidence{FailureKind::unreachable, "no route to the server"};
  return std::nullopt;
}

} // namespace

HttpConnectConnector::HttpConnectConnector(std::shared_ptr<Connector> inner,
                                           HttpConnectOptions options)
    : ProxyConnector(std::move(inner)), m_options(std::move(options)) {
  if (!m_options.credentials) return;
  for (char c : m_options.credentials->username) {
    if (c == ':' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      throw TransportError(FailureKind::other, k_http_config_step,
                           "an HTTP proxy username cannot hold ':' or control characters "
                           "(Basic authentication joins username and password with ':')");
    }
  }
}

Endpoint HttpConnectConnector::first_hop(const Endpoint&) const { return m_options.proxy; }

std::string HttpConnectConnector::who() const {
  return fmt::format("the HTTP proxy {}",
                     util::printable(m_options.proxy.to_string(), detail::k_proxy_text));
}

std::string HttpConnectConnector::describe() const {
  std::string text = fmt::format(
      "HTTP proxy {}", util::printable(m_options.proxy.to_string(), detail::k_proxy_text));
  if (m_options.credentials)
    text += fmt::format(" (user {})",
                        util::printable(m_options.credentials->username, detail::k_proxy_text));
  return text;
}

std::unique_ptr<Stream> HttpConnectConnector::handshake(std::unique_ptr<Stream> to_proxy,
                                                        const Endpoint& destination,
                                                        Deadline deadline) const {
  const std::string who_text = who();
  if (!destination.is_ip()) {
    throw TransportError(FailureKind::other, k_connect_step,
                         fmt::format("{} is not an IP address; data-centre servers are reached by "
                                     "IP address and never looked up by name",
                                     util::printable(destination.host, detail::k_proxy_text)));
  }
  const std::string target = destination.to_string(); // brackets around IPv6
  std::string request = fmt::format("CONNECT {0} HTTP/1.1\r\nHost: {0}\r\n", target);
  if (m_options.credentials) {
    std::string pair = m_options.credentials->username + ":" + m_options.credentials->password;
    request += "Proxy-Authorization: Basic " + base64(pair) + "\r\n";
    OPENSSL_cleanse(pair.data(), pair.size());
  }
  request += "\r\n";
  try {
    detail::proxy_write(
        *to_proxy, ByteSpan(reinterpret_cast<const std::uint8_t*>(request.data()), request.size()),
        deadline, k_connect_step, who_text);
  } catch (...) {
    OPENSSL_cleanse(request.data(), request.size());
    throw;
  }
  OPENSSL_cleanse(request.data(), request.size());

  std::size_t budget = k_max_head;
  Response response;
  do {
    response = parse_head(read_head(*to_proxy, deadline, who_text, budget), who_text);
  } while (response.status >= 100 && response.status < 200);
  if (response.status < 300) return to_proxy;

  const std::string quoted = util::printable(response.status_line, detail::k_proxy_answer);
  auto fail = [&](FailureKind kind, std::string sentence) -> TransportError {
    return TransportError(kind, k_connect_step,
                          fmt::format("{} ({} answered \"{}\")", sentence, who_text, quoted));
  };
  const int status = response.status;
  // 407 is the standard; tinyproxy (Debian 12) answers wrong credentials with 401.
  if (status == 407 || (status == 401 && m_options.credentials)) {
    std::vector<std::string> schemes;
    for (const auto& value : response.all("proxy-authenticate"))
      schemes.push_back(value.substr(0, value.find(' ')));
    std::string sentence =
        m_options.credentials
            ? fmt::format("the proxy rejected the credentials for user {}: check the username "
                          "and password",
                          util::printable(m_options.credentials->username, detail::k_proxy_text))
            : std::string("the proxy wants credentials: give them as http://USER@HOST:PORT, "
                          "with the password in OFFSITE_PROXY_PASSWORD");
    bool basic = std::any_of(schemes.begin(), schemes.end(),
                             [](const std::string& s) { return lower(s) == "basic"; });
    if (!schemes.empty() && !basic) {
      std::string list;
      for (const auto& s : schemes)
        list += (list.empty() ? "" : ", ") + util::printable(s, {.max_chars = 20});
      sentence += fmt::format("; it offers only {} authentication, and offsite supports Basic "
                              "only",
                              list);
    }
    throw fail(FailureKind::proxy_auth, sentence);
  }
  if (status == 403) {
    throw fail(FailureKind::proxy_denied,
               fmt::format("the proxy forbids a tunnel to {}: ask its administrator to permit "
                           "CONNECT to TCP port {} on the data centre's subnets",
                           target, destination.port));
  }
  const bool cannot_connect =
      status == 502 || status == 503 ||
      (status == 500 && lower(response.reason).find("unable to connect") != std::string::npos);
  if (cannot_connect) {
    auto evidence = connect_evidence(response, *to_proxy, deadline);
    FailureKind kind = evidence ? evidence->kind : FailureKind::unreachable;
    std::string why = evidence ? fmt::format(" ({})", evidence->words) : std::string();
    if (status == 503 && !evidence) {
      throw fail(FailureKind::unreachable,
                 fmt::format("the proxy reports the server {} unavailable", target));
    }
    throw fail(kind, fmt::format("the proxy could not connect to the server {}{}", target, why));
  }
  if (status == 504) {
    throw fail(FailureKind::timeout,
               fmt::format("the proxy's connection to {} timed out: a packet filter beyond the "
                           "proxy probably drops it",
                           target));
  }
  throw fail(FailureKind::proxy_denied, fmt::format("the proxy refused the tunnel to {}", target));
}

} // namespace offsite::transport
