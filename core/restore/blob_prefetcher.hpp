#pragma once
// Loads data blobs ahead of the restorer on worker threads.
//
// Why: restore consumes blobs one after the other. Loading them one at a
// time costs a round trip per blob on a remote store and leaves all but one
// core idle while blobs are authenticated and decompressed. With a few
// workers loading ahead, a remote store has many ranged gets in flight on
// its pipelined connection and the cores share the decryption.
//
// Contract: expect() announces the blobs in the order take() will ask for
// them. take() may skip announced blobs (a file that is not replaced, a
// hardlink): the ones before the requested blob are dropped. A blob that
// was never announced is simply loaded on the caller's thread. Memory is
// bounded by the sealed sizes of the blobs loaded ahead (max_bytes; one blob
// is always allowed).
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/repo/repository.hpp"

namespace offsite::core {

class BlobPrefetcher {
public:
  explicit BlobPrefetcher(Repository& repo, std::size_t threads = 4,
                          std::size_t max_bytes = 64u << 20);
  ~BlobPrefetcher();
  BlobPrefetcher(const BlobPrefetcher&) = delete;
  BlobPrefetcher& operator=(const BlobPrefetcher&) = delete;

  // Appends data blobs to load, in the order they will be taken.
  void expect(const std::vector<BlobId>& ids);

  // The plaintext of data blob `id`; rethrows the Error its load raised.
  Bytes take(const BlobId& id);

private:
  struct Slot {
    BlobId id{};
    std::size_t bytes = 0; // sealed size, counted against the budget
    bool ready = false;
    std::optional<Bytes> data;
    std::exception_ptr error;
  };

  void work();
  // Drops waiting and loaded entries up to `id`; the slot for `id` (started
  // or not) if it was announced, else nullptr. Called with the lock held.
  std::shared_ptr<Slot> claim_locked(const BlobId& id, bool& started);
  void release_locked(const Slot& slot);
  // A waiting blob fits the budget (or nothing is loading). Lock held.
  bool startable_locked() const;

  Repository& m_repo;
  std::size_t m_max_bytes;
  std::mutex m_mutex;
  // Two conditions, so that a finished load wakes only the consumer and a
  // freed budget only one worker: one shared condition woke all of them for
  // every blob, about ten futex calls per blob of a restore.
  std::condition_variable m_work;              // workers: something may be startable
  std::condition_variable m_ready;             // the consumer: a slot became ready
  std::deque<std::shared_ptr<Slot>> m_waiting; // announced, not started
  std::deque<std::shared_ptr<Slot>> m_started; // loading or loaded, in order
  std::size_t m_bytes = 0;                     // sealed bytes of m_started
  bool m_stopping = false;
  std::vector<std::thread> m_threads;
};

} // namespace offsite::core
