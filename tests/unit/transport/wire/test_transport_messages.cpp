#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "transport/wire/messages.hpp"

using namespace offsite::transport;
using namespace offsite::transport::wire;
using nlohmann::json;

namespace {

// A header as the peer receives it: through CBOR, as on the wire.
json over_the_wire(const json& header) { return json::from_cbor(json::to_cbor(header)); }

template <class Message> Message round_trip(const Message& message) {
  return Message::decode(over_the_wire(message.encode()));
}

// The detail of the MessageError that decoding `header` throws ("" if none).
template <class Message> std::string rejection(const json& header) {
  try {
    Message::decode(header);
  } catch (const MessageError& e) {
    CHECK(e.kind() == FailureKind::protocol);
    return e.failure().detail;
  }
  return "";
}

json lease_json() {
  return LeaseRecord{
      "0123456789abcdef", LeaseKind::exclusive, "web1", 4242, "alice", "prune", 1000, 2000, 3}
      .encode();
}

} // namespace

TEST_SUITE_BEGIN("transport::wire messages");

TEST_CASE("given session messages, when encoded and decoded, then every field survives") {
  const auto hello = round_trip(HelloRequest{"offsite/1.0", 1});
  CHECK(hello.client == "offsite/1.0");
  CHECK(hello.protocol == 1u);

  const NetworkMap map{7, {"10.0.0.0/24"}, 16384, {"10.0.0.1:16384", "10.0.0.2:16384"}, {}};
  const auto hello_reply = round_trip(HelloReply{"offsited/1.0", 1, {"storage"}, map.encode()});
  CHECK(hello_reply.server == "offsited/1.0");
  CHECK(hello_reply.protocol == 1u);
  CHECK(hello_reply.roles == std::vector<std::string>{"storage"});
  CHECK(hello_reply.network_map.at(network_map_field::version) == 7);
  CHECK(hello_reply.network_map.at(network_map_field::port) == 16384);
  CHECK(hello_reply.network_map.at(network_map_field::registration).size() == 2);

  CHECK(round_trip(RegisterRequest{"invite-1"}).code == "invite-1");
  CHECK_FALSE(round_trip(RegisterRequest{}).code.has_value());
  const auto registered =
      round_trip(RegisterReply{"00ff00ff00ff00ff", "secret", json::array({"a:1", "b:2"}), {}});
  CHECK(registered.account_id == "00ff00ff00ff00ff");
  CHECK(registered.secret == "secret");
  CHECK(registered.storage_pair == json::array({"a:1", "b:2"}));
  CHECK(registered.network_map.is_null());

  const auto auth = round_trip(AuthRequest{"id", "secret"});
  CHECK(auth.account_id == "id");
  CHECK(auth.secret == "secret");
  const auto auth_reply = round_trip(AuthReply{true, 1u << 30, json::array({"a:1", "b:2"})});
  CHECK(auth_reply.append_only);
  CHECK(auth_reply.quota_bytes == 1u << 30);
  CHECK(auth_reply.storage_pair.size() == 2);

  CHECK(round_trip(NetworkMapReply{map.encode()}).network_map == map.encode());
  const auto unregistered = round_trip(UnregisterReply{12, 3456});
  CHECK(unregistered.objects_deleted == 12);
  CHECK(unregistered.bytes_deleted == 3456);
  round_trip(NetworkMapRequest{});
  round_trip(UnregisterRequest{});
}

TEST_CASE("given object messages, when encoded and decoded, then every field survives") {
  CHECK(round_trip(PutRequest{"data/ab/cd"}).key == "data/ab/cd");
  CHECK(round_trip(PutReply{true}).created);
  CHECK_FALSE(round_trip(PutReply{false}).created);

  const auto whole = round_trip(GetRequest{"config", 0, std::nullopt});
  CHECK(whole.key == "config");
  CHECK(whole.offset == 0);
  CHECK_FALSE(whole.length.has_value());
  const auto ranged = round_trip(GetRequest{"packs/x", 1u << 20, 4096});
  CHECK(ranged.offset == 1u << 20);
  CHECK(ranged.length == 4096u);
  round_trip(GetReply{});

  CHECK(round_trip(HeadRequest{"keys/k"}).key == "keys/k");
  CHECK(round_trip(HeadReply{(1ull << 40) + 1}).size == (1ull << 40) + 1);

  const auto list = round_trip(ListRequest{"data/", "data/ab", 1000});
  CHECK(list.prefix == "data/");
  CHECK(list.start_after == "data/ab");
  CHECK(list.limit == 1000u);
  const ListReply page{{{"data/ac", 1}, {"data/ad", 2}}, true};
  const auto listed = round_trip(page);
  CHECK(listed.objects == page.objects);
  CHECK(listed.truncated);
  CHECK_NOTHROW(listed.check_answers(list));

  CHECK(round_trip(RemoveRequest{"locks/x"}).key == "locks/x");
  CHECK(round_trip(RemoveReply{true}).removed);
}

TEST_CASE("given lease messages, when encoded and decoded, then every field survives") {
  const LeaseRecord record{
      "0123456789abcdef", LeaseKind::exclusive, "web1", 4242, "alice", "prune", -5, 2000, 3};
  CHECK(LeaseRecord::decode(over_the_wire(record.encode()), "test") == record);

  LeaseAcquireRequest acquire{LeaseKind::exclusive, "web1", "alice", "prune", 4242, 60'000};
  const auto acquired = round_trip(acquire);
  CHECK(acquired.kind == LeaseKind::exclusive);
  CHECK(acquired.host == "web1");
  CHECK(acquired.user == "alice");
  CHECK(acquired.command == "prune");
  CHECK(acquired.pid == 4242);
  CHECK(acquired.ttl_ms == 60'000u);

  const auto refresh = round_trip(LeaseRefreshRequest{"0123456789abcdef", std::nullopt});
  CHECK(refresh.lease_id == "0123456789abcdef");
  CHECK_FALSE(refresh.ttl_ms.has_value());

  const auto held = round_trip(LeaseReply{record, 1'700'000'000'000});
  CHECK(held.lease == record);
  CHECK(held.now_ms == 1'700'000'000'000);

  CHECK(round_trip(LeaseReleaseRequest{"x"}).lease_id == "x");
  round_trip(LeaseReleaseReply{});
  round_trip(LeaseListRequest{});
  const auto listed = round_trip(LeaseListReply{{record, record}, 99});
  CHECK(listed.leases.size() == 2);
  CHECK(listed.leases[1] == record);
  CHECK(listed.now_ms == 99);
  CHECK(round_trip(LeaseBreakRequest{"y"}).lease_id == "y");
  CHECK(round_trip(LeaseBreakReply{true}).removed);
}

TEST_CASE("given the bytes offsite-protocol(7) describes, when encoded, then they are unchanged") {
  // The CBOR header of a put request is exactly {"key": "config"}.
  CHECK(json::to_cbor(PutRequest{"config"}.encode()) ==
        std::vector<std::uint8_t>{0xa1, 0x63, 'k', 'e', 'y', 0x66, 'c', 'o', 'n', 'f', 'i', 'g'});
  CHECK(GetRequest{"k", 0, std::nullopt}.encode() == json{{"key", "k"}});
  CHECK(ListRequest{"", "", 1000}.encode() ==
        json{{"prefix", ""}, {"start_after", ""}, {"limit", 1000}});
  CHECK(HelloRequest{"offsite/x", 1}.encode() == json{{"client", "offsite/x"}, {"protocol", 1}});
  CHECK(ListReply{{{"a", 1}}, false}.encode() ==
        json{{"objects", json::array({json::array({"a", 1})})}, {"truncated", false}});
  CHECK(LeaseAcquireRequest{LeaseKind::shared, "h", "u", "backup", 7, 120'000}.encode() ==
        json{{"kind", "shared"},
             {"host", "h"},
             {"user", "u"},
             {"command", "backup"},
             {"pid", 7},
             {"ttl_ms", 120'000}});
  const auto throttled = ThrottledReply{1500, "wait"}.to_frame(9);
  CHECK(throttled.op == Op::reply_error);
  CHECK(throttled.header.at("retry_after_ms") == 1500);
  CHECK(is_error(throttled, error_code::throttled));
  CHECK_FALSE(is_error(make_reply_ok(9), error_code::throttled));
}

TEST_CASE("given a request with a malformed field, when decoded, then a protocol error names it") {
  CHECK(rejection<PutRequest>(json::array()) == "the header must be a map");
  CHECK(rejection<PutRequest>(json::object()) == "field \"key\" must be a string");
  CHECK(rejection<PutRequest>({{"key", 5}}) == "field \"key\" must be a string");
  CHECK(rejection<PutRequest>({{"key", nullptr}}) == "field \"key\" must be a string");
  CHECK(rejection<HeadRequest>({{"key", std::string(k_max_field_size + 1, 'a')}}) ==
        "field \"key\" is longer than 1024 bytes");
  CHECK(rejection<RemoveRequest>({{"key", json::array()}}) == "field \"key\" must be a string");
  CHECK(rejection<GetRequest>({{"key", "k"}, {"offset", -1}}) ==
        "field \"offset\" must be a non-negative integer");
  CHECK(rejection<GetRequest>({{"key", "k"}, {"length", 1.5}}) ==
        "field \"length\" must be a non-negative integer");
  CHECK(rejection<ListRequest>({{"limit", 0}}) == "limit must be at least 1");
  CHECK(rejection<ListRequest>({{"prefix", true}}) == "field \"prefix\" must be a string");
  CHECK(rejection<ListRequest>({{"start_after", 3}}) == "field \"start_after\" must be a string");
  CHECK(rejection<AuthRequest>({{"account_id", 5}, {"secret", "s"}}) ==
        "field \"account_id\" must be a string");
  CHECK(rejection<AuthRequest>({{"account_id", "a"}}) == "field \"secret\" must be a string");
  CHECK(rejection<RegisterRequest>({{"code", 1}}) == "field \"code\" must be a string");
  CHECK(rejection<HelloRequest>({{"client", json::object()}}) ==
        "field \"client\" must be a string");
  CHECK(rejection<LeaseAcquireRequest>({{"kind", "both"}}) ==
        "kind must be \"shared\" or \"exclusive\"");
  CHECK(rejection<LeaseAcquireRequest>(json::object()) ==
        "kind must be \"shared\" or \"exclusive\"");
  CHECK(rejection<LeaseAcquireRequest>({{"kind", "shared"}, {"host", std::string(257, 'h')}}) ==
        "field \"host\" is longer than 256 bytes");
  CHECK(rejection<LeaseAcquireRequest>({{"kind", "shared"}, {"pid", "1"}}) ==
        "field \"pid\" must be a non-negative integer");
  CHECK(rejection<LeaseAcquireRequest>({{"kind", "shared"}, {"ttl_ms", -3}}) ==
        "field \"ttl_ms\" must be a non-negative integer");
  CHECK(rejection<LeaseRefreshRequest>(json::object()) == "field \"lease_id\" must be a string");
  CHECK(rejection<LeaseReleaseRequest>({{"lease_id", 1}}) == "field \"lease_id\" must be a string");
  CHECK(rejection<LeaseBreakRequest>({{"lease_id", false}}) ==
        "field \"lease_id\" must be a string");
  CHECK(rejection<UnregisterRequest>(json::array()) == "the header must be a map");
  CHECK(rejection<LeaseListRequest>("x") == "the header must be a map");
  CHECK(rejection<NetworkMapRequest>(3) == "the header must be a map");
}

TEST_CASE("given a reply with a malformed field, when decoded, then a protocol error names it") {
  CHECK(rejection<HelloReply>({{"server", "s"}}) ==
        "field \"protocol\" must be a non-negative integer");
  // Roles decide nothing: malformed ones are left out, the hello stands.
  CHECK(HelloReply::decode({{"protocol", 1}, {"roles", "storage"}}).roles.empty());
  CHECK(HelloReply::decode({{"protocol", 1}, {"roles", nullptr}}).roles.empty());
  CHECK(HelloReply::decode({{"protocol", 1}, {"roles", {1, "storage", std::string(65, 'r')}}})
            .roles == std::vector<std::string>{"storage"});
  CHECK(rejection<RegisterReply>({{"account_id", "a"}}) == "field \"secret\" must be a string");
  CHECK(rejection<AuthReply>({{"append_only", "yes"}}) ==
        "field \"append_only\" must be true or false");
  CHECK(rejection<AuthReply>({{"quota_bytes", -1}}) ==
        "field \"quota_bytes\" must be a non-negative integer");
  CHECK(rejection<UnregisterReply>({{"bytes_deleted", "many"}}) ==
        "field \"bytes_deleted\" must be a non-negative integer");
  CHECK(rejection<PutReply>(json::object()) == "field \"created\" must be true or false");
  CHECK(rejection<HeadReply>({{"size", -1}}) == "field \"size\" must be a non-negative integer");
  CHECK(rejection<RemoveReply>({{"removed", 1}}) == "field \"removed\" must be true or false");
  CHECK(rejection<ListReply>({{"truncated", false}}) == "field \"objects\" must be a list");
  CHECK(rejection<ListReply>({{"objects", json::array({"a"})}, {"truncated", false}}) ==
        "objects[0] must be a [key, size] pair");
  CHECK(rejection<ListReply>({{"objects", json::array({json::array({1, 1})})},
                              {"truncated", false}}) == "objects[0] key must be a string");
  CHECK(rejection<ListReply>(
            {{"objects", json::array({json::array({"a", -1})})}, {"truncated", false}}) ==
        "objects[0] size must be a non-negative integer");
  CHECK(rejection<ListReply>({{"objects", json::array()}}) ==
        "field \"truncated\" must be true or false");
  json too_many{{"objects", json::array()}, {"truncated", false}};
  for (std::uint64_t i = 0; i <= k_max_list_limit; ++i)
    too_many["objects"].push_back(json::array({"k", 1}));
  CHECK(rejection<ListReply>(too_many) == "field \"objects\" holds 1001 items, more than 1000");

  CHECK(rejection<LeaseReply>(json::object()) == "field \"lease\" must be a map");
  CHECK(rejection<LeaseReply>({{"lease", 5}}) == "the header must be a map");
  auto lease = lease_json();
  lease["id"] = "XYZ";
  CHECK(rejection<LeaseReply>({{"lease", lease}}) == "a lease id must be 16 lower-case hex digits");
  lease = lease_json();
  lease["kind"] = "both";
  CHECK(rejection<LeaseReply>({{"lease", lease}}) == "kind must be \"shared\" or \"exclusive\"");
  lease = lease_json();
  lease["pid"] = 1.5;
  CHECK(rejection<LeaseReply>({{"lease", lease}}) == "field \"pid\" must be an integer");
  lease = lease_json();
  lease["expires_ms"] = json::number_unsigned_t{1} << 63;
  CHECK(rejection<LeaseReply>({{"lease", lease}}) == "field \"expires_ms\" must be an integer");
  lease = lease_json();
  lease.erase("seq");
  CHECK(rejection<LeaseReply>({{"lease", lease}}) ==
        "field \"seq\" must be a non-negative integer");
  lease = lease_json();
  lease["user"] = std::string(300, 'u');
  CHECK(rejection<LeaseReply>({{"lease", lease}}) == "field \"user\" is longer than 256 bytes");
  CHECK(rejection<LeaseReply>({{"lease", lease_json()}, {"now_ms", "now"}}) ==
        "field \"now_ms\" must be an integer");
  CHECK(rejection<LeaseListReply>({{"leases", json::array({lease_json()})}}) ==
        "field \"now_ms\" must be an integer");
  CHECK(rejection<LeaseListReply>({{"leases", json::array({1})}, {"now_ms", 1}}) ==
        "the header must be a map");
  CHECK(rejection<LeaseBreakReply>({{"removed", "no"}}) ==
        "field \"removed\" must be true or false");
}

TEST_CASE("given a list page that does not answer its request, then check_answers refuses it") {
  const ListRequest asked{"data/", "data/b", 2};
  auto refused = [&](ListReply page) {
    try {
      page.check_answers(asked);
    } catch (const MessageError& e) {
      return e.failure().detail;
    }
    return std::string();
  };
  CHECK(refused({{{"data/c", 1}, {"data/d", 1}, {"data/e", 1}}, true}) ==
        "3 objects listed, more than the 2 asked for");
  CHECK(refused({{{"index/c", 1}}, false}) == "objects[0] is outside the prefix");
  CHECK(refused({{{"data/a", 1}}, false}) == "objects[0] is out of order");
  CHECK(refused({{{"data/d", 1}, {"data/c", 1}}, false}) == "objects[1] is out of order");
  CHECK(refused({{{"data/c", 1}, {"data/c", 1}}, false}) == "objects[1] is out of order");
  CHECK(refused({{{"data/c", 1}, {"data/d", 1}}, true}).empty());
}

TEST_CASE("given unknown or null optional fields, when decoded, then they are ignored") {
  const auto get = GetRequest::decode({{"key", "k"}, {"offset", nullptr}, {"future", 1}});
  CHECK(get.offset == 0);
  const auto auth = AuthReply::decode(json::object()); // an older server says nothing
  CHECK_FALSE(auth.append_only);
  CHECK(auth.storage_pair.is_null());
  const auto acquire = LeaseAcquireRequest::decode({{"kind", "shared"}});
  CHECK(acquire.host.empty());
  CHECK(acquire.pid == 0);
  CHECK_FALSE(acquire.ttl_ms.has_value());
}

TEST_SUITE_END();
