#pragma once
// The process-wide allowance of bytes that pipelined requests may hold in
// memory: request frames read ahead and replies waiting for their turn. A
// connection that cannot charge the next frame stops reading (the client
// then feels TCP back-pressure) instead of allocating, so 64 connections
// pipelining 64 MiB puts cannot make the server hold gigabytes.
//
// Thread-safe; never blocks (callers wait on their own terms, writing the
// replies that give bytes back meanwhile).

#include <cstddef>
#include <mutex>

namespace offsite::server {

class ByteBudget {
public:
  // A share of the budget, given back when destroyed (move-only).
  class Charge {
  public:
    Charge() = default;
    Charge(ByteBudget* budget, std::size_t bytes) : m_budget(budget), m_bytes(bytes) {}
    Charge(Charge&& other) noexcept;
    Charge& operator=(Charge&& other) noexcept;
    Charge(const Charge&) = delete;
    Charge& operator=(const Charge&) = delete;
    ~Charge();
    std::size_t bytes() const { return m_bytes; }
    // False for a refused (or moved-from) charge.
    explicit operator bool() const { return m_budget != nullptr; }
    // Adds `other` to this charge (one request, several parts).
    void absorb(Charge other);
    // Shrinks to `bytes` (giving the rest back), or grows past the limit if
    // it must: a reply that turned out larger than reserved is already in
    // memory, and refusing it would help nobody.
    void resize(std::size_t bytes);

  private:
    ByteBudget* m_budget = nullptr;
    std::size_t m_bytes = 0;
  };

  explicit ByteBudget(std::size_t limit) : m_limit(limit) {}
  ByteBudget(const ByteBudget&) = delete;
  ByteBudget& operator=(const ByteBudget&) = delete;

  // `bytes` (clipped to the limit, so that one frame larger than the whole
  // budget still fits when nothing else is held), or nothing when that would
  // pass the limit.
  Charge try_charge(std::size_t bytes);
  std::size_t used() const;
  std::size_t limit() const { return m_limit; }

private:
  void give_back(std::size_t bytes);
  void force(std::size_t bytes);
  mutable std::mutex m_mutex;
  std::size_t m_limit;
  std::size_t m_used = 0;
};

} // namespace offsite::server
