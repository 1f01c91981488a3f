#include "core/repo/tree_prefetcher.hpp"

#include <algorithm>

namespace offsite::core {

TreePrefetcher::TreePrefetcher(Repository& repo, std::size_t threads, std::size_t ahead,
                               std::size_t max_bytes)
    : m_repo(repo), m_ahead(std::max<std::size_t>(ahead, 1)), m_max_bytes(max_bytes) {
  for (std::size_t i = 0; i < threads; ++i)
    m_threads.emplace_back([this] { work(); });
}

TreePrefetcher::~TreePrefetcher() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_work.notify_all();
  for (auto& thread : m_threads)
    thread.join();
}

void TreePrefetcher::expect_next(const std::vector<BlobId>& ids) {
  if (ids.empty()) return;
  {
    std::lock_guard lock(m_mutex);
    std::vector<std::shared_ptr<Slot>> slots;
    slots.reserve(ids.size());
    for (const auto& id : ids) {
      auto slot = std::make_shared<Slot>();
      slot->id = id;
      // Unknown trees cost nothing here; take() reports them.
      const auto location = m_repo.index().find(id);
      slot->bytes = location ? location->length : 0;
      slots.push_back(std::move(slot));
    }
    m_order.insert(m_order.begin(), slots.begin(), slots.end());
  }
  m_work.notify_all();
}

std::shared_ptr<TreePrefetcher::Slot> TreePrefetcher::startable_locked() const {
  if (m_loaded >= m_ahead) return nullptr;
  const auto it = std::find_if(m_order.begin(), m_order.end(),
                               [](const std::shared_ptr<Slot>& slot) { return !slot->started; });
  if (it == m_order.end()) return nullptr;
  if (m_loaded > 0 && m_bytes + (*it)->bytes > m_max_bytes) return nullptr;
  return *it;
}

Tree TreePrefetcher::load(const BlobId& id) {
  return decode_tree(m_repo.load_blob(BlobType::tree, id));
}

void TreePrefetcher::work() {
  std::unique_lock lock(m_mutex);
  for (;;) {
    std::shared_ptr<Slot> slot;
    m_work.wait(lock, [&] { return m_stopping || (slot = startable_locked()) != nullptr; });
    if (m_stopping) return;
    slot->started = true;
    ++m_loaded;
    m_bytes += slot->bytes;
    if (startable_locked()) m_work.notify_one(); // the bounds may allow another at once
    lock.unlock();
    std::optional<Tree> tree;
    std::exception_ptr error;
    try {
      tree = load(slot->id);
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    slot->tree = std::move(tree);
    slot->error = error;
    slot->ready = true;
    if (slot->dropped) slot->tree.reset(); // nobody will take it; its bounds were freed
    m_ready.notify_one();                  // there is one consumer
  }
}

void TreePrefetcher::drop_locked(Slot& slot) {
  if (slot.started && !slot.dropped) {
    --m_loaded;
    m_bytes -= slot.bytes;
  }
  slot.dropped = true;
  if (slot.ready) slot.tree.reset();
}

Tree TreePrefetcher::take(const BlobId& id) {
  std::shared_ptr<Slot> slot;
  {
    std::unique_lock lock(m_mutex);
    const auto it = std::find_if(m_order.begin(), m_order.end(),
                                 [&](const std::shared_ptr<Slot>& s) { return s->id == id; });
    if (it != m_order.end()) {
      // Everything announced before it was skipped by the walk.
      for (auto skipped = m_order.begin(); skipped != it; ++skipped)
        drop_locked(**skipped);
      slot = *it;
      m_order.erase(m_order.begin(), it + 1);
      if (slot->started) {
        m_ready.wait(lock, [&] { return slot->ready; });
        --m_loaded;
        m_bytes -= slot->bytes;
      } else {
        slot = nullptr; // not reached yet: loaded here, out of the workers' sight
      }
    }
  }
  m_work.notify_one(); // bounds freed: a worker may start the next one
  if (!slot) return load(id);
  if (slot->error) std::rethrow_exception(slot->error);
  return std::move(*slot->tree);
}

} // namespace offsite::core
