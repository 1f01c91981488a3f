// What an HTTP proxy answers to CONNECT (transport/proxy/
// http_connect_connector.cpp). Input: [options][read size][the proxy's
// bytes]; options pick whether we send credentials. The handshake may only
// fail with TransportError; when it succeeds, it has read exactly through
// the blank line that ends the answer's head and no tunnel byte.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tests/fuzz/fuzz_check.hpp"
#include "tests/fuzz/memory_stream.hpp"
#include "transport/proxy/http_connect_connector.hpp"

using namespace offsite::transport;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  HttpConnectOptions http;
  http.proxy = Endpoint{"127.0.0.1", 3128};
  if (data[0] & 1) http.credentials = ProxyCredentials{"alice", "secret"};
  const Endpoint destination{data[0] & 2 ? "2001:db8::10" : "192.0.2.10", 16384};
  const HttpConnectConnector connector(nullptr, http);

  auto owned = std::make_unique<offsite::fuzz::MemoryStream>(data + 2, size - 2, data[1] % 8 + 1);
  offsite::fuzz::MemoryStream* stream = owned.get();
  try {
    auto tunnel = connector.handshake(std::move(owned), destination, Deadline::never());
    FUZZ_CHECK(tunnel.get() == stream);
    const std::string_view read(reinterpret_cast<const char*>(data + 2), stream->consumed());
    FUZZ_CHECK(read.ends_with("\n\n") || read.ends_with("\r\n\r\n"));
    FUZZ_CHECK(read.size() <= 16 * 1024);
  } catch (const TransportError&) {
  }
  return 0;
}
