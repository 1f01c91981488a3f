#include "core/restore/blob_prefetcher.hpp"

#include <algorithm>

namespace offsite::core {

BlobPrefetcher::BlobPrefetcher(Repository& repo, std::size_t threads, std::size_t max_bytes)
    : m_repo(repo), m_max_bytes(max_bytes) {
  for (std::size_t i = 0; i < threads; ++i)
    m_threads.emplace_back([this] { work(); });
}

BlobPrefetcher::~BlobPrefetcher() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_work.notify_all();
  for (auto& thread : m_threads)
    thread.join();
}

void BlobPrefetcher::expect(const std::vector<BlobId>& ids) {
  if (ids.empty()) return;
  {
    std::lock_guard lock(m_mutex);
    for (const auto& id : ids) {
      auto slot = std::make_shared<Slot>();
      slot->id = id;
      // Unknown blobs cost nothing here; take() reports them.
      slot->location = m_repo.index().find(id);
      slot->bytes = slot->location ? slot->location->length : 0;
      m_waiting.push_back(std::move(slot));
    }
  }
  m_work.notify_all();
}

bool BlobPrefetcher::startable_locked() const {
  return !m_waiting.empty() &&
         (m_started.empty() || m_bytes + m_waiting.front()->bytes <= m_max_bytes);
}

void BlobPrefetcher::work() {
  std::unique_lock lock(m_mutex);
  for (;;) {
    m_work.wait(lock, [&] { return m_stopping || startable_locked(); });
    if (m_stopping) return;
    const std::size_t bytes_before = m_bytes;
    std::vector<std::shared_ptr<Slot>> run{m_waiting.front()};
    m_waiting.pop_front();
    m_started.push_back(run.front());
    m_bytes += run.front()->bytes;
    extend_run_locked(run, bytes_before);
    // Pass the baton: the budget may allow another load at once.
    if (startable_locked()) m_work.notify_one();
    lock.unlock();
    auto loads = load(run);
    lock.lock();
    finish_locked(run, loads);
    m_ready.notify_one(); // there is one consumer
  }
}

void BlobPrefetcher::extend_run_locked(std::vector<std::shared_ptr<Slot>>& run,
                                       std::size_t bytes_before) {
  const auto& first = run.front()->location;
  if (!first) return;
  while (!m_waiting.empty()) {
    const auto& last = *run.back()->location;
    const auto& next = m_waiting.front()->location;
    // Only forward in the same pack: anything else is its own get anyway.
    if (!next || next->pack != first->pack) break;
    const std::uint64_t last_end = std::uint64_t{last.offset} + last.length;
    if (next->offset < last_end || next->offset - last_end > k_max_run_gap) break;
    // The whole range is held while the run is opened, so it (not only the
    // blobs' sealed sizes) must fit the run bound and what the budget had left.
    const std::uint64_t span = std::uint64_t{next->offset} + next->length - first->offset;
    if (span > k_max_run_bytes || bytes_before + span > m_max_bytes) break;
    run.push_back(m_waiting.front());
    m_waiting.pop_front();
    m_started.push_back(run.back());
    m_bytes += run.back()->bytes;
  }
}

std::vector<Repository::BlobLoad>
BlobPrefetcher::load(const std::vector<std::shared_ptr<Slot>>& run) {
  std::vector<Repository::BlobLoad> loads(run.size());
  if (run.size() == 1) {
    try {
      loads[0].data = m_repo.load_blob(BlobType::data, run[0]->id);
    } catch (...) {
      loads[0].error = std::current_exception();
    }
  } else {
    std::vector<BlobId> ids;
    ids.reserve(run.size());
    for (const auto& slot : run)
      ids.push_back(slot->id);
    try {
      loads = m_repo.load_blob_run(ids);
    } catch (...) { // it reports per blob; this is only bad_alloc and the like
      for (auto& load : loads)
        load.error = std::current_exception();
    }
  }
  return loads;
}

void BlobPrefetcher::finish_locked(const std::vector<std::shared_ptr<Slot>>& run,
                                   std::vector<Repository::BlobLoad>& loads) {
  for (std::size_t i = 0; i < run.size(); ++i) {
    run[i]->data = std::move(loads[i].data);
    run[i]->error = loads[i].error;
    run[i]->ready = true;
  }
}

void BlobPrefetcher::release_locked(const Slot& slot) { m_bytes -= std::min(m_bytes, slot.bytes); }

std::shared_ptr<BlobPrefetcher::Slot> BlobPrefetcher::claim_locked(const BlobId& id,
                                                                   bool& started) {
  const auto matches = [&](const std::shared_ptr<Slot>& slot) { return slot->id == id; };
  const auto in_started = std::find_if(m_started.begin(), m_started.end(), matches);
  if (in_started != m_started.end()) {
    // Everything announced before it was skipped by the caller.
    for (auto it = m_started.begin(); it != in_started; ++it)
      release_locked(**it);
    m_started.erase(m_started.begin(), in_started);
    auto slot = m_started.front();
    m_started.pop_front();
    release_locked(*slot);
    started = true;
    return slot;
  }
  const auto in_waiting = std::find_if(m_waiting.begin(), m_waiting.end(), matches);
  if (in_waiting == m_waiting.end()) return nullptr;
  for (const auto& slot : m_started)
    release_locked(*slot);
  m_started.clear();
  auto slot = *in_waiting;
  m_waiting.erase(m_waiting.begin(), in_waiting + 1);
  started = false;
  return slot;
}

Bytes BlobPrefetcher::take(const BlobId& id) {
  std::shared_ptr<Slot> slot;
  bool started = false;
  {
    std::unique_lock lock(m_mutex);
    slot = claim_locked(id, started);
    if (slot && started) m_ready.wait(lock, [&] { return slot->ready; });
    if (slot && !started) {
      // The workers have not reached it (busy, or not yet scheduled): load it
      // here, and the run it starts with it, which the workers then skip.
      const std::size_t bytes_before = m_bytes;
      std::vector<std::shared_ptr<Slot>> run{slot};
      m_started.push_front(slot);
      m_bytes += slot->bytes;
      extend_run_locked(run, bytes_before);
      lock.unlock();
      auto loads = load(run);
      lock.lock();
      finish_locked(run, loads);
      m_started.pop_front(); // still ours: only the consumer removes slots
      release_locked(*slot);
      started = true;
    }
  }
  m_work.notify_one(); // budget freed: a worker may start the next one
  if (!slot) return m_repo.load_blob(BlobType::data, id);
  if (slot->error) std::rethrow_exception(slot->error);
  return std::move(*slot->data);
}

} // namespace offsite::core
