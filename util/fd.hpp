#pragma once
// The one owner of a POSIX file descriptor (a file, a directory, a socket).

namespace offsite::util {

// Owns `fd` (or nothing, when it is negative) and closes it on destruction.
// Move-only; not thread-safe. close() errors are ignored there: a caller that
// wrote through the descriptor and must learn of a deferred write error (NFS)
// takes it back with release() and closes it itself.
class Fd {
public:
  Fd() = default;
  explicit Fd(int fd) : m_fd(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& other) noexcept : m_fd(other.release()) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return m_fd; }
  bool valid() const { return m_fd >= 0; }
  // Gives up ownership without closing; the Fd is empty afterwards.
  int release();
  // Closes the descriptor held (if any), then owns `fd`.
  void reset(int fd = -1);

private:
  int m_fd = -1;
};

} // namespace offsite::util
