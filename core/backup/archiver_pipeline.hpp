#pragma once
// The backup's worker pool: the calling thread reads and chunks, workers
// compute keyed IDs and hand chunks to Repository::save_blob (compression and
// encryption happen there, outside the repository's lock).
//
// A file's content list keeps chunk order because every chunk is submitted
// with its own slot in the file's ContentSlots: workers finish in any order,
// each writes only its slot. The calling thread reads the slots only after
// `outstanding` reached zero (acquire/release pairs the writes).

#include <atomic>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <vector>

#include "core/common/work_queue.hpp"
#include "core/format/blob.hpp"
#include "core/repo/repository.hpp"

namespace offsite::core {

struct ContentSlots {
  std::deque<BlobId> ids; // deque: push_back keeps earlier slots in place
  std::atomic<std::size_t> outstanding{0};

  bool complete() const { return outstanding.load(std::memory_order_acquire) == 0; }
  std::vector<BlobId> take() { return {ids.begin(), ids.end()}; }
};

struct PipelineCounts {
  std::uint64_t data_blobs_new = 0;
  std::uint64_t bytes_new_raw = 0;
};

class ChunkPipeline {
public:
  // dry_run: IDs are computed and new blobs counted, nothing is saved.
  ChunkPipeline(Repository& repo, unsigned threads, std::size_t max_in_flight_bytes, bool dry_run);
  // Workers skip what is still queued and are joined.
  ~ChunkPipeline();
  ChunkPipeline(const ChunkPipeline&) = delete;
  ChunkPipeline& operator=(const ChunkPipeline&) = delete;

  // Blocks while the in-flight budget is used up. Rethrows a worker's error.
  void submit(const std::shared_ptr<ContentSlots>& file, Bytes chunk);

  // Blocks until the file's chunks are all saved. Rethrows a worker's error.
  void wait_for(const ContentSlots& file);

  // Blocks until every submitted chunk is done. Rethrows a worker's error.
  void drain();

  // Rethrows the first error a worker hit, if any.
  void check() const;

  // Dry run only: blobs a real run would have added.
  PipelineCounts dry_run_counts() const;

private:
  struct Job {
    std::shared_ptr<ContentSlots> file;
    BlobId* slot = nullptr;
    Bytes data;
  };
  void work();
  void process(Job& job);

  Repository& m_repo;
  bool m_dry_run;
  WorkQueue<Job> m_queue;
  std::vector<std::thread> m_workers;

  mutable std::mutex m_mutex; // guards m_error, m_seen, m_counts
  std::exception_ptr m_error;
  std::atomic<bool> m_failed{false};
  std::atomic<bool> m_abort{false};
  std::unordered_set<BlobId, BlobIdHash> m_seen; // dry run: new IDs seen so far
  PipelineCounts m_counts;
};

} // namespace offsite::core
