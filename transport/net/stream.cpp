#include "transport/net/stream.hpp"

#include <string>

namespace offsite::transport {

Stream::~Stream() = default;

void Stream::read_exact(MutableSpan buffer, Deadline deadline, FailureKind eof_kind,
                        const char* step) {
  std::size_t done = 0;
  while (done < buffer.size()) {
    std::size_t got = read_some(buffer.subspan(done), deadline);
    if (got == 0) {
      throw TransportError(eof_kind, step,
                           "the peer closed the connection after " + std::to_string(done) + " of " +
                               std::to_string(buffer.size()) + " expected bytes");
    }
    done += got;
  }
}

} // namespace offsite::transport
