#include "util/cbor_shape.hpp"

#include <vector>

namespace offsite::util {

bool is_shallow_cbor(std::span<const std::uint8_t> cbor, std::size_t max_depth,
                     std::size_t max_values) {
  std::vector<std::uint64_t> pending{1}; // items still expected per open container
  std::size_t at = 0;
  std::size_t values = 0;
  while (!pending.empty()) {
    if (pending.back() == 0) {
      pending.pop_back();
      continue;
    }
    --pending.back();
    if (++values > max_values) return false;
    if (at >= cbor.size()) return false;
    const std::uint8_t initial = cbor[at++];
    const unsigned major = initial >> 5;
    const unsigned info = initial & 0x1f;
    std::uint64_t argument = info;
    if (info >= 24) {
      if (info > 27) return false; // reserved, or indefinite length (31)
      const std::size_t width = std::size_t{1} << (info - 24);
      if (cbor.size() - at < width) return false;
      argument = 0;
      for (std::size_t i = 0; i < width; ++i)
        argument = (argument << 8) | cbor[at++];
    }
    const std::uint64_t left = cbor.size() - at;
    switch (major) {
    case 0:
    case 1:
    case 7: break; // integers, simple values, floats: the argument was all
    case 2:
    case 3:
      if (argument > left) return false;
      at += static_cast<std::size_t>(argument);
      break;
    case 4:
    case 5: {
      const std::uint64_t items = major == 5 ? argument * 2 : argument;
      if (argument > left || items > left) return false; // each item takes >= 1 byte
      if (pending.size() > max_depth) return false;
      pending.push_back(items);
      break;
    }
    default: return false; // tags (6)
    }
  }
  return at == cbor.size();
}

} // namespace offsite::util
