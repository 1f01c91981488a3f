#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/unit/test_transport_helpers.hpp"
#include "transport/net/tcp_connector.hpp"
#include "transport/tls/identity.hpp"
#include "transport/tls/tls.hpp"
#include "transport/wire/frame.hpp"

using namespace offsite::transport;
using namespace offsite::transport::test;
using nlohmann::json;
using Bytes = std::vector<std::uint8_t>;

namespace {

// An in-memory stream: reads come from `input` at most `chunk` bytes at a
// time (to exercise partial reads), writes append to `output`.
class MemoryStream final : public Stream {
public:
  explicit MemoryStream(Bytes in = {}, std::size_t max_chunk = 3)
      : input(std::move(in)), chunk(max_chunk) {}
  void write_all(ByteSpan data, Deadline) override {
    output.insert(output.end(), data.begin(), data.end());
  }
  std::size_t read_some(MutableSpan buffer, Deadline) override {
    std::size_t n = std::min({buffer.size(), input.size() - at, chunk});
    std::copy_n(input.begin() + static_cast<std::ptrdiff_t>(at), n, buffer.begin());
    at += n;
    reads += n > 0;
    return n;
  }
  void shutdown_write(Deadline) override {}
  void abort() noexcept override {}
  int native_handle() const noexcept override { return -1; }
  Bytes input;
  Bytes output;
  std::size_t at = 0;
  std::size_t chunk;
  std::size_t reads = 0;
};

Bytes head_bytes(std::uint32_t body, std::uint8_t version, std::uint8_t op, std::uint32_t id,
                 std::uint32_t header_length) {
  auto be = [](Bytes& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8)
      out.push_back(static_cast<std::uint8_t>(v >> shift));
  };
  Bytes out;
  be(out, body);
  out.push_back(version);
  out.push_back(op);
  be(out, id);
  be(out, header_length);
  return out;
}

// A frame whose header is the given raw bytes.
Bytes frame_with_header(const Bytes& header) {
  Bytes out = head_bytes(static_cast<std::uint32_t>(10 + header.size()), 1, 4, 7,
                         static_cast<std::uint32_t>(header.size()));
  out.insert(out.end(), header.begin(), header.end());
  return out;
}

Failure read_failure(Bytes input, std::size_t max = k_max_frame_size) {
  MemoryStream stream(std::move(input));
  try {
    read_frame_or_eof(stream, soon(), max);
  } catch (const TransportError& e) {
    return e.failure();
  }
  FAIL("reading should have failed");
  return {};
}

} // namespace

TEST_SUITE_BEGIN("transport::Frame");

TEST_CASE("given a small frame when encoded then the bytes follow the documented layout") {
  Frame frame{Op::put, 0x01020304, json::object(), {0xAA}};
  Bytes expected = {0, 0, 0, 12, 1, 4, 1, 2, 3, 4, 0, 0, 0, 1, 0xA0, 0xAA};
  CHECK(encode_frame(frame) == expected);
  MemoryStream stream;
  write_frame(stream, frame, soon());
  CHECK(stream.output == expected);
}

TEST_CASE("given frames written back to back when read in small pieces then each comes back "
          "intact and a clean close ends the sequence") {
  MemoryStream writer;
  Frame put{Op::put, 1, {{"kind", "data"}, {"name", std::string(64, 'a')}}, Bytes(100000, 0x5A)};
  put.header["key"] = json::binary({1, 2, 3});
  Frame list{Op::list, 2, {{"prefix", "snapshots/"}, {"after", nullptr}}, {}};
  write_frame(writer, put, soon());
  write_frame(writer, list, soon());
  write_frame(writer, make_reply_error(3, "not_found", "no such object"), soon());

  MemoryStream reader(writer.output, 4096);
  Frame first = read_frame(reader, soon());
  CHECK(first.op == Op::put);
  CHECK(first.id == 1);
  CHECK(first.header == put.header);
  CHECK(first.payload == put.payload);
  Frame second = read_frame(reader, soon());
  CHECK(second.op == Op::list);
  CHECK(second.header == list.header);
  CHECK(second.payload.empty());
  Frame third = read_frame(reader, soon());
  CHECK(third.op == Op::reply_error);
  CHECK(error_of(third).code == "not_found");
  CHECK(error_of(third).message == "no such object");
  CHECK_FALSE(read_frame_or_eof(reader, soon()));
  MemoryStream empty;
  try {
    read_frame(empty, soon());
    FAIL("a closed stream has no frame");
  } catch (const TransportError& e) {
    CHECK(e.kind() == FailureKind::reset);
  }
}

TEST_CASE("given a frame declaring more than the limit when read then it is refused before its "
          "body is read") {
  Bytes head = head_bytes(static_cast<std::uint32_t>(k_max_frame_size + 1), 1, 4, 1, 1);
  Failure failure = read_failure(head); // no body follows: a truncation would say so
  CHECK(failure.kind == FailureKind::protocol);
  CHECK(failure.detail.find("exceeds the limit") != std::string::npos);

  Frame frame{Op::put, 1, json::object(), Bytes(2000, 1)};
  Failure small_limit = read_failure(encode_frame(frame), 1000); // a server's own limit
  CHECK(small_limit.kind == FailureKind::protocol);
  CHECK(small_limit.detail.find("1000") != std::string::npos);
  MemoryStream stream(encode_frame(frame));
  CHECK(read_frame(stream, soon(), 2100).payload.size() == 2000);
}

TEST_CASE("given garbage instead of a frame when read then each defect is a protocol failure") {
  std::string http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  CHECK(read_failure(Bytes(http.begin(), http.end())).kind == FailureKind::protocol);

  Failure version = read_failure(head_bytes(11, 2, 4, 1, 1));
  CHECK(version.detail.find("version 2") != std::string::npos);
  Failure op = read_failure(head_bytes(11, 1, 0x42, 1, 1));
  CHECK(op.detail.find("0x42") != std::string::npos);
  Failure short_body = read_failure(head_bytes(9, 1, 4, 1, 0));
  CHECK(short_body.detail.find("shorter") != std::string::npos);
  Failure header_overflow = read_failure(head_bytes(12, 1, 4, 1, 3));
  CHECK(header_overflow.detail.find("does not fit") != std::string::npos);
  Failure huge_header = read_failure(head_bytes(10 + (2u << 20), 1, 4, 1, 2u << 20));
  CHECK(huge_header.detail.find("header") != std::string::npos);
  for (const Failure& f : {version, op, short_body, header_overflow, huge_header})
    CHECK(f.kind == FailureKind::protocol);
}

TEST_CASE("given a frame cut short anywhere when read then it is a protocol failure, and a cut "
          "before its first byte is a clean end") {
  Bytes whole = encode_frame(Frame{Op::get, 9, {{"name", "abc"}}, Bytes(40, 3)});
  for (std::size_t cut = 1; cut < whole.size(); ++cut) {
    CAPTURE(cut);
    Failure failure = read_failure(Bytes(whole.begin(), whole.begin() + static_cast<long>(cut)));
    CHECK(failure.kind == FailureKind::protocol);
    CHECK(failure.detail.find("closed the connection") != std::string::npos);
  }
  MemoryStream empty;
  CHECK_FALSE(read_frame_or_eof(empty, soon()));
}

TEST_CASE("given malformed or hostile CBOR headers when read then they are refused without "
          "crashing") {
  CHECK(read_failure(frame_with_header({0xFF})).kind == FailureKind::protocol);
  Failure not_map = read_failure(frame_with_header({0x81, 0x01})); // [1]
  CHECK(not_map.detail.find("not a CBOR map") != std::string::npos);
  CHECK(read_failure(frame_with_header({0xA1, 0x61, 'a'})).kind == FailureKind::protocol);
  CHECK(read_failure(frame_with_header({0xBF, 0xFF})).kind == FailureKind::protocol); // indefinite
  CHECK(read_failure(frame_with_header({0xC1, 0xA0})).kind == FailureKind::protocol); // tag
  CHECK(read_failure(frame_with_header({0xA0, 0xA0})).kind == FailureKind::protocol); // trailing
  CHECK(read_failure(frame_with_header({0x5B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}))
            .kind == FailureKind::protocol); // a byte string longer than the header

  Bytes deep(200000, 0x81); // a million-level nest would overflow a recursive parser
  deep.push_back(0x00);
  CHECK(read_failure(frame_with_header(deep)).kind == FailureKind::protocol);

  json nested = json::object();
  json* at = &nested;
  for (int i = 0; i < 20; ++i)
    at = &((*at)["x"] = json::object());
  MemoryStream ok(encode_frame(Frame{Op::hello, 1, nested, {}}));
  CHECK(read_frame(ok, soon()).header == nested); // legitimate nesting passes
}

TEST_CASE("given a header of more values than k_max_header_items when read then it is refused "
          "before decoding, and one at the limit passes") {
  // {"x": [[], [], ...]}: each empty array costs nlohmann ~100 bytes decoded.
  auto header_of = [](std::size_t arrays) {
    Bytes header{0xA1, 0x61, 'x', 0x9A};
    for (int shift = 24; shift >= 0; shift -= 8)
      header.push_back(static_cast<std::uint8_t>(arrays >> shift));
    header.insert(header.end(), arrays, 0x80);
    return header;
  };
  // The map, its key and the outer array are three values.
  const Failure refused = read_failure(frame_with_header(header_of(k_max_header_items - 2)));
  CHECK(refused.kind == FailureKind::protocol);
  CHECK(refused.detail.find("too large to decode") != std::string::npos);
  MemoryStream ok(frame_with_header(header_of(k_max_header_items - 3)), 1 << 20);
  CHECK(read_frame(ok, soon()).header.at("x").size() == k_max_header_items - 3);
}

TEST_CASE("given a frame that breaks the rules when written then the writer refuses it") {
  MemoryStream stream;
  CHECK_THROWS_AS(write_frame(stream, Op::put, 1, json::array(), {}, soon()), TransportError);
  Bytes payload(2000);
  try {
    write_frame(stream, Op::put, 1, json::object(), payload, soon(), 1000);
    FAIL("too large");
  } catch (const TransportError& e) {
    CHECK(e.kind() == FailureKind::protocol);
  }
  CHECK(stream.output.empty());
}

TEST_CASE("given pipelined requests over TLS when the server answers in order then replies "
          "carry their request ids") {
  CaIdentity ca = generate_ca();
  ServerCertificate leaf = issue_server_cert(ca, {"127.0.0.1"});
  auto listener = listen_loopback();
  TlsServer server(TlsServerConfig{leaf.key_pem, leaf.chain_pem(ca)});
  Background serve([&] {
    auto tcp = listener->accept(soon());
    if (!tcp) return;
    auto tls = server.accept(std::move(tcp), soon());
    while (auto request = read_frame_or_eof(*tls, soon())) {
      write_frame(*tls,
                  make_reply_ok(request->id, {{"size", request->payload.size()}}, request->payload),
                  soon());
    }
  });
  TlsConnector client(std::make_shared<TcpConnector>(),
                      TlsClientConfig{fingerprint(ca.cert_pem), ""});
  auto stream = client.connect(listener->local_endpoint(), soon());
  std::vector<Bytes> payloads = {Bytes(10, 1), Bytes(1 << 20, 2), Bytes()};
  for (std::uint32_t id = 0; id < payloads.size(); ++id)
    write_frame(*stream, Op::put, 100 + id, {{"name", std::to_string(id)}}, payloads[id], soon());
  for (std::uint32_t id = 0; id < payloads.size(); ++id) {
    Frame reply = read_frame(*stream, soon());
    CHECK(reply.op == Op::reply_ok);
    CHECK(reply.id == 100 + id);
    CHECK(reply.header["size"] == payloads[id].size());
    CHECK(reply.payload == payloads[id]);
  }
  stream->shutdown_write(soon());
}

TEST_CASE("given op codes when named then known ones have names and unknown bytes are refused") {
  CHECK(op_name(Op::lease_refresh) == "lease_refresh");
  CHECK(op_from_byte(0x81) == Op::reply_error);
  CHECK_FALSE(op_from_byte(0));
  CHECK_FALSE(op_from_byte(16));
  CHECK_FALSE(op_from_byte(0x82));
}

TEST_SUITE_END();
