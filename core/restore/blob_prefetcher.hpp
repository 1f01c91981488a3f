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
//
// Runs: blobs announced one after the other that lie next to each other in
// one pack (a file's chunks, as backup wrote them) are read with one ranged
// get, up to k_max_run_bytes. On an S3 store a get per blob cost a round
// trip each: a 1 GiB restore took ~70,000 gets.
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

  // A run reads at most this many bytes of a pack, gaps included.
  static constexpr std::size_t k_max_run_bytes = std::size_t{8} << 20;
  // Blobs this far apart still join a run: reading the gap (blobs of other
  // files, or not needed) is cheaper than another round trip.
  static constexpr std::size_t k_max_run_gap = std::size_t{64} << 10;

  // Appends data blobs to load, in the order they will be taken.
  void expect(const std::vector<BlobId>& ids);

  // The plaintext of data blob `id`; rethrows the Error its load raised.
  Bytes take(const BlobId& id);

private:
  struct Slot {
    BlobId id{};
    std::size_t bytes = 0;                // sealed size, counted against the budget
    std::optional<BlobLocation> location; // nullopt: not indexed, load_blob reports it
    bool ready = false;
    std::optional<Bytes> data;
    std::exception_ptr error;
  };

  void work();
  // After starting `run`'s first slot: moves the waiting slots that continue
  // it in its pack to m_started, while the bytes to read stay within
  // k_max_run_bytes and the budget. Lock held.
  void extend_run_locked(std::vector<std::shared_ptr<Slot>>& run, std::size_t bytes_before);
  // Loads the slots of `run` (one load_blob, or one load_blob_run); no lock.
  std::vector<Repository::BlobLoad> load(const std::vector<std::shared_ptr<Slot>>& run);
  // Drops waiting and loaded entries up to `id`; the slot for `id` (started
  // or not) if it was announced, else nullptr. Called with the lock held.
  std::shared_ptr<Slot> claim_locked(const BlobId& id, bool& started);
  // Hands the loads to their slots and marks them ready. Lock held.
  void finish_locked(const std::vector<std::shared_ptr<Slot>>& run,
                     std::vector<Repository::BlobLoad>& loads);
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
