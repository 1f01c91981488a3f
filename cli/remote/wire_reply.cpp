#include "cli/remote/wire_reply.hpp"

#include <fmt/format.h>

#include "core/common/error.hpp"

namespace offsite::cli {

void throw_malformed_reply(std::string_view what, const transport::wire::MessageError& error) {
  throw Error(
      Code::generic,
      fmt::format("the server sent a malformed reply to {} ({})", what, error.failure().detail),
      "the server may be broken or not an offsite data centre; run \"offsite "
      "test-connection\"");
}

} // namespace offsite::cli
