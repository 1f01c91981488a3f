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
// bounded by the sizes of the blobs loaded ahead, plaintext or sealed
// whichever is larger (max_bytes; one blob is always allowed), and a run's range read stays within
// what the budget has left.
//
// Runs: backup shuffles the blobs inside each pack (core/format/pack.cpp), so
// a file's chunks sit in one pack but not in order. A load therefore looks
// ahead (up to k_run_window announced blobs) for others in the same pack,
// and reads those that lie close together (gaps up to k_max_run_gap) with
// one ranged get of at most k_max_run_bytes, in offset order. On an S3 store
// a get per blob cost a round trip and ~1.5 ms of the store's CPU each: a
// 1 GiB restore took ~70,000 gets.
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
  // `cache_pack_reads`: when the store is remote, the repository reads packs
  // in blocks kept in memory (Repository::cache_pack_reads, as much again as
  // max_bytes), so the data centre is asked once per block, not per blob.
  explicit BlobPrefetcher(Repository& repo, std::size_t threads = 4,
                          std::size_t max_bytes = 64u << 20, bool cache_pack_reads = true);
  ~BlobPrefetcher();
  BlobPrefetcher(const BlobPrefetcher&) = delete;
  BlobPrefetcher& operator=(const BlobPrefetcher&) = delete;

  // A run reads at most this many bytes of a pack, gaps included: the range
  // is held whole while its blobs are opened, by each of the workers.
  static constexpr std::size_t k_max_run_bytes = std::size_t{1} << 20;
  // How many announced blobs past the first a run looks through.
  static constexpr std::size_t k_run_window = 1024;
  // Blobs this far apart still join a run: reading the gap (blobs of other
  // files, or not needed) is cheaper than another round trip.
  static constexpr std::size_t k_max_run_gap = std::size_t{64} << 10;

  // Appends data blobs to load, in the order they will be taken.
  void expect(const std::vector<BlobId>& ids);

  // The plaintext of data blob `id`; rethrows the Error its load raised.
  Bytes take(const BlobId& id);

  // How many announced blobs are not taken (nor passed over) yet: how far
  // ahead of the caller the announcements reach.
  std::size_t pending() const;

  // Forgets every announced blob not taken yet (loads under way finish and
  // are dropped): for a caller that went past them.
  void clear();

private:
  struct Slot {
    BlobId id{};
    std::size_t bytes = 0; // plaintext or sealed size, the larger: counted against the budget
    std::optional<BlobLocation> location; // nullopt: not indexed, load_blob reports it
    bool started = false;
    bool ready = false;
    bool dropped = false; // passed over by take() while it loaded
    std::optional<Bytes> data;
    std::exception_ptr error;
  };
  using Run = std::vector<std::shared_ptr<Slot>>;

  void work();
  // The position in m_order of the first slot not yet started, if the
  // budget lets it start. Lock held.
  std::optional<std::size_t> startable_locked();
  // Starts m_order[first] and the waiting slots that join its run; counts
  // their bytes. Lock held.
  Run start_run_locked(std::size_t first);
  // Loads the slots of `run` (one load_blob, or one load_blob_run); no lock.
  std::vector<Repository::BlobLoad> load(const Run& run);
  // Hands the loads to their slots and marks them ready. Lock held.
  void finish_locked(const Run& run, std::vector<Repository::BlobLoad>& loads);
  // A slot leaves m_order (taken or passed over): its bytes are freed.
  void release_locked(Slot& slot);

  Repository& m_repo;
  std::size_t m_max_bytes;
  mutable std::mutex m_mutex;
  // Two conditions, so that a finished load wakes only the consumer and a
  // freed budget only one worker: one shared condition woke all of them for
  // every blob, about ten futex calls per blob of a restore.
  std::condition_variable m_work;            // workers: something may be startable
  std::condition_variable m_ready;           // the consumer: a slot became ready
  std::deque<std::shared_ptr<Slot>> m_order; // announced, not taken, in order
  std::size_t m_started_prefix = 0;          // the first this many slots of m_order are started
  std::size_t m_loading = 0;                 // slots of m_order started, ready or not
  std::size_t m_bytes = 0;                   // their sealed bytes
  bool m_stopping = false;
  std::vector<std::thread> m_threads;
};

} // namespace offsite::core
