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
      const auto location = m_repo.index().find(id);
      slot->bytes = location ? location->length : 0;
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
    auto slot = m_waiting.front();
    m_waiting.pop_front();
    m_started.push_back(slot);
    m_bytes += slot->bytes;
    // Pass the baton: the budget may allow another load at once.
    if (startable_locked()) m_work.notify_one();
    lock.unlock();
    std::optional<Bytes> data;
    std::exception_ptr error;
    try {
      data = m_repo.load_blob(BlobType::data, slot->id);
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    slot->data = std::move(data);
    slot->error = error;
    slot->ready = true;
    m_ready.notify_one(); // there is one consumer
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
  }
  m_work.notify_one(); // budget freed: a worker may start the next one
  if (!slot || !started) return m_repo.load_blob(BlobType::data, id);
  if (slot->error) std::rethrow_exception(slot->error);
  return std::move(*slot->data);
}

} // namespace offsite::core
