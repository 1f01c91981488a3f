#pragma once
// The storage seam (PRODUCT.md §6): the operations an S3-compatible object
// store can carry out exactly. Keys are '/'-separated names made of
// [A-Za-z0-9._-] segments; no rename, no append, no in-place update.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/bytes.hpp"
#include "util/printable.hpp"

namespace offsite::core {

struct ObjectInfo {
  std::string key;
  std::uint64_t size = 0;
};

struct ListPage {
  std::vector<ObjectInfo> objects; // sorted by key
  bool truncated = false;          // call again with start_after = last key
};

// All methods are thread-safe and block until done. They throw Error for I/O
// failures (Code::no_space for a full disk); expected outcomes are return
// values.
class Store {
public:
  virtual ~Store() = default;

  // Create-only: stores `data` under `key` durably and atomically; returns
  // false (and changes nothing) when the key already exists.
  virtual bool put(std::string_view key, ByteView data) = 0;

  // put, for a caller that knows the SHA-256 of `data` (hex, lower case):
  // it checked a content-addressed name against it. A store that signs its
  // payloads (S3) then does not hash them a second time; the others ignore
  // the digest. A wrong digest makes such a store refuse the put.
  virtual bool put_with_sha256(std::string_view key, ByteView data, std::string_view sha256_hex) {
    (void)sha256_hex;
    return put(key, data);
  }

  // The whole object, or `length` bytes from `offset` (clipped to its end).
  // nullopt when the key does not exist.
  virtual std::optional<Bytes> get(std::string_view key, std::uint64_t offset = 0,
                                   std::optional<std::uint64_t> length = std::nullopt) = 0;

  // Size of the object, or nullopt when it does not exist.
  virtual std::optional<std::uint64_t> head(std::string_view key) = 0;

  // Keys starting with `prefix`, greater than `start_after`, at most `limit`.
  virtual ListPage list(std::string_view prefix, std::string_view start_after,
                        std::size_t limit) = 0;

  // Removes the key; returns false when it did not exist.
  virtual bool remove(std::string_view key) = 0;

  // Each request crosses a network (the client's view of the data centre),
  // so a reader gains by asking for fewer, larger ranges.
  virtual bool remote() const { return false; }
};

// Follows pagination to the end.
std::vector<ObjectInfo> list_all(Store& store, std::string_view prefix);

// True for keys the interface accepts (no empty, '.' or '..' segments, no
// leading or trailing '/', only [A-Za-z0-9._-] and '/').
bool is_valid_key(std::string_view key);

// How a key is shown in messages, util::printable(key, k_key_in_messages):
// keys arrive from the network too, so raw bytes are never echoed, and the
// key is clipped to 200 characters.
inline constexpr util::PrintOptions k_key_in_messages{.max_chars = 200, .quoted = true};

// Passes every call to another store: the base of wrappers that act on a few
// of them (a lock check before writes, a failure injected in a test).
class ForwardingStore : public Store {
public:
  explicit ForwardingStore(Store& inner) : m_inner(inner) {}
  bool put(std::string_view key, ByteView data) override { return m_inner.put(key, data); }
  std::optional<Bytes> get(std::string_view key, std::uint64_t offset,
                           std::optional<std::uint64_t> length) override {
    return m_inner.get(key, offset, length);
  }
  std::optional<std::uint64_t> head(std::string_view key) override { return m_inner.head(key); }
  ListPage list(std::string_view prefix, std::string_view start_after, std::size_t limit) override {
    return m_inner.list(prefix, start_after, limit);
  }
  bool remove(std::string_view key) override { return m_inner.remove(key); }
  bool remote() const override { return m_inner.remote(); }

protected:
  Store& inner() { return m_inner; }

private:
  Store& m_inner;
};

// A view of another store under a fixed prefix ("accounts/<id>/"), so that one
// account can never name another's objects.
class PrefixStore : public Store {
public:
  // Throws Error(Code::usage) unless `prefix` is a valid key followed by '/'.
  PrefixStore(Store& inner, std::string prefix);

  // put, get, head and remove: the key must be valid (else Error(Code::usage))
  // and is taken below the prefix.
  bool put(std::string_view key, ByteView data) override;
  bool put_with_sha256(std::string_view key, ByteView data, std::string_view sha256_hex) override;
  std::optional<Bytes> get(std::string_view key, std::uint64_t offset,
                           std::optional<std::uint64_t> length) override;
  std::optional<std::uint64_t> head(std::string_view key) override;
  bool remove(std::string_view key) override;
  // `prefix` may end inside a key but holds only key characters and '/', so
  // it cannot climb out; the keys returned are without our prefix.
  ListPage list(std::string_view prefix, std::string_view start_after, std::size_t limit) override;

private:
  std::string full(std::string_view key) const;
  Store& m_inner;
  std::string m_prefix;
};

} // namespace offsite::core
