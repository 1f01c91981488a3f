#pragma once
// A check to run before handing untrusted CBOR to nlohmann::json::from_cbor,
// whose parser recurses once per nesting level: a few hundred kilobytes of
// nested arrays overflow the stack. The check itself is iterative.

#include <cstddef>
#include <cstdint>
#include <span>

namespace offsite::util {

// True when `cbor` is exactly one well-formed CBOR item of definite lengths,
// without tags, nested at most `max_depth` containers deep, of at most
// `max_values` values (containers included), whose declared lengths fit in
// the bytes present. The value count bounds what parsing allocates: nlohmann
// spends about 100 bytes on each value, so a 1 MiB item of empty arrays
// would cost about 100 MiB. Never throws, allocates O(max_depth).
bool is_shallow_cbor(std::span<const std::uint8_t> cbor, std::size_t max_depth,
                     std::size_t max_values = SIZE_MAX);

} // namespace offsite::util
