#pragma once
// A point in time by which a network operation must finish. Every blocking
// call in transport/ takes one, so that no wait is ever unbounded: a dropped
// packet becomes a classified timeout, never a hang.

#include <chrono>

namespace offsite::transport {

class Deadline {
public:
  using Clock = std::chrono::steady_clock;

  // Defaults to never(); prefer the named constructors.
  Deadline() = default;
  static Deadline at(Clock::time_point when) { return Deadline(when); }
  static Deadline after(Clock::duration timeout) { return Deadline(Clock::now() + timeout); }
  static Deadline never() { return Deadline(); }

  bool is_never() const { return m_when == Clock::time_point::max(); }
  Clock::time_point when() const { return m_when; }
  bool expired() const { return !is_never() && Clock::now() >= m_when; }

  // Time left, never negative; Clock::duration::max() for never().
  Clock::duration remaining() const {
    if (is_never()) return Clock::duration::max();
    auto left = m_when - Clock::now();
    return left < Clock::duration::zero() ? Clock::duration::zero() : left;
  }

  // Milliseconds for poll(2): -1 for never, rounded up so that a wait does
  // not spin on a sub-millisecond remainder, capped to what an int holds.
  int poll_timeout_ms() const {
    if (is_never()) return -1;
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(remaining()).count();
    constexpr long long k_cap = 1LL << 30;
    return static_cast<int>(ms > k_cap ? k_cap : ms);
  }

  // The sooner of two deadlines (an operation timeout inside an overall one).
  Deadline earliest(Deadline other) const { return m_when <= other.m_when ? *this : other; }

private:
  explicit Deadline(Clock::time_point when) : m_when(when) {}
  Clock::time_point m_when = Clock::time_point::max();
};

} // namespace offsite::transport
