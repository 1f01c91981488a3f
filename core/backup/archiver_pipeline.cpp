#include "core/backup/archiver_pipeline.hpp"

#include <malloc.h>

namespace offsite::core {

namespace {

// glibc raises its mmap threshold to the size of the largest block freed, so
// after the first 16 MiB pack every chunk, sealed blob and pack buffer comes
// from the heap arenas of whichever thread made it and lingers there: about
// 50 MiB more peak memory in a backup. A fixed threshold sends packs and big
// chunks straight back to the kernel when freed; smaller blocks still reuse
// the heap.
constexpr int k_mmap_threshold = 4 << 20;

// Per-job bookkeeping charged against the budget on top of the chunk bytes,
// so a flood of tiny chunks (many small files) stays bounded as well.
constexpr std::size_t k_job_overhead = 512;
} // namespace

ChunkPipeline::ChunkPipeline(Repository& repo, unsigned threads, std::size_t max_in_flight_bytes,
                             bool dry_run)
    : m_repo(repo), m_dry_run(dry_run), m_queue(max_in_flight_bytes) {
  (void)::mallopt(M_MMAP_THRESHOLD, k_mmap_threshold);
  if (threads == 0) threads = 1;
  m_workers.reserve(threads);
  try {
    for (unsigned i = 0; i < threads; ++i)
      m_workers.emplace_back([this] { work(); });
  } catch (...) {
    m_queue.close();
    for (auto& t : m_workers)
      t.join();
    throw;
  }
}

ChunkPipeline::~ChunkPipeline() {
  m_abort.store(true);
  m_queue.close();
  for (auto& t : m_workers)
    t.join();
}

void ChunkPipeline::submit(const std::shared_ptr<ContentSlots>& file, Bytes chunk) {
  check();
  BlobId* slot = &file->ids.emplace_back();
  file->outstanding.fetch_add(1, std::memory_order_relaxed);
  const std::size_t cost = chunk.size() + k_job_overhead;
  if (!m_queue.push(Job{file, slot, std::move(chunk)}, cost)) {
    file->outstanding.fetch_sub(1, std::memory_order_relaxed);
    check();
  }
}

void ChunkPipeline::wait_for(const ContentSlots& file) {
  m_queue.wait_until([&] { return file.complete() || m_failed.load(); });
  check();
}

void ChunkPipeline::drain() {
  m_queue.wait_idle();
  check();
}

void ChunkPipeline::check() const {
  if (!m_failed.load()) return;
  std::lock_guard lock(m_mutex);
  std::rethrow_exception(m_error);
}

PipelineCounts ChunkPipeline::dry_run_counts() const {
  std::lock_guard lock(m_mutex);
  return m_counts;
}

void ChunkPipeline::work() {
  while (auto item = m_queue.pop()) {
    auto& [job, cost] = *item;
    if (!m_abort.load() && !m_failed.load()) {
      try {
        process(job);
      } catch (...) {
        std::lock_guard lock(m_mutex);
        if (!m_error) m_error = std::current_exception();
        m_failed.store(true);
      }
    }
    auto file = std::move(job.file);
    job.data = Bytes{}; // free the chunk before handing back its budget
    file->outstanding.fetch_sub(1, std::memory_order_acq_rel);
    m_queue.release(cost);
  }
}

void ChunkPipeline::process(Job& job) {
  const BlobId id = m_repo.codec().id_of(job.data);
  *job.slot = id;
  if (!m_dry_run) {
    m_repo.save_blob(BlobType::data, id, job.data);
    return;
  }
  if (m_repo.has_blob(id)) return;
  std::lock_guard lock(m_mutex);
  if (m_seen.insert(id).second) {
    ++m_counts.data_blobs_new;
    m_counts.bytes_new_raw += job.data.size();
  }
}

} // namespace offsite::core
