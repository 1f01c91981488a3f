#pragma once
// Which requests of one connection may run at the same time (the rules the
// RequestScheduler applies, see request_scheduler.hpp):
//
// - Object requests (get, head, list, put, remove) run concurrently, except
//   that a write (put, remove) keeps its place against every earlier or
//   later request on the same key, or under the same prefix for a list: a
//   put then a get of one key in one pipeline sees the put. Reads of one key
//   do not order each other (a restore reads many ranges of one pack).
// - Everything else is a barrier: it runs alone, after every earlier
//   request and before every later one. That is hello, register, auth,
//   network_map, every lease op, unregister, unknown ops, a request whose
//   header does not decode (it only earns a bad_request reply, in order),
//   and a put or remove of "config": the handler's lease checks read
//   whether "config" exists, so a change to it must not overtake them.
//
// Pure: no threads, no I/O.

#include <cstddef>
#include <string>

#include "transport/wire/frame.hpp"

namespace offsite::server {

struct RequestOrder {
  enum class Kind { barrier, read, write };
  Kind kind = Kind::barrier;
  std::string key;     // the object's key, or a list's prefix
  bool prefix = false; // `key` is a list's prefix
  // The most bytes the reply may carry beyond its header (a get's range,
  // clipped to a frame), so that it can be charged before the store runs.
  std::size_t reply_bytes = 0;
};

RequestOrder order_of(const transport::Frame& request);

// True when `later` must wait for `earlier` to finish.
bool must_follow(const RequestOrder& earlier, const RequestOrder& later);

} // namespace offsite::server
