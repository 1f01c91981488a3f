// What a SOCKS proxy answers (transport/proxy/socks_connector.cpp). Input:
// [options][read size][the proxy's bytes]; options pick the version (5, 4,
// 4a), whether we offer credentials, and an IPv4 or IPv6 destination. The
// handshake may only fail with TransportError; when it succeeds, it has not
// read past the proxy's reply (the tunnel's first byte is the server's).
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/fuzz_check.hpp"
#include "tests/fuzz/memory_stream.hpp"
#include "transport/proxy/socks_connector.hpp"

using namespace offsite::transport;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t options = data[0];
  SocksOptions socks;
  socks.version = (options & 3) == 0   ? SocksVersion::v4
                  : (options & 3) == 1 ? SocksVersion::v4a
                                       : SocksVersion::v5;
  socks.proxy = Endpoint{"127.0.0.1", 1080};
  if (options & 4) socks.credentials = ProxyCredentials{"alice", "secret"};
  const bool v6 = (options & 8) && socks.version != SocksVersion::v4;
  const Endpoint destination{v6 ? "2001:db8::10" : "192.0.2.10", 16384};
  const SocksConnector connector(nullptr, socks);

  auto owned = std::make_unique<offsite::fuzz::MemoryStream>(data + 2, size - 2, data[1] % 8 + 1);
  offsite::fuzz::MemoryStream* stream = owned.get();
  try {
    auto tunnel = connector.handshake(std::move(owned), destination, Deadline::never());
    FUZZ_CHECK(tunnel.get() == stream);
    // The longest reply: SOCKS5 method (2) + auth (2) + connect with a
    // 255-byte domain name (4 + 1 + 255 + 2).
    FUZZ_CHECK(stream->consumed() <= 2 + 2 + 262);
  } catch (const TransportError&) {
  }
  return 0;
}
