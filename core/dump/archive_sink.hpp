#pragma once
// Where dumped bytes go: stdout or a file, written as they are decrypted.
// A seam so that core never decides about terminals or file descriptors of
// the command line.

#include "core/common/bytes.hpp"

namespace offsite::core {

class ByteSink {
public:
  virtual ~ByteSink() = default;
  // Writes everything or throws Error (a closed pipe, a full disk).
  virtual void write(ByteView data) = 0;
};

} // namespace offsite::core
